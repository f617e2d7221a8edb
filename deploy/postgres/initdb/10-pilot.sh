#!/bin/sh
# pilot's database and role, created by the postgres image on its first start (empty data directory;
# compose.staging.yaml mounts this directory at /docker-entrypoint-initdb.d). The role is NOSUPERUSER
# NOBYPASSRLS: pilot refuses to start as any other, and row-level security keeps tenants apart.
# PILOT_DB_USER and PILOT_DB_NAME default to pilot_app and pilot (what compose.staging.yaml's
# DATABASE_URL uses); the password is PILOT_DB_PASSWORD, never written here.
set -eu
: "${PILOT_DB_PASSWORD:?PILOT_DB_PASSWORD is required}"
user="${PILOT_DB_USER:-pilot_app}"
db="${PILOT_DB_NAME:-pilot}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  --set=user="$user" --set=db="$db" --set=pw="$PILOT_DB_PASSWORD" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'pw' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE :"db" OWNER :"user";
SQL
