import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import cookie from '@fastify/cookie';
import helmet from 'helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type pino from 'pino';
import type { PilotConfig } from './config.ts';
import { type Db, openDatabase } from './db/index.ts';
import { isDatabaseDataError } from './lib/db-errors.ts';
import { sendError } from './lib/http-errors.ts';
import { checkJsonBody, JsonBodyError } from './lib/json-guard.ts';
import { SIGNATURE_TOLERANCE_SEC } from './lib/signature.ts';
import { createLogger } from './logger.ts';
import { createMetrics, registerHttpMetrics } from './plugins/metrics.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { stripeRoutes } from './routes/stripe.ts';
import { webRoutes } from './routes/web.ts';
import { IngestQueue, pruneSeenSignatures } from './services/ingest.ts';
import { createNotifier } from './services/notifier.ts';
import { TenantDirectory, upsertTenant } from './services/tenants.ts';
import type { AppState } from './types.ts';

export {
  type ConfigIssue,
  ConfigError,
  CONFIG_VARIABLES,
  loadConfig,
  type PilotConfig,
  parseConfig,
  redactUrl,
  SECRET_VARIABLES,
  sanitizeConfig,
} from './config.ts';
export { type Db, openDatabase, UnsafeDatabaseRoleError } from './db/index.ts';
export { computeSignature, computeSignatureV2, parseSignatureHeader, signRequest, verifySignature } from './lib/signature.ts';
export { createLogger } from './logger.ts';
export { hashApiKey, upsertTenant } from './services/tenants.ts';
export type { AppState, PilotServices } from './types.ts';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  config: PilotConfig;
  /** A database to use instead of opening the configured one (tests); the app then does not close it. */
  db?: Db;
  /** Logger instance; `false` silences logging (tests). Default: JSON to stdout at config.logLevel. */
  logger?: pino.Logger | false;
  /** Shared lifecycle state; server.ts passes its own so signals can flip readiness. */
  state?: AppState;
  /** Redis key prefix of the rate-limit counters (tests isolate runs with it). */
  rateLimitNameSpace?: string;
  /** How long API-key lookups are cached (ms). */
  tenantCacheTtlMs?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Accepts a well-formed `X-Request-Id`; anything else (missing, malformed, oversized) is replaced. */
export function requestIdFrom(req: IncomingMessage): string {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
}

/** This package's version, from its package.json. */
export const PILOT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * Builds the pilot service without listening: storage opened and migrated, bootstrap tenant
 * applied, every plugin and route registered. `server.ts` adds listen and signals; tests use
 * `app.inject`.
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const logger = options.logger === false ? createLogger('silent') : (options.logger ?? createLogger(config.logLevel));
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Node's defaults leave slow clients holding sockets; fastify sets no request timeout at all.
    // Socket inactivity limit; above keep-alive so idle sockets are closed by the keep-alive rule.
    connectionTimeout: Math.max(config.requestTimeoutMs, config.keepAliveTimeoutMs) + 5_000,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    requestIdHeader: false,
    genReqId: requestIdFrom,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A hop count becomes fastify's function form: trust the nearest N proxies.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
  });
  app.server.headersTimeout = config.headersTimeoutMs;

  const ownsDb = options.db === undefined;
  const db = options.db ?? (await openDatabase(config, logger));
  try {
    if (config.bootstrap) {
      await upsertTenant(db, {
        tenantId: config.bootstrap.tenantId,
        apiKey: config.bootstrap.apiKey,
        signingSecret: config.bootstrap.signingSecret,
        keyId: config.bootstrap.keyId,
      });
    }
    const redis = config.redisUrl
      ? new Redis(config.redisUrl, { connectTimeout: 2_000, maxRetriesPerRequest: 1, lazyConnect: false })
      : undefined;
    redis?.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis error'));

    const metrics = createMetrics();
    const state = options.state ?? { shuttingDown: false, startedAt: Date.now() };
    app.decorate('pilot', {
      config,
      db,
      tenants: new TenantDirectory(db, options.tenantCacheTtlMs),
      ingest: new IngestQueue(db, {
        maxBatch: config.ingestBatchMax,
        maxQueued: config.ingestQueueMax,
        // Each running batch holds a pooled connection: leave half of the pool to the other routes.
        maxInFlight: db.kind === 'pglite' ? 1 : Math.max(1, Math.floor(config.databasePoolMax / 2)),
        onBatch: (n) => metrics.ingestBatchSize.observe(n),
      }),
      metrics,
      notifier: createNotifier(db, { mode: config.notifyMode, smtpUrl: config.smtpUrl, emailFrom: config.emailFrom }),
      state,
      version: PILOT_VERSION,
    });
    app.decorateRequest('tenant', null);
    app.decorateRequest('rawBody', null);
    app.decorateRequest('jsonBodyProblem', null);

    app.addHook('onRequest', async (req, reply) => {
      reply.header('x-request-id', req.id);
    });

    // One JSON parser for the whole app; it keeps the raw bytes for HMAC and Stripe verification.
    // Every other content type is answered 415 by fastify.
    const jsonParser = app.getDefaultJsonParser('error', 'error');
    const jsonLimits = { maxDepth: config.jsonMaxDepth, maxBytes: config.jsonMaxBytes };
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      const buf = body as Buffer;
      req.rawBody = buf;
      // What JSON.parse accepts but jsonb refuses (or what would hurt later) is a 400 without parsing. It is
      // raised from preValidation, not here: fastify closes the connection on a parser error (the client might
      // still be sending), while this body was read in full, so the connection can stay open.
      const problem = checkJsonBody(buf, jsonLimits);
      if (problem) {
        req.jsonBodyProblem = problem;
        return done(null, undefined);
      }
      jsonParser(req, buf.toString('utf8'), done);
    });

    app.addHook('preValidation', async (req) => {
      if (req.jsonBodyProblem) throw req.jsonBodyProblem;
    });

    // Helmet's middleware is built once here and applied to every answer (404, 413 and 429 included, as the
    // hook runs first). @fastify/helmet rebuilds the middleware, CSP parsing included, on every request:
    // about 6 % of a cheap route's CPU in a profile of /health/live.
    const securityHeaders = helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
        },
      },
      hsts: { maxAge: 31_536_000, includeSubDomains: true },
      // Agrees with frame-ancestors 'none' for browsers that only know X-Frame-Options.
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    });
    app.addHook('onRequest', (req, reply, next) => {
      securityHeaders(req.raw, reply.raw, (err?: unknown) => next(err instanceof Error ? err : undefined));
    });
    await app.register(cookie);
    await app.register(rateLimit, {
      global: true,
      max: config.rateLimitMax,
      timeWindow: config.rateLimitWindowMs,
      // After authentication, so an API's budget is its tenant's, whatever address it calls from.
      hook: 'preHandler',
      keyGenerator: (req) => (req.tenant ? `tenant:${req.tenant.tenantId}` : `ip:${req.ip}`),
      enableDraftSpec: true,
      ...(redis ? { redis, nameSpace: options.rateLimitNameSpace ?? 'pilot-ratelimit-' } : {}),
      // A Redis outage must not take the API down with it; limits resume when Redis is back.
      skipOnError: true,
    });
    registerHttpMetrics(app, metrics);

    app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?', 1)[0]}`));
    app.setErrorHandler((err: FastifyError, req, reply) => {
      // Client data the database refused despite validation is the client's problem, never a 5xx.
      if (isDatabaseDataError(err)) return sendError(reply, 400, 'body_unstorable', 'the database refused the request data');
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      if (status >= 500) {
        req.log.error({ err }, 'request failed');
        return sendError(reply, status === 503 ? 503 : 500, 'internal', 'internal error');
      }
      if (status === 429) return sendError(reply, 429, 'rate_limited', err.message);
      return sendError(reply, status, errorCode(err), err.message);
    });

    await app.register(healthRoutes);
    await app.register(webRoutes);
    await app.register(stripeRoutes);
    await app.register(eventRoutes);

    // Seen signatures only matter inside the tolerance window; prune older ones now and then.
    const pruneTimer = setInterval(() => {
      pruneSeenSignatures(db, SIGNATURE_TOLERANCE_SEC * 2).catch((err: Error) =>
        logger.warn({ err: { message: err.message } }, 'pruning seen signatures failed'),
      );
    }, 60_000);
    pruneTimer.unref();

    app.addHook('onClose', async () => {
      clearInterval(pruneTimer);
      app.pilot.notifier.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
      if (ownsDb) await db.close();
    });
    return app;
  } catch (err) {
    if (ownsDb) await db.close().catch(() => {});
    throw err;
  }
}

const FST_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'body_empty',
  FST_ERR_CTP_INVALID_JSON_BODY: 'body_invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'content_length_invalid',
};

function errorCode(err: FastifyError): string {
  if (err instanceof JsonBodyError) return err.code;
  if (err.code && FST_CODES[err.code]) return FST_CODES[err.code]!;
  // secure-json-parse refuses __proto__ / constructor.prototype keys with a SyntaxError.
  if (err instanceof SyntaxError) return 'body_invalid_json';
  return 'bad_request';
}
