// The gate of pilot, golive's reference service: the main job of this repository (`npm start`).
// golive starts pilot itself (managed target) on its embedded database, runs the stages below against it,
// writes the reports to golive-report/ and exits with the verdict: 0 GO, 1 NO-GO, 2 config error, 3 INCONCLUSIVE.
//
// scripts/main-job.js sets the secrets this config reads (a fresh API key, signing secret, webhook secret and
// admin token per run) in the environment of both golive and pilot; they are redacted from every output.
// To gate a pilot you run yourself: set those variables, drop `start`, and pass --url.
import { defineConfig } from 'golive';
// pilot's ingest as a load scenario (signed, idempotent POST /v1/events, read back from GET /v1/events):
// the same file serves `golive load --scenario examples/pilot-events.load.json`.
import pilotEvents from './pilot-events.load.json' with { type: 'json' };

const env = process.env;
const tenant = env.PILOT_BOOTSTRAP_TENANT ?? 'golive-demo';

export default defineConfig({
  preset: 'recommended',

  target: {
    // No baseUrl: pilot listens on port 0 and golive uses the URL it prints.
    timeoutMs: 5000,
    start: {
      command: [process.execPath, 'packages/pilot/dist/server.js'],
      env: {
        PORT: '0',
        APP_ENV: 'staging',
        PILOT_DATA_DIR: env.PILOT_DATA_DIR ?? '.pilot-data',
        LOG_LEVEL: 'warn',
        // The dedup load below sends 2000 requests from one tenant: keep the budget above it.
        RATE_LIMIT_MAX: '100000',
      },
      readyUrl: '/health/ready',
      timeoutMs: 60_000,
    },
  },

  checks: {
    // recommended preset: health, canary, security-headers, provider-config (advisory).
    // 20 pings: the fewest for which nearest-rank p95 is not simply the maximum.
    canary: { kind: 'canary', dependsOn: ['health'], options: { count: 20, intervalMs: 50 } },
    'security-headers': {
      kind: 'security-headers',
      options: {
        minGrade: 'A',
        paths: [{ path: '/v1/events', label: 'api (401)' }],
      },
    },

    // ── probes (the hardening guides): liveness, readiness, startup, detailed
    'probe-live': { kind: 'http', dependsOn: ['health'], options: { path: '/health/live', expect: { status: 200 } } },
    'probe-ready': { kind: 'http', dependsOn: ['health'], options: { path: '/health/ready', expect: { status: 200 } } },
    'probe-startup': {
      kind: 'http',
      dependsOn: ['health'],
      title: 'Migrations are current',
      options: { path: '/health/startup', expect: { status: 200 } },
    },
    'probe-detailed': {
      kind: 'http',
      dependsOn: ['health'],
      options: {
        path: '/health/detailed',
        expect: { status: 200, headers: { 'content-type': { matches: '^application/health\\+json' } }, json: { status: { equals: 'pass' } } },
      },
    },

    // ── observability and flags
    metrics: {
      kind: 'http',
      title: 'Prometheus metrics by route template',
      options: {
        path: '/metrics',
        expect: { status: 200, bodyContains: ['http_request_duration_seconds', 'http_requests_total', 'pilot_events_ingested_total'] },
      },
    },
    flags: {
      kind: 'http',
      title: 'Runtime flags with a 30 s cache',
      options: {
        path: '/config',
        expect: {
          status: 200,
          headers: { 'cache-control': { matches: 'max-age=30' } },
          json: { syncEnabled: { type: 'boolean' }, minIntervalSec: { type: 'number' }, retryCap: { type: 'number' } },
        },
      },
    },

    // ── stage 3 smoke (the seed's five checks; health comes from the preset)
    'auth-csrf': { kind: 'http', options: { path: '/api/auth/csrf', expect: { status: 200 } } },
    'security-csrf': { kind: 'http', options: { path: '/api/security/csrf', expect: { status: 200 } } },
    'stripe-webhook-unsigned': {
      kind: 'http',
      title: 'Webhook refuses an unsigned event',
      options: {
        method: 'POST',
        path: '/api/stripe/webhook',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        expect: { status: [400, 401, 403], notStatus: '5xx' },
      },
    },
    'notify-outbox': { kind: 'http', options: { path: '/api/notify/outbox', expect: { status: 200 } } },

    // ── ingest refuses what it must refuse
    'ingest-unsigned': {
      kind: 'http',
      title: 'Ingest refuses an unsigned request',
      options: {
        method: 'POST',
        path: '/v1/events',
        headers: { authorization: `Bearer ${env.PILOT_BOOTSTRAP_API_KEY ?? ''}`, 'content-type': 'application/json', 'idempotency-key': 'golive-unsigned' },
        body: { type: 'probe' },
        expect: { status: 401, notStatus: '5xx' },
      },
    },
    'ingest-no-auth': {
      kind: 'http',
      title: 'Ingest refuses a request without an API key',
      options: { method: 'POST', path: '/v1/events', body: { type: 'probe' }, expect: { status: 401, notStatus: '5xx' } },
    },

    // ── exposure: nothing sensitive is served
    exposure: { kind: 'exposure' },

    // ── the phase 5 go/no-go load: 2000 signed requests over 400 idempotency keys at concurrency 75;
    // every key must create exactly one event (read back from GET /v1/events), p95 under 1 s
    // (request, signature, read-back and thresholds from the scenario file).
    'dedup-load': {
      kind: 'load',
      dependsOn: ['health'],
      timeoutMs: 180_000,
      options: {
        ...pilotEvents,
        tenants: [tenant],
        concurrency: 75,
        keys: { total: 2000, unique: 400 },
        minSamples: 1000,
      },
    },
    // The metrics page as Prometheus would ingest it; pilot's ingest counter must rise over the gate by at
    // least the 400 events the dedup load creates (measured by the kind's gate-start and gate-end scrapes).
    'metrics-ingest': {
      kind: 'metrics',
      dependsOn: ['health'],
      options: {
        required: ['http_requests_total{route="/v1/events"}', 'http_request_duration_seconds_count{route="/v1/events"}', 'process_start_time_seconds'],
        deltas: [{ series: 'pilot_events_ingested_total', minIncrease: 400 }],
      },
    },
  },

  stages: [
    { name: 'smoke', checks: ['health', 'auth-csrf', 'security-csrf', 'stripe-webhook-unsigned', 'notify-outbox'], failPolicy: 'fail-fast' },
    {
      name: 'go-live',
      checks: [
        'canary',
        'probe-live',
        'probe-ready',
        'probe-startup',
        'probe-detailed',
        'metrics',
        'flags',
        'security-headers',
        'exposure',
        'ingest-unsigned',
        'ingest-no-auth',
        'provider-config',
      ],
      failPolicy: 'continue',
    },
    { name: 'load', checks: ['dedup-load', 'metrics-ingest'], failPolicy: 'continue' },
  ],
});
