import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** Deployment environments pilot knows; production turns several defaults into requirements. */
export const APP_ENVS = ['development', 'staging', 'production', 'test'] as const;

/** The environment values pilot treats as secrets: never logged, never printed in errors. */
export const SECRET_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_SIGNING_SECRET',
  'STRIPE_SECRET_KEY',
  'SMTP_URL',
  'ADMIN_TOKEN',
  'OPS_TOKEN',
  'PILOT_BOOTSTRAP_API_KEY',
  'PILOT_BOOTSTRAP_SIGNING_SECRET',
] as const;

const intFromEnv = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const urlWithProtocols = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `expected a URL with protocol ${protocols.join(' or ')}`);

/**
 * First day (00:00 UTC) on which ingest refuses `X-Signature` headers carrying only the legacy `v1`
 * (which does not sign the Idempotency-Key). About two releases after v2 shipped; SIGNATURE_V1_SUNSET moves it.
 */
export const DEFAULT_SIGNATURE_V1_SUNSET = '2027-03-01';

/**
 * Schema of every environment variable pilot reads. Keys are the variable names; `.env.example`
 * and docs/CONFIGURATION.md list exactly these keys (a test keeps them in sync).
 */
export const envSchema = z.object({
  APP_ENV: z.enum(APP_ENVS).default('development'),
  PORT: intFromEnv(0, 65535).default(8000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  TRUST_PROXY: z
    .string()
    .trim()
    .regex(
      /^(true|false|\d{1,2}|[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*)$/,
      'expected true, false, a hop count, or a comma-separated list of proxy addresses/CIDRs',
    )
    .default('false'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: urlWithProtocols(['postgres:', 'postgresql:']).optional(),
  DATABASE_POOL_MAX: intFromEnv(1, 200).default(10),
  INGEST_BATCH_MAX: intFromEnv(1, 1000).default(64),
  INGEST_QUEUE_MAX: intFromEnv(1, 1_000_000).default(1000),
  PILOT_DATA_DIR: z.string().trim().min(1).optional(),
  REDIS_URL: urlWithProtocols(['redis:', 'rediss:']).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().trim().startsWith('whsec_', 'expected a value starting with whsec_').optional(),
  STRIPE_SIGNING_SECRET: z.string().trim().startsWith('whsec_', 'expected a value starting with whsec_').optional(),
  STRIPE_SECRET_KEY: z
    .string()
    .trim()
    .regex(/^(sk|rk)_(test|live)_/, 'expected a value starting with sk_test_, sk_live_, rk_test_ or rk_live_')
    .optional(),
  // No default here: production must choose (a mock outbox in production keeps personal data in a table).
  NOTIFY_MODE: z.enum(['mock', 'smtp']).optional(),
  SMTP_URL: urlWithProtocols(['smtp:', 'smtps:']).optional(),
  EMAIL_FROM: z.email('expected an e-mail address').optional(),
  ADMIN_TOKEN: z.string().min(24, 'expected at least 24 characters').optional(),
  OPS_TOKEN: z.string().min(24, 'expected at least 24 characters').optional(),
  SIGNATURE_V1_SUNSET: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), 'expected a valid calendar date')
    .default(DEFAULT_SIGNATURE_V1_SUNSET),
  RATE_LIMIT_MAX: intFromEnv(1, 1_000_000).default(600),
  RATE_LIMIT_WINDOW_MS: intFromEnv(100, 86_400_000).default(60_000),
  BODY_LIMIT_BYTES: intFromEnv(64, 100 * 1024 * 1024).default(64 * 1024),
  JSON_MAX_BYTES: intFromEnv(64, 100 * 1024 * 1024).optional(),
  JSON_MAX_DEPTH: intFromEnv(1, 1000).default(64),
  REQUEST_TIMEOUT_MS: intFromEnv(1000, 600_000).default(30_000),
  HEADERS_TIMEOUT_MS: intFromEnv(1000, 600_000).default(10_000),
  KEEP_ALIVE_TIMEOUT_MS: intFromEnv(1000, 600_000).default(72_000),
  DRAIN_DELAY_MS: intFromEnv(0, 600_000).default(5_000),
  SHUTDOWN_GRACE_MS: intFromEnv(1000, 600_000).default(25_000),
  PILOT_BOOTSTRAP_TENANT: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 characters of A-Z a-z 0-9 _ . -')
      .optional(),
  ),
  PILOT_BOOTSTRAP_API_KEY: optionalString.pipe(z.string().min(16, 'expected at least 16 characters').optional()),
  PILOT_BOOTSTRAP_SIGNING_SECRET: optionalString.pipe(
    z.string().min(16, 'expected at least 16 characters').optional(),
  ),
  PILOT_BOOTSTRAP_KEY_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{1,32}$/, 'expected 1-32 characters of A-Z a-z 0-9 _ . -')
    .default('k1'),
  // --- behaviour under faults and hostile clients (kept together; see docs/CONFIGURATION.md) ---
  DATABASE_QUERY_TIMEOUT_MS: intFromEnv(100, 600_000).default(5_000),
  DATABASE_ACQUIRE_TIMEOUT_MS: intFromEnv(50, 600_000).default(2_000),
  REDIS_COMMAND_TIMEOUT_MS: intFromEnv(10, 60_000).default(100),
  REDIS_RETRY_INTERVAL_MS: intFromEnv(100, 600_000).default(2_000),
  RATE_LIMIT_IP_MAX: intFromEnv(1, 100_000_000).optional(),
  AUTH_FAILURE_MAX: intFromEnv(1, 1_000_000).default(20),
  // --- operations: enrichment worker and reconciliation ---
  ENRICH_WORKER: z.enum(['on', 'off']).default('on'),
  ENRICH_POLL_INTERVAL_MS: intFromEnv(50, 600_000).default(1_000),
  ENRICH_BATCH_SIZE: intFromEnv(1, 1000).default(100),
  RECONCILE_INTERVAL_SEC: intFromEnv(0, 604_800).default(86_400),
  RECONCILE_WINDOW_SEC: intFromEnv(60, 31_622_400).default(86_400),
  RECONCILE_LAG_SEC: intFromEnv(0, 86_400).default(300),
  RECONCILE_DRIFT_THRESHOLD: z
    .string()
    .trim()
    .regex(/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/, 'expected a ratio between 0 and 1 (e.g. 0.01)')
    .transform(Number)
    .default(0.01),
});

/** The parsed environment: one typed value per variable of {@link envSchema}. */
type Env = z.infer<typeof envSchema>;

/** Names of every variable the schema knows, in declaration order. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** Parsed, validated configuration: what `buildApp` receives. */
export interface PilotConfig {
  appEnv: (typeof APP_ENVS)[number];
  port: number;
  host: string;
  /** Fastify `trustProxy`: whether (and which) X-Forwarded-For hops to believe for the client IP. */
  trustProxy: boolean | number | string[];
  logLevel: string;
  /** PostgreSQL connection string; when unset pilot embeds PGlite. */
  databaseUrl: string | undefined;
  databasePoolMax: number;
  /** Most concurrent ingests committed in one transaction (group commit); 1 = one transaction each. */
  ingestBatchMax: number;
  /** Most ingests waiting for a batch; more are answered 503 with Retry-After. */
  ingestQueueMax: number;
  /** PGlite data directory; `memory://` keeps everything in memory. */
  dataDir: string;
  redisUrl: string | undefined;
  stripeWebhookSecret: string | undefined;
  stripeSecretKey: string | undefined;
  notifyMode: 'mock' | 'smtp';
  smtpUrl: string | undefined;
  emailFrom: string | undefined;
  adminToken: string;
  /** True when ADMIN_TOKEN was generated at boot (development only): the admin API is then unusable. */
  adminTokenGenerated: boolean;
  /** Read-only token of the operator endpoints (`/health/detailed`, `/api/notify/outbox`). */
  opsToken: string | undefined;
  /**
   * Whether the operator endpoints require `Authorization: Bearer <OPS_TOKEN or ADMIN_TOKEN>`: always in
   * production, and wherever OPS_TOKEN is set.
   */
  opsEndpointsProtected: boolean;
  /** Unix seconds from which a v1-only ingest signature is refused (SIGNATURE_V1_SUNSET, 00:00 UTC). */
  signatureV1SunsetSec: number;
  rateLimitMax: number;
  rateLimitWindowMs: number;
  bodyLimitBytes: number;
  /** Largest JSON body accepted (default and upper bound: bodyLimitBytes). */
  jsonMaxBytes: number;
  /** Deepest nesting of arrays and objects accepted in a JSON body. */
  jsonMaxDepth: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  drainDelayMs: number;
  shutdownGraceMs: number;
  bootstrap: { tenantId: string; apiKey: string; signingSecret: string; keyId: string } | undefined;
  // --- behaviour under faults and hostile clients ---
  /** Client-side limit of one database statement; PostgreSQL's statement_timeout is set to it too. */
  databaseQueryTimeoutMs: number;
  /** Longest wait for a database connection (pool acquire and connect; PGlite's single connection). */
  databaseAcquireTimeoutMs: number;
  /** Longest wait for one rate-limit command to Redis before the circuit opens. */
  redisCommandTimeoutMs: number;
  /** While the Redis circuit is open, how often it is probed to close it again. */
  redisRetryIntervalMs: number;
  /** Requests per window per client address before authentication (`/v1/*`) and on unknown routes. */
  rateLimitIpMax: number;
  /** Failed authentications per window per client address; past it `/v1/*` answers 429 without a lookup. */
  authFailureMax: number;
  // --- operations ---
  /** Whether this instance runs the background enrichment worker. */
  enrichWorker: boolean;
  /** Pause of the worker between passes that found no due work. */
  enrichPollIntervalMs: number;
  /** Events claimed per tenant per worker transaction. */
  enrichBatchSize: number;
  /** Interval of the scheduled reconcile (seconds); 0 turns the schedule off (the CLI still works). */
  reconcileIntervalSec: number;
  /** Window of the scheduled reconcile, ending at the time of the run. */
  reconcileWindowSec: number;
  /** Allowed enrichment lag: events younger than this are not counted by reconcile. */
  reconcileLagSec: number;
  /** Drift ratio above which a reconcile run's outcome is `drift`. */
  reconcileDriftThreshold: number;
}

/** One problem found in the environment: the variable and what was expected. Never the value. */
export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Thrown by {@link loadConfig} when the environment is invalid; carries every problem at once. */
export class ConfigError extends Error {
  readonly code = 'PILOT_ERR_CONFIG';
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Result of {@link parseConfig}: a union so callers must look at the issues. */
export type ParseConfigResult = { ok: true; config: PilotConfig } | { ok: false; issues: ConfigIssue[] };

/**
 * Validates an environment (default `process.env`) and returns the typed configuration or the
 * complete list of problems. Issue messages name variables and expectations, never values, so they
 * can be printed safely even when a secret is malformed.
 */
export function parseConfig(env: Record<string, string | undefined> = process.env): ParseConfigResult {
  const input: Record<string, string> = {};
  for (const key of CONFIG_VARIABLES) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  // Cross-variable rules that need no parsing run first, so one run reports every problem.
  const issues: ConfigIssue[] = [];
  const bootNames = ['PILOT_BOOTSTRAP_TENANT', 'PILOT_BOOTSTRAP_API_KEY', 'PILOT_BOOTSTRAP_SIGNING_SECRET'];
  const bootMissing = bootNames.filter((n) => input[n] === undefined || input[n]?.trim() === '');
  if (bootMissing.length > 0 && bootMissing.length < bootNames.length) {
    for (const m of bootMissing) {
      issues.push({
        variable: m,
        message: `required when any of ${bootNames.join(', ')} is set (all three or none)`,
      });
    }
  }
  // Each variable is parsed on its own, and the cross-variable rules below run on whatever parsed, so one
  // run names every problem (a malformed PORT does not hide a missing ADMIN_TOKEN).
  const v: Partial<Env> = {};
  for (const key of Object.keys(envSchema.shape) as (keyof Env)[]) {
    const r = envSchema.shape[key].safeParse(input[key]);
    if (r.success) (v as Record<string, unknown>)[key] = r.data;
    else {
      for (const i of r.error.issues) {
        issues.push({
          variable: key,
          // zod messages for type errors can quote the received value; keep only the expectation.
          message: i.code === 'invalid_value' || i.code === 'invalid_type' ? describeExpectation(i) : i.message,
        });
      }
    }
  }
  /** Whether the variable was given at all (even if malformed: a malformed value is not also "missing"). */
  const given = (name: keyof Env) => input[name] !== undefined;
  const production = v.APP_ENV === 'production';

  if (v.STRIPE_WEBHOOK_SECRET && v.STRIPE_SIGNING_SECRET && v.STRIPE_WEBHOOK_SECRET !== v.STRIPE_SIGNING_SECRET) {
    issues.push({
      variable: 'STRIPE_SIGNING_SECRET',
      message: 'differs from STRIPE_WEBHOOK_SECRET (it is an alias): set only one',
    });
  }
  const stripeWebhookSecret = v.STRIPE_WEBHOOK_SECRET ?? v.STRIPE_SIGNING_SECRET;
  if (v.NOTIFY_MODE === 'smtp') {
    if (!given('SMTP_URL')) issues.push({ variable: 'SMTP_URL', message: 'required when NOTIFY_MODE=smtp' });
    if (!given('EMAIL_FROM')) issues.push({ variable: 'EMAIL_FROM', message: 'required when NOTIFY_MODE=smtp' });
  }
  if (production) {
    if (!given('ADMIN_TOKEN')) issues.push({ variable: 'ADMIN_TOKEN', message: 'required when APP_ENV=production' });
    if (!given('NOTIFY_MODE'))
      issues.push({ variable: 'NOTIFY_MODE', message: 'required when APP_ENV=production (mock or smtp, chosen explicitly)' });
    if (!given('STRIPE_WEBHOOK_SECRET') && !given('STRIPE_SIGNING_SECRET'))
      issues.push({ variable: 'STRIPE_WEBHOOK_SECRET', message: 'required when APP_ENV=production' });
    if (!given('DATABASE_URL') && !given('PILOT_DATA_DIR'))
      issues.push({
        variable: 'DATABASE_URL',
        message: 'required when APP_ENV=production (or set PILOT_DATA_DIR to choose the embedded data directory)',
      });
    if (v.PILOT_DATA_DIR === 'memory://')
      issues.push({ variable: 'PILOT_DATA_DIR', message: 'memory:// loses data at restart; not allowed in production' });
  }
  if (v.JSON_MAX_BYTES !== undefined && v.BODY_LIMIT_BYTES !== undefined && v.JSON_MAX_BYTES > v.BODY_LIMIT_BYTES) {
    issues.push({ variable: 'JSON_MAX_BYTES', message: 'must not exceed BODY_LIMIT_BYTES' });
  }
  if (v.HEADERS_TIMEOUT_MS !== undefined && v.REQUEST_TIMEOUT_MS !== undefined && v.HEADERS_TIMEOUT_MS > v.REQUEST_TIMEOUT_MS) {
    issues.push({ variable: 'HEADERS_TIMEOUT_MS', message: 'must not exceed REQUEST_TIMEOUT_MS' });
  }
  if (v.DRAIN_DELAY_MS !== undefined && v.SHUTDOWN_GRACE_MS !== undefined && v.DRAIN_DELAY_MS >= v.SHUTDOWN_GRACE_MS) {
    issues.push({ variable: 'DRAIN_DELAY_MS', message: 'must be smaller than SHUTDOWN_GRACE_MS' });
  }
  if (issues.length > 0) return { ok: false, issues };
  // Every variable parsed (or an issue was returned above).
  const e = v as Env;

  return {
    ok: true,
    config: {
      appEnv: e.APP_ENV,
      port: e.PORT,
      host: e.HOST,
      trustProxy: parseTrustProxy(e.TRUST_PROXY),
      logLevel: e.LOG_LEVEL,
      databaseUrl: e.DATABASE_URL,
      databasePoolMax: e.DATABASE_POOL_MAX,
      ingestBatchMax: e.INGEST_BATCH_MAX,
      ingestQueueMax: e.INGEST_QUEUE_MAX,
      dataDir: e.PILOT_DATA_DIR ?? (e.APP_ENV === 'test' ? 'memory://' : '.pilot-data'),
      redisUrl: e.REDIS_URL,
      stripeWebhookSecret,
      stripeSecretKey: e.STRIPE_SECRET_KEY,
      notifyMode: e.NOTIFY_MODE ?? 'mock',
      smtpUrl: e.SMTP_URL,
      emailFrom: e.EMAIL_FROM,
      // A generated token is never printed: nobody can use the admin API until ADMIN_TOKEN is set.
      adminToken: e.ADMIN_TOKEN ?? randomBytes(32).toString('base64url'),
      adminTokenGenerated: e.ADMIN_TOKEN === undefined,
      opsToken: e.OPS_TOKEN,
      opsEndpointsProtected: production || e.OPS_TOKEN !== undefined,
      signatureV1SunsetSec: Date.parse(`${e.SIGNATURE_V1_SUNSET}T00:00:00Z`) / 1000,
      rateLimitMax: e.RATE_LIMIT_MAX,
      rateLimitWindowMs: e.RATE_LIMIT_WINDOW_MS,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      jsonMaxBytes: e.JSON_MAX_BYTES ?? e.BODY_LIMIT_BYTES,
      jsonMaxDepth: e.JSON_MAX_DEPTH,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
      drainDelayMs: e.DRAIN_DELAY_MS,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      bootstrap:
        e.PILOT_BOOTSTRAP_TENANT && e.PILOT_BOOTSTRAP_API_KEY && e.PILOT_BOOTSTRAP_SIGNING_SECRET
          ? {
              tenantId: e.PILOT_BOOTSTRAP_TENANT,
              apiKey: e.PILOT_BOOTSTRAP_API_KEY,
              signingSecret: e.PILOT_BOOTSTRAP_SIGNING_SECRET,
              keyId: e.PILOT_BOOTSTRAP_KEY_ID,
            }
          : undefined,
      databaseQueryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
      databaseAcquireTimeoutMs: e.DATABASE_ACQUIRE_TIMEOUT_MS,
      redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
      redisRetryIntervalMs: e.REDIS_RETRY_INTERVAL_MS,
      // Several tenants may call from one address (NAT, a shared gateway): by default the address
      // budget holds four tenants' budgets, so it only stops what no tenant limit would.
      rateLimitIpMax: e.RATE_LIMIT_IP_MAX ?? Math.min(100_000_000, e.RATE_LIMIT_MAX * 4),
      authFailureMax: e.AUTH_FAILURE_MAX,
      enrichWorker: e.ENRICH_WORKER === 'on',
      enrichPollIntervalMs: e.ENRICH_POLL_INTERVAL_MS,
      enrichBatchSize: e.ENRICH_BATCH_SIZE,
      reconcileIntervalSec: e.RECONCILE_INTERVAL_SEC,
      reconcileWindowSec: e.RECONCILE_WINDOW_SEC,
      reconcileLagSec: e.RECONCILE_LAG_SEC,
      reconcileDriftThreshold: e.RECONCILE_DRIFT_THRESHOLD,
    },
  };
}

function parseTrustProxy(v: string): boolean | number | string[] {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((x) => x.trim());
}

function describeExpectation(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  return issue.message;
}

/** Like {@link parseConfig} but throws a {@link ConfigError} listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env): PilotConfig {
  const r = parseConfig(env);
  if (!r.ok) throw new ConfigError(r.issues);
  return r.config;
}

/**
 * A view of the configuration safe to log: secrets become `"[set]"` or `"[unset]"`, URLs lose their
 * credentials. Used for the start-up log line and `/health/detailed`.
 */
export function sanitizeConfig(c: PilotConfig): Record<string, unknown> {
  const flag = (v: string | undefined) => (v ? '[set]' : '[unset]');
  return {
    appEnv: c.appEnv,
    port: c.port,
    host: c.host,
    trustProxy: c.trustProxy,
    logLevel: c.logLevel,
    database: c.databaseUrl ? `postgres ${redactUrl(c.databaseUrl)}` : `pglite ${c.dataDir}`,
    databasePoolMax: c.databasePoolMax,
    ingestBatchMax: c.ingestBatchMax,
    ingestQueueMax: c.ingestQueueMax,
    redis: c.redisUrl ? redactUrl(c.redisUrl) : '[unset: in-memory rate limit]',
    stripeWebhookSecret: flag(c.stripeWebhookSecret),
    stripeSecretKey: c.stripeSecretKey
      ? c.stripeSecretKey.includes('_live_')
        ? '[set: live]'
        : '[set: test]'
      : '[unset]',
    notifyMode: c.notifyMode,
    smtp: c.smtpUrl ? redactUrl(c.smtpUrl) : '[unset]',
    emailFrom: c.emailFrom ?? '[unset]',
    adminApi: c.adminTokenGenerated ? 'disabled (ADMIN_TOKEN unset)' : 'enabled (ADMIN_TOKEN set)',
    opsEndpoints: c.opsEndpointsProtected ? 'token required' : 'open (not production, OPS_TOKEN unset)',
    signatureV1Sunset: new Date(c.signatureV1SunsetSec * 1000).toISOString().slice(0, 10),
    rateLimitMax: c.rateLimitMax,
    rateLimitWindowMs: c.rateLimitWindowMs,
    bodyLimitBytes: c.bodyLimitBytes,
    jsonMaxBytes: c.jsonMaxBytes,
    jsonMaxDepth: c.jsonMaxDepth,
    requestTimeoutMs: c.requestTimeoutMs,
    headersTimeoutMs: c.headersTimeoutMs,
    keepAliveTimeoutMs: c.keepAliveTimeoutMs,
    drainDelayMs: c.drainDelayMs,
    shutdownGraceMs: c.shutdownGraceMs,
    bootstrapTenant: c.bootstrap ? { tenantId: c.bootstrap.tenantId, keyId: c.bootstrap.keyId } : '[unset]',
    databaseQueryTimeoutMs: c.databaseQueryTimeoutMs,
    databaseAcquireTimeoutMs: c.databaseAcquireTimeoutMs,
    redisCommandTimeoutMs: c.redisCommandTimeoutMs,
    redisRetryIntervalMs: c.redisRetryIntervalMs,
    rateLimitIpMax: c.rateLimitIpMax,
    authFailureMax: c.authFailureMax,
    enrichWorker: c.enrichWorker ? 'on' : 'off',
    enrichPollIntervalMs: c.enrichPollIntervalMs,
    enrichBatchSize: c.enrichBatchSize,
    reconcileIntervalSec: c.reconcileIntervalSec,
    reconcileWindowSec: c.reconcileWindowSec,
    reconcileLagSec: c.reconcileLagSec,
    reconcileDriftThreshold: c.reconcileDriftThreshold,
  };
}

/** Removes user and password from a URL; an unparsable value is hidden entirely. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.username) u.username = '***';
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparsable]';
  }
}
