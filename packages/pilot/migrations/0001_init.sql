-- Tenants: the directory used to authenticate API keys. Holds only SHA-256 hashes of keys.
-- Not tenant-scoped (it is read before the tenant is known), so no row-level security here.
CREATE TABLE tenants (
  id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
  name          text NOT NULL,
  api_key_hash  text NOT NULL UNIQUE CHECK (api_key_hash ~ '^[0-9a-f]{64}$'),
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- HMAC signing keys; several active keys per tenant allow rotation (the kid element selects one).
CREATE TABLE signing_keys (
  tenant_id   text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key_id      text NOT NULL CHECK (key_id ~ '^[A-Za-z0-9_.-]{1,32}$'),
  secret      text NOT NULL,
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key_id)
);

CREATE TABLE events (
  id               uuid PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  idempotency_key  text NOT NULL,
  payload          jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX events_tenant_created ON events (tenant_id, created_at DESC);

-- One row per (tenant, Idempotency-Key): the request hash and the stored response.
CREATE TABLE idempotency_keys (
  tenant_id        text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key              text NOT NULL,
  request_hash     text NOT NULL,
  response_status  integer NOT NULL,
  response_body    text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);

-- Signatures already accepted, so an exact replay is refused by every instance.
CREATE TABLE seen_signatures (
  tenant_id  text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  signature  text NOT NULL,
  seen_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, signature)
);
CREATE INDEX seen_signatures_seen_at ON seen_signatures (tenant_id, seen_at);

-- Row-level security: FORCE makes the policies apply to the table owner too. The tenant comes from
-- a transaction-local setting; without it current_setting(..., true) is NULL or '' and nothing matches.
ALTER TABLE signing_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE signing_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON signing_keys
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE seen_signatures ENABLE ROW LEVEL SECURITY;
ALTER TABLE seen_signatures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON seen_signatures
  USING (tenant_id = current_setting('app.tenant_id', true))
  WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

-- Stripe events, stored once per Stripe event id.
CREATE TABLE stripe_events (
  id           text PRIMARY KEY,
  type         text NOT NULL,
  payload      jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);

-- Messages of NOTIFY_MODE=mock (and a record of the ones sent in smtp mode).
CREATE TABLE notify_outbox (
  id          uuid PRIMARY KEY,
  recipient   text NOT NULL,
  subject     text NOT NULL,
  body        text NOT NULL,
  mode        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- Runtime flags served at GET /config: one row.
CREATE TABLE feature_flags (
  id                smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  sync_enabled      boolean NOT NULL DEFAULT true,
  min_interval_sec  integer NOT NULL DEFAULT 900 CHECK (min_interval_sec BETWEEN 1 AND 86400),
  retry_cap         integer NOT NULL DEFAULT 3 CHECK (retry_cap BETWEEN 0 AND 100),
  updated_at        timestamptz NOT NULL DEFAULT now()
);
INSERT INTO feature_flags (id) VALUES (1);
