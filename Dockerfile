# syntax=docker/dockerfile:1
# pilot's container image. Build from the repository root (the npm workspace is the build context):
#   docker build -t pilot .
# Stage `build` compiles pilot with the workspace's TypeScript; stage `runtime` holds pilot's production
# dependencies only, its compiled dist/ and SQL migrations, and runs as the unprivileged `node` user.
# packages/pilot/test/deploy/dockerfile.test.ts replays both stages (without Docker) and runs the
# HEALTHCHECK against the result.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The lockfile is the workspace's: npm needs the root and every workspace's package.json to use it.
COPY package.json package-lock.json .npmrc ./
COPY packages/pilot/package.json packages/pilot/
COPY packages/golive/package.json packages/golive/
# --ignore-scripts: the root `prepare` script builds every package (sources are not here yet) and the
# `node` devDependency would download a second Node; the image's Node runs the compiler.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json ./
COPY packages/pilot/tsconfig.json packages/pilot/
COPY packages/pilot/src packages/pilot/src
RUN node node_modules/typescript/bin/tsc -b packages/pilot

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    PILOT_DATA_DIR=/var/lib/pilot
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY packages/pilot/package.json packages/pilot/
COPY packages/golive/package.json packages/golive/
# pilot's dependencies without devDependencies, and none of golive's (npm's cache stays in the build
# cache mount, out of the image).
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --workspace pilot --ignore-scripts --no-audit --no-fund
COPY --from=build /app/packages/pilot/dist packages/pilot/dist
COPY packages/pilot/migrations packages/pilot/migrations
# The embedded database's directory (PGlite, when DATABASE_URL is unset), writable by the node user.
RUN mkdir -p /var/lib/pilot && chown node:node /var/lib/pilot
USER node
EXPOSE 8000
# Liveness only (never touches the database), with the image's own Node: no curl in the image.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health/live', { signal: AbortSignal.timeout(3000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# pilot drains on SIGTERM (readiness 503, DRAIN_DELAY_MS, close) and exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "packages/pilot/dist/server.js"]
