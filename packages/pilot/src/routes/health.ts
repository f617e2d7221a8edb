import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pendingMigrations } from '../db/migrate.ts';
import { opsGuard } from '../lib/ops-auth.ts';

const noLimit = { config: { rateLimit: false } } as const;
const PROBE_TIMEOUT_MS = 2_000;

function fastifyVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL(import.meta.resolve('fastify/package.json')), 'utf8')) as {
      version: string;
    };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Probes. `/health` is the seeds' contract (`{"status":"ok"}`); `live` never touches the
 * database (a database outage must not get the process restarted); `ready` does and turns 503 at
 * the first SIGTERM; `startup` checks migrations; `detailed` is application/health+json.
 */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const { db, state, version, config } = app.pilot;
  const fastifyV = fastifyVersion();

  const dbCheck = async () => {
    const started = process.hrtime.bigint();
    try {
      await withTimeout(db.ping(), PROBE_TIMEOUT_MS);
      return { ok: true, ms: Number(process.hrtime.bigint() - started) / 1e6, error: undefined };
    } catch (err) {
      return { ok: false, ms: Number(process.hrtime.bigint() - started) / 1e6, error: (err as Error).message };
    }
  };

  const health = async (req: FastifyRequest, reply: FastifyReply) => {
    const c = await dbCheck();
    reply.header('cache-control', 'no-store');
    if (!c.ok) {
      req.log.warn({ error: c.error }, 'health: database unavailable');
      return reply.code(503).send({ status: 'error', reason: 'database unavailable' });
    }
    return { status: 'ok' };
  };
  app.get('/health', noLimit, health);
  // The seeds' smoke scripts and rollback drills probe /healthz: same answer.
  app.get('/healthz', noLimit, health);

  app.get('/health/live', noLimit, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return { status: 'alive' };
  });

  app.get('/health/ready', noLimit, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    if (state.shuttingDown) return reply.code(503).send({ status: 'shutting_down' });
    const c = await dbCheck();
    if (!c.ok) return reply.code(503).send({ status: 'not_ready', reason: 'database unavailable' });
    return { status: 'ready' };
  });

  app.get('/health/startup', noLimit, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      const pending = await withTimeout(pendingMigrations(db), PROBE_TIMEOUT_MS);
      if (pending.length > 0) return reply.code(503).send({ status: 'pending_migrations', pending });
      return { status: 'started', migrations: 'current' };
    } catch {
      return reply.code(503).send({ status: 'not_started', reason: 'database unavailable' });
    }
  });

  // Versions and internals: operators only in production (OPS_TOKEN or ADMIN_TOKEN, see lib/ops-auth.ts).
  app.get('/health/detailed', { ...noLimit, onRequest: opsGuard(config) }, async (_req, reply) => {
    const c = await dbCheck();
    let pending: string[] | undefined;
    let serverVersion: string | undefined;
    if (c.ok) {
      pending = await pendingMigrations(db).catch(() => undefined);
      serverVersion = await db
        .query<{ v: string }>("SELECT current_setting('server_version') AS v")
        .then((r) => r.rows[0]?.v)
        .catch(() => undefined);
    }
    const migrationsOk = pending !== undefined && pending.length === 0;
    // Rate limiting without Redis is degraded (per instance), not down: `warn`, and still 200.
    const limiter = app.pilot.rateLimits.status();
    const healthy = c.ok && migrationsOk && !state.shuttingDown;
    const status = !healthy ? 'fail' : limiter.degraded ? 'warn' : 'pass';
    const now = new Date().toISOString();
    reply
      .code(status === 'fail' ? 503 : 200)
      .type('application/health+json')
      .header('cache-control', 'no-store');
    return {
      status,
      version,
      serviceId: 'pilot',
      description: 'pilot reference service',
      environment: config.appEnv,
      shuttingDown: state.shuttingDown,
      versions: { pilot: version, node: process.version, fastify: fastifyV, database: serverVersion ?? 'unknown' },
      checks: {
        'uptime': [
          {
            componentType: 'system',
            observedValue: Math.round((Date.now() - state.startedAt) / 1000),
            observedUnit: 's',
            status: 'pass',
            time: now,
          },
        ],
        'database:responseTime': [
          {
            componentId: db.kind,
            componentType: 'datastore',
            observedValue: Math.round(c.ms * 1000) / 1000,
            observedUnit: 'ms',
            status: c.ok ? 'pass' : 'fail',
            ...(c.ok ? {} : { output: 'database unavailable' }),
            time: now,
          },
        ],
        'rateLimit:store': [
          {
            componentId: limiter.store,
            componentType: 'component',
            status: limiter.degraded ? 'warn' : 'pass',
            ...(limiter.degraded
              ? { output: 'Redis unavailable: rate limits counted per instance', time: new Date(limiter.since).toISOString() }
              : { time: now }),
          },
        ],
        'database:migrations': [
          {
            componentType: 'datastore',
            observedValue: pending === undefined ? null : pending.length,
            observedUnit: 'pending',
            status: migrationsOk ? 'pass' : 'fail',
            time: now,
          },
        ],
      },
    };
  });
}
