import { createRequire } from 'node:module';
import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PilotConfig } from '../config.ts';
import { sendError } from '../lib/http-errors.ts';

// The plugin's own stores, reused: the Redis one (its Lua script) and the in-memory one (the fallback).
const require = createRequire(import.meta.url);
type StoreCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;
interface Store {
  incr(key: string, cb: StoreCallback, timeWindow: number, max: number): void;
  read(key: string, cb: StoreCallback, timeWindow: number, max: number): void;
}
type LocalStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, cache?: number) => Store;
type RedisStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key: string) => Store;
const LocalStore = require('@fastify/rate-limit/store/LocalStore') as LocalStoreCtor;
const RedisStore = require('@fastify/rate-limit/store/RedisStore') as RedisStoreCtor;

/** What `/health/detailed` and the metrics say about the limiter's counters. */
export interface RateLimitStatus {
  /** `memory`: no Redis configured; `redis`: shared counters; `memory-fallback`: Redis unavailable. */
  readonly store: 'memory' | 'redis' | 'memory-fallback';
  /** True while Redis is configured but not used (circuit open): limits are per instance. */
  readonly degraded: boolean;
  /** When the current state began (ms since epoch). */
  readonly since: number;
}

/**
 * A circuit breaker in front of Redis. Closed: counters live in Redis. Any failed or timed-out command,
 * or a lost connection, opens it at once; while open, requests count in process memory (limits still
 * apply, per instance) and never wait for Redis. Every `retryIntervalMs` a probe runs the real counter
 * script; its success (or a fresh connection becoming ready) closes the circuit.
 */
export class RedisCircuit {
  readonly #redis: Redis;
  readonly #retryIntervalMs: number;
  readonly #onChange: (open: boolean) => void;
  readonly #onError: (err: Error) => void;
  #open = true;
  #since = Date.now();
  #probe: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(redis: Redis, o: { retryIntervalMs: number; onChange: (open: boolean) => void; onError: (err: Error) => void }) {
    this.#redis = redis;
    this.#retryIntervalMs = o.retryIntervalMs;
    this.#onChange = o.onChange;
    this.#onError = o.onError;
    redis.on('ready', () => this.#setOpen(false));
    redis.on('close', () => this.failure(new Error('connection to Redis closed')));
    redis.on('error', (err: Error) => this.failure(err));
    // Open until the first connection is ready: nothing waits for it.
    if (redis.status === 'ready') this.#setOpen(false);
    else this.#scheduleProbe();
  }

  /** True while Redis is bypassed. */
  get open(): boolean {
    return this.#open;
  }

  /** When the current state began. */
  get since(): number {
    return this.#since;
  }

  /** Records a failed command (or connection); opens the circuit. */
  failure(err: Error): void {
    if (this.#closed) return;
    if (!this.#open) this.#onError(err);
    this.#setOpen(true);
  }

  /** Stops probing (app closing). */
  stop(): void {
    this.#closed = true;
    clearTimeout(this.#probe);
  }

  #setOpen(open: boolean): void {
    if (this.#closed) return;
    if (open === this.#open) {
      if (open) this.#scheduleProbe();
      return;
    }
    this.#open = open;
    this.#since = Date.now();
    this.#onChange(open);
    if (open) this.#scheduleProbe();
    else clearTimeout(this.#probe);
  }

  #scheduleProbe(): void {
    if (this.#probe !== undefined || this.#closed) return;
    this.#probe = setTimeout(() => {
      this.#probe = undefined;
      if (!this.#open || this.#closed) return;
      // The same script as real counting (a write), so a Redis that answers PING but refuses or pauses
      // writes does not close the circuit. commandTimeout bounds it.
      const redis = this.#redis as Redis & { rateLimit?: (...args: unknown[]) => Promise<unknown> };
      const attempt =
        this.#redis.status === 'ready' && redis.rateLimit
          ? redis.rateLimit('pilot-ratelimit-probe', 1_000, 1_000_000_000, false, false)
          : Promise.reject(new Error(`Redis ${this.#redis.status}`));
      attempt.then(
        () => this.#setOpen(false),
        () => this.#scheduleProbe(),
      );
    }, this.#retryIntervalMs);
    this.#probe.unref();
  }
}

/** Builds the @fastify/rate-limit store class: Redis behind the circuit, process memory otherwise. */
function circuitStore(redis: Redis | undefined, circuit: RedisCircuit | undefined, nameSpace: string) {
  return class CircuitStore implements Store {
    readonly #local: Store;
    readonly #redis: Store | undefined;
    readonly #prefix: string;

    constructor(params: { continueExceeding?: boolean; exponentialBackoff?: boolean }, prefix = nameSpace) {
      const continueExceeding = params.continueExceeding ?? false;
      const exponentialBackoff = params.exponentialBackoff ?? false;
      this.#prefix = prefix;
      this.#local = new LocalStore(continueExceeding, exponentialBackoff, 10_000);
      this.#redis = redis ? new RedisStore(continueExceeding, exponentialBackoff, redis, prefix) : undefined;
    }

    incr(key: string, cb: StoreCallback, timeWindow: number, max: number): void {
      this.#use('incr', key, cb, timeWindow, max);
    }

    read(key: string, cb: StoreCallback, timeWindow: number, max: number): void {
      this.#use('read', key, cb, timeWindow, max);
    }

    #use(op: 'incr' | 'read', key: string, cb: StoreCallback, timeWindow: number, max: number): void {
      if (!this.#redis || !circuit || circuit.open) {
        this.#local[op](key, cb, timeWindow, max);
        return;
      }
      this.#redis[op](
        key,
        (err, res) => {
          if (err) {
            circuit.failure(err);
            // This request is counted locally rather than not at all.
            this.#local[op](key, cb, timeWindow, max);
            return;
          }
          cb(null, res);
        },
        timeWindow,
        max,
      );
    }

    /** Per-route limits get their own counters, as with the plugin's stores. */
    child(routeOptions: { routeInfo?: { method?: string; url?: string }; continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      const url = routeOptions.routeInfo?.url;
      const prefix = url ? `${this.#prefix}${routeOptions.routeInfo?.method ?? ''}${url}-` : this.#prefix;
      return new CircuitStore(routeOptions, prefix);
    }
  };
}

/** Options of {@link registerRateLimits}. */
export interface RateLimitOptions {
  config: PilotConfig;
  registry: Registry;
  /** Redis key prefix of the counters (tests isolate runs with it). */
  nameSpace?: string;
  /** Where Redis problems are reported. */
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/** What the rest of the app uses from the limiter. */
export interface RateLimits {
  status(): RateLimitStatus;
  /**
   * Before an API-key lookup: whether this client address has used up its failed-authentication budget
   * (`AUTH_FAILURE_MAX` per window). Returns the seconds to wait, or undefined when it may try.
   */
  authBlocked(req: FastifyRequest): Promise<number | undefined>;
  /** Counts one failed authentication of this client address. */
  authFailed(req: FastifyRequest): Promise<void>;
  /**
   * Counts a request against the address budget (`RATE_LIMIT_IP_MAX`) outside the routes' own limits
   * (answers written by fastify before any hook, e.g. 414). Answers 429 and returns true when over it.
   */
  limitAnonymous(req: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  close(): Promise<void>;
}

interface LimitResult {
  isAllowed: boolean;
  isExceeded?: boolean;
  remaining?: number;
  max?: number;
  ttlInSeconds?: number;
}
type Limiter = (req: FastifyRequest, o?: { increment?: boolean }) => Promise<LimitResult>;

/**
 * Registers the rate limits:
 * - per tenant after authentication (or per client address on routes without one), in `preHandler`;
 * - per client address before authentication, in `onRequest`, on `/v1/*` and on unknown routes (404)
 *   (`RATE_LIMIT_IP_MAX`): an unauthenticated client never reaches the tenant limit, because auth
 *   answers 401 first;
 * - failed authentications per client address (`AUTH_FAILURE_MAX`): past it, `/v1/*` answers 429
 *   without looking the key up.
 * Counters are shared through Redis when `REDIS_URL` is set, behind a {@link RedisCircuit}: a Redis
 * outage costs a request at most `REDIS_COMMAND_TIMEOUT_MS`, once, and limits continue per instance.
 */
export async function registerRateLimits(app: FastifyInstance, o: RateLimitOptions): Promise<RateLimits> {
  const { config } = o;
  const circuitOpen = new Gauge({
    name: 'pilot_rate_limit_redis_circuit_open',
    help: '1 while Redis is unavailable and rate limits are counted per instance (circuit open), 0 otherwise',
    registers: [o.registry],
  });
  const redisErrors = new Counter({
    name: 'pilot_rate_limit_redis_failures_total',
    help: 'Times the Redis circuit opened (failed or timed-out command, lost connection)',
    registers: [o.registry],
  });

  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        connectTimeout: 2_000,
        // A hung Redis (CLIENT PAUSE, a frozen host) costs one request this much, then the circuit opens.
        commandTimeout: config.redisCommandTimeoutMs,
        // Commands fail at once while disconnected instead of queueing until Redis returns.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        autoResendUnfulfilledCommands: false,
        retryStrategy: (times: number) => Math.min(times * 200, 2_000),
      })
    : undefined;
  // At boot, give the first connection a moment so the first requests already share counters; an
  // unreachable Redis delays boot by at most this, never a request.
  if (redis) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done).off('error', done).off('end', done);
        resolve();
      };
      const timer = setTimeout(done, 1_000);
      redis.once('ready', done).once('error', done).once('end', done);
    });
  }
  const circuit = redis
    ? new RedisCircuit(redis, {
        retryIntervalMs: config.redisRetryIntervalMs,
        onChange: (open) => {
          circuitOpen.set(open ? 1 : 0);
          if (open) o.log.warn({}, 'rate limit: Redis unavailable, counting per instance until it is back');
          else o.log.info({}, 'rate limit: Redis available, counters shared again');
        },
        onError: (err) => {
          redisErrors.inc();
          o.log.warn({ err: { message: err.message } }, 'redis error');
        },
      })
    : undefined;
  circuitOpen.set(circuit?.open ? 1 : 0);

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitMax,
    timeWindow: config.rateLimitWindowMs,
    // After authentication, so an API's budget is its tenant's, whatever address it calls from.
    hook: 'preHandler',
    keyGenerator: (req) => (req.tenant ? `tenant:${req.tenant.tenantId}` : `ip:${req.ip}`),
    enableDraftSpec: true,
    store: circuitStore(redis, circuit, o.nameSpace ?? 'pilot-ratelimit-') as unknown as FastifyRateLimitStoreCtor,
    // The store never fails (it falls back to memory); kept so a bug there cannot take the API down.
    skipOnError: true,
  });
  const create = (app as unknown as { createRateLimit: (opts: object) => Limiter }).createRateLimit;
  const addressLimit = create({
    max: config.rateLimitIpMax,
    timeWindow: config.rateLimitWindowMs,
    keyGenerator: (req: FastifyRequest) => `addr:${req.ip}`,
  });
  const authFailures = create({
    max: config.authFailureMax,
    timeWindow: config.rateLimitWindowMs,
    keyGenerator: (req: FastifyRequest) => `authfail:${req.ip}`,
  });

  const tooMany = (reply: FastifyReply, r: LimitResult, error: string, message: string) => {
    reply
      .header('retry-after', String(Math.max(1, r.ttlInSeconds ?? 1)))
      .header('ratelimit-limit', String(r.max ?? 0))
      .header('ratelimit-remaining', '0')
      .header('ratelimit-reset', String(r.ttlInSeconds ?? 0));
    return sendError(reply, 429, error, message);
  };
  const limitAnonymous = async (req: FastifyRequest, reply: FastifyReply) => {
    const r = await addressLimit(req);
    if (!r.isExceeded) return false;
    tooMany(reply, r, 'rate_limited', 'too many requests from this address; retry later');
    return true;
  };

  // Before authentication: /v1/* (whose 401s would otherwise never be limited) and unknown routes.
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.rateLimit === false) return;
    if (!req.is404 && !req.url.startsWith('/v1/') && req.url !== '/v1') return;
    if (await limitAnonymous(req, reply)) return reply;
  });

  return {
    status: () => ({
      store: !circuit ? 'memory' : circuit.open ? 'memory-fallback' : 'redis',
      degraded: circuit?.open ?? false,
      since: circuit?.since ?? 0,
    }),
    authBlocked: async (req) => {
      const r = await authFailures(req, { increment: false });
      if (r.isAllowed || (r.remaining ?? 1) > 0) return undefined;
      return Math.max(1, r.ttlInSeconds ?? 1);
    },
    authFailed: async (req) => {
      await authFailures(req);
    },
    limitAnonymous,
    close: async () => {
      circuit?.stop();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
