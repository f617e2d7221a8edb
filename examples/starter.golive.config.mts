// golive.config.mts: the go-live gate of this service.
// Run it with `npx golive run`. Exit codes: 0 GO, 1 NO-GO, 2 usage or config error, 3 INCONCLUSIVE.
// Every field: `npx golive schema` and docs/configuration.md; every check kind: docs/checks.md.
// The import is for types only (editors check the config with it); nothing is loaded from golive at run time.
import type { GoliveConfig } from 'golive';

export default {
  // Start from a preset (recommended, contracts, stage3, stage4); entries below add to it or override it by id.
  // preset: 'recommended',

  target: {
    // The service to check. --url, GOLIVE_BASE_URL or PROD_URL override it.
    baseUrl: 'http://127.0.0.1:8000',
    // Sent with every request. Values are redacted from every output and artifact.
    // headers: { authorization: `Bearer ${process.env.API_TOKEN}` },
    // Timeout of one request (S4_TIMEOUT in seconds or --timeout override it).
    timeoutMs: 5000,
    // Let golive start the service, wait for readyUrl to answer 2xx, and stop it at the end:
    // start: { command: 'npm start', readyUrl: '/health', timeoutMs: 30_000 },
  },

  checks: {
    // level: 'error' gates the verdict (default), 'warn' is reported only, 'off' is not run.
    health: { kind: 'health' },
    // 5 pings 300 ms apart, every one 2xx, p95 under 1000 ms (nearest rank).
    canary: { kind: 'canary', dependsOn: ['health'] },
    // A Content-Security-Policy on /; report-only alone is a warning.
    'security-headers': { kind: 'security-headers' },
    // Stripe / email provider settings; enforced when EXPECT_LIVE=1 unless ALLOW_PROVIDER_MOCK=1.
    'provider-config': { kind: 'provider-config', level: 'warn' },
  },

  // Stages run in order. fail-fast stops at the first error-level failure; continue runs on.
  stages: [
    { name: 'smoke', checks: ['health'], failPolicy: 'fail-fast' },
    { name: 'go-live', checks: ['canary', 'security-headers', 'provider-config'], failPolicy: 'continue' },
  ],

  // Extra environment variables whose values must never appear in output (secret-looking ones are automatic).
  // secrets: ['MY_PARTNER_TOKEN'],
} satisfies GoliveConfig;
