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
        // The drain drill sends SIGTERM: a short drain delay keeps the main job short (pilot's default is 5 s).
        DRAIN_DELAY_MS: '300',
        SHUTDOWN_GRACE_MS: '8000',
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
        // pilot grades A+ (145 with the Observatory's algorithm 6) on /, its 404 and the API's 401.
        minGrade: 'A+',
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

    // ── contracts, proven from outside (they change state: run against this managed target, no opt-in needed)
    idempotency: {
      kind: 'idempotency',
      dependsOn: ['health'],
      options: {
        path: '/v1/events',
        headers: { authorization: `Bearer ${env.PILOT_BOOTSTRAP_API_KEY ?? ''}` },
        body: '{"type":"golive.probe","source":"golive","key":"{{key}}","variant":{{variant}}}',
        sign: pilotEvents.sign,
        createdStatus: 201,
        requireKey: true,
        effect: { type: 'count', path: '/v1/events?limit=1', jsonPath: 'count' },
      },
    },
    // The Stripe webhook, probed: missing, malformed, forged, stale, future-dated, altered and replayed events
    // refused (4xx, never 5xx), a valid one accepted once (supersedes the seed's unsigned-POST smoke request).
    webhook: { kind: 'webhook', options: { path: '/api/stripe/webhook', scheme: 'stripe' } },
    // pilot limits failed authentications per client address (AUTH_FAILURE_MAX, 20): a flood with a wrong key
    // must meet 429 at that budget, X-Forwarded-For must not reset it (TRUST_PROXY=false), never a 5xx.
    'rate-limit': {
      kind: 'rate-limit',
      options: {
        path: '/v1/events',
        headers: { authorization: 'Bearer pk_wrong_golive_probe' },
        maxRequests: 100,
        expect: { budget: 20 },
        recovery: { maxWaitMs: 2000 },
      },
    },

    // ── lifecycle drills on the managed target (they restart it; run last)
    startup: {
      kind: 'startup',
      options: {
        // Production makes these required; each case gets its own data directory and port.
        env: { APP_ENV: 'production', PORT: '0', PILOT_DATA_DIR: '{tmpDir}/data', LOG_LEVEL: 'warn' },
        required: ['ADMIN_TOKEN', 'STRIPE_WEBHOOK_SECRET', 'NOTIFY_MODE'],
        invalid: [
          { variable: 'PORT', value: 'not-a-port' },
          { variable: 'DATABASE_URL', value: 'not-a-url' },
        ],
        timeoutMs: 20_000,
      },
    },
    drain: { kind: 'drain', options: { path: '/health/live', ratePerSec: 50, leadMs: 500, graceMs: 10_000, readinessPath: '/health/ready' } },
    recovery: { kind: 'recovery', options: { path: '/health/ready', budgetMs: 60_000 } },

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
        // Supersedes a body-contains check: the page must parse as Prometheus would ingest it, and these exist.
        required: [
          'http_requests_total{route="/v1/events"}',
          'http_request_duration_seconds_count{route="/v1/events"}',
          'pilot_events_ingested_total',
          'process_start_time_seconds',
        ],
        deltas: [{ series: 'pilot_events_ingested_total', minIncrease: 400 }],
      },
    },
  },

  stages: [
    { name: 'smoke', checks: ['health', 'auth-csrf', 'security-csrf', 'notify-outbox'], failPolicy: 'fail-fast' },
    {
      name: 'go-live',
      checks: [
        'canary',
        'probe-live',
        'probe-ready',
        'probe-startup',
        'probe-detailed',
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
    { name: 'contracts', checks: ['webhook', 'idempotency', 'rate-limit'], failPolicy: 'continue' },
    { name: 'drills', checks: ['startup', 'drain', 'recovery'], failPolicy: 'continue' },
  ],
});
