import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type pino from 'pino';
import type { PilotConfig } from './config.ts';
import { type Db, openDatabase } from './db/index.ts';
import { classifyDatabaseError } from './db/errors.ts';
import { isDatabaseDataError } from './lib/db-errors.ts';
import { sendError, ServiceUnavailableError } from './lib/http-errors.ts';
import { checkJsonBody, JsonBodyError } from './lib/json-guard.ts';
import { clientErrorHandler, SECURITY_HEADER_OBJECT, SECURITY_HEADERS, securityHeadersMiddleware } from './lib/security-headers.ts';
import { SIGNATURE_TOLERANCE_SEC } from './lib/signature.ts';
import { createLogger } from './logger.ts';
import { createMetrics, registerHttpMetrics } from './plugins/metrics.ts';
import { type RateLimits, registerRateLimits } from './plugins/rate-limit.ts';
import { eventRoutes } from './routes/events.ts';
import { healthRoutes } from './routes/health.ts';
import { stripeRoutes } from './routes/stripe.ts';
import { webRoutes } from './routes/web.ts';
import { adminRoutes } from './routes/admin.ts';
import { EnrichmentWorker } from './services/enrichment.ts';
import { ReconcileScheduler } from './services/reconcile.ts';
import { readFlags } from './services/flags.ts';
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
export {
  DatabaseUnavailableError,
  DataDirLockedError,
  type Db,
  isDatabaseUnavailable,
  openDatabase,
  UnsafeDatabaseRoleError,
} from './db/index.ts';
export { ServiceUnavailableError } from './lib/http-errors.ts';
export { computeSignature, computeSignatureV2, parseSignatureHeader, signRequest, verifySignature } from './lib/signature.ts';
export { createLogger } from './logger.ts';
export { enrichEvent, EnrichmentWorker, requeueDeadLetters } from './services/enrichment.ts';
export { changeFlags, type Flags, readFlags } from './services/flags.ts';
export { driftRatio, reconcile } from './services/reconcile.ts';
export { createTenant, hashApiKey, upsertTenant } from './services/tenants.ts';
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
    // Answered by an onRequest hook below, with the security headers (fastify's own has none).
    return503OnClosing: false,
    // Parser errors (400 bad framing, 431, 408 timeouts) are written on the raw socket: with pilot's headers.
    clientErrorHandler,
    // Node checks header and request timeouts every connectionsCheckingInterval (default 30 s), so a
    // timeout fired up to 30 s late. Checking every 250 ms (at most a quarter of the smallest allowed
    // timeout) makes each fire within a second of its value; the check walks the open connections only.
    http: { connectionsCheckingInterval: 250 },
    // A bad URL (400) or an over-long path parameter (414) is answered before any hook: add the headers
    // here, and never echo the path (it may be kilobytes long, and it is the client's bytes).
    // They count against the client address's budget like 404s.
    frameworkErrors: (err, req, reply) => {
      securityHeadersMiddleware(req.raw, reply.raw, () => {});
      reply.header('x-request-id', req.id);
      const answer = () =>
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? sendError(reply, 414, 'uri_too_long', 'a path segment is too long')
          : sendError(reply, 400, 'bad_url', 'the URL is not valid');
      const limits = (app as FastifyInstance & { pilot?: { rateLimits?: RateLimits } }).pilot?.rateLimits;
      if (!limits) return answer();
      limits.limitAnonymous(req, reply).then(
        (limited) => {
          if (!limited) answer();
        },
        () => answer(),
      );
    },
    forceCloseConnections: 'idle',
    // A hop count becomes fastify's function form: trust the nearest N proxies.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (_address: string, hop: number) => hop < (config.trustProxy as number)
        : config.trustProxy,
  });
  app.server.headersTimeout = config.headersTimeoutMs;
  // `Expect` other than 100-continue: Node answers 417 itself, bare, unless someone listens.
  app.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdFrom(req);
    const body = JSON.stringify({ error: 'expectation_failed', message: 'unsupported Expect header', requestId });
    res.writeHead(417, [
      ...SECURITY_HEADERS.flat(),
      'x-request-id',
      requestId,
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(body)),
      'connection',
      'close',
    ]);
    res.end(body);
  });

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
      enrichment: new EnrichmentWorker(db, metrics, {
        pollIntervalMs: config.enrichPollIntervalMs,
        batchSize: config.enrichBatchSize,
        log: logger,
      }),
      reconcileScheduler: new ReconcileScheduler(db, metrics, {
        intervalSec: config.reconcileIntervalSec,
        windowSec: config.reconcileWindowSec,
        lagAllowedSec: config.reconcileLagSec,
        driftThreshold: config.reconcileDriftThreshold,
        log: logger,
      }),
      notifier: createNotifier(db, { mode: config.notifyMode, smtpUrl: config.smtpUrl, emailFrom: config.emailFrom }),
      state,
      version: PILOT_VERSION,
      // Set once the limiter is registered below (its hook must run after the security headers').
      rateLimits: undefined as unknown as RateLimits,
    });
    app.decorateRequest('tenant', null);
    app.decorateRequest('rawBody', null);
    app.decorateRequest('jsonBodyProblem', null);

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

    // fastify's own 503 while closing is written before any hook, without security headers or request id:
    // it is turned off (return503OnClosing: false) and answered here instead, from the moment close starts.
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    // The first onRequest hook, synchronous (no promise per request): the request id and the security
    // headers on every answer fastify writes (404, 413 and 429 included, as the hook runs first), then the
    // 503 while closing.
    app.addHook('onRequest', (req, reply, next) => {
      reply.header('x-request-id', req.id);
      reply.headers(SECURITY_HEADER_OBJECT);
      if (!closing) return next();
      reply.header('connection', 'close').header('retry-after', '5');
      sendError(reply, 503, 'shutting_down', 'the server is shutting down; retry on another instance');
    });
    await app.register(cookie);
    const rateLimits = await registerRateLimits(app, {
      config,
      registry: metrics.registry,
      ...(options.rateLimitNameSpace ? { nameSpace: options.rateLimitNameSpace } : {}),
      log: logger,
    });
    app.pilot.rateLimits = rateLimits;
    registerHttpMetrics(app, metrics);

    app.setNotFoundHandler((req, reply) => {
      // The path is the client's bytes: echo a bounded prefix only.
      const path = (req.url.split('?', 1)[0] ?? '').slice(0, 128);
      return sendError(reply, 404, 'not_found', `no route ${req.method} ${path}`);
    });
    app.setErrorHandler((err: FastifyError, req, reply) => {
      // A dependency that is down or saturated (database timeouts and lost connections, a full queue):
      // 503 with Retry-After on every route, never "500 internal".
      const unavailable = err instanceof ServiceUnavailableError ? err : classifyDatabaseError(err);
      if (unavailable instanceof ServiceUnavailableError) {
        req.log.warn({ err: { message: unavailable.message, code: unavailable.errorCode } }, 'service unavailable');
        reply.header('retry-after', String(unavailable.retryAfterSec));
        return sendError(reply, 503, unavailable.errorCode, unavailable.message);
      }
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
    await app.register(adminRoutes);

    metrics.syncEnabled.set((await readFlags(db)).syncEnabled ? 1 : 0);
    // Background work: the enrichment worker and the scheduled reconcile (leader by advisory lock).
    if (config.enrichWorker) app.pilot.enrichment.start();
    if (config.reconcileIntervalSec > 0) await app.pilot.reconcileScheduler.start();

    // Seen signatures only matter inside the tolerance window; prune older ones now and then.
    const pruneTimer = setInterval(() => {
      pruneSeenSignatures(db, SIGNATURE_TOLERANCE_SEC * 2).catch((err: Error) =>
        logger.warn({ err: { message: err.message } }, 'pruning seen signatures failed'),
      );
    }, 60_000);
    pruneTimer.unref();

    app.addHook('onClose', async () => {
      clearInterval(pruneTimer);
      await app.pilot.enrichment.stop();
      await app.pilot.reconcileScheduler.stop();
      app.pilot.notifier.close();
      await rateLimits.close();
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
