import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { sendError, ServiceUnavailableError } from '../lib/http-errors.ts';
import { opsGuard } from '../lib/ops-auth.ts';
import { changeFlags, flagsPatch, readFlags as readFlagsFrom } from '../services/flags.ts';

const notifyBody = z
  .object({
    to: z.email(),
    subject: z.string().min(1).max(200),
    text: z.string().min(1).max(10_000),
  })
  .strict();

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Flags as served by GET /config. */
export type { Flags } from '../services/flags.ts';

/** Routes for browsers and operators: root, CSRF, notify outbox, config flags, metrics. */
export async function webRoutes(app: FastifyInstance): Promise<void> {
  const { db, config, notifier, metrics } = app.pilot;
  const adminDigest = digest(config.adminToken);

  /** `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time (on digests, so lengths match). */
  const requireAdmin = async (req: FastifyRequest, reply: FastifyReply) => {
    const m = /^Bearer (.{1,512})$/.exec(req.headers.authorization ?? '');
    if (!m?.[1] || config.adminTokenGenerated || !timingSafeEqual(digest(m[1]), adminDigest)) {
      reply.header('www-authenticate', 'Bearer realm="pilot-admin"');
      sendError(reply, 401, 'unauthorized', 'admin token required (Authorization: Bearer <ADMIN_TOKEN>)');
      return reply;
    }
  };

  app.get('/', async () => ({ service: 'pilot', health: '/health', docs: 'see packages/pilot/README.md' }));

  const issueCsrf = async (_req: FastifyRequest, reply: FastifyReply) => {
    const token = randomBytes(32).toString('base64url');
    reply.setCookie('csrf_token', token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: config.appEnv === 'production' || config.appEnv === 'staging',
      maxAge: 7200,
    });
    reply.header('cache-control', 'no-store');
    return { csrfToken: token };
  };
  app.get('/api/auth/csrf', issueCsrf);
  app.get('/api/security/csrf', issueCsrf);

  // Recipients, subjects and bodies: operators only in production (OPS_TOKEN or ADMIN_TOKEN).
  app.get('/api/notify/outbox', { onRequest: opsGuard(config) }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const limitRaw = q.limit ?? '50';
    if (typeof limitRaw !== 'string' || !/^\d{1,3}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 500) {
      return sendError(reply, 400, 'limit_invalid', 'limit must be an integer between 1 and 500');
    }
    const count = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM notify_outbox');
    // Real messages hold personal data: list their content only in mock mode.
    const rows =
      notifier.mode === 'mock'
        ? await db.query<{ id: string; recipient: string; subject: string; body: string; created_at: Date | string }>(
            'SELECT id::text AS id, recipient, subject, body, created_at FROM notify_outbox ORDER BY created_at DESC LIMIT $1',
            [Number(limitRaw)],
          )
        : { rows: [] };
    reply.header('cache-control', 'no-store');
    return {
      mode: notifier.mode,
      count: count.rows[0]?.n ?? 0,
      messages: rows.rows.map((r) => ({
        id: r.id,
        to: r.recipient,
        subject: r.subject,
        text: r.body,
        createdAt: new Date(r.created_at).toISOString(),
      })),
    };
  });

  app.post('/api/notify/send', { onRequest: requireAdmin }, async (req, reply) => {
    const parsed = notifyBody.safeParse(req.body);
    if (!parsed.success) return sendError(reply, 400, 'body_invalid', describe(parsed.error));
    try {
      const r = await notifier.send(parsed.data);
      return reply.code(202).send({ id: r.id, mode: notifier.mode });
    } catch (err) {
      // The database (the outbox) being down is a 503 like everywhere else, not the mail server's fault.
      if (err instanceof ServiceUnavailableError) throw err;
      req.log.error({ err: { message: (err as Error).message } }, 'notification failed');
      return sendError(reply, 502, 'notify_failed', 'the mail server did not accept the message');
    }
  });

  const readFlags = async () => {
    const f = await readFlagsFrom(db);
    metrics.syncEnabled.set(f.syncEnabled ? 1 : 0);
    return f;
  };

  app.get('/config', async (_req, reply) => {
    reply.header('cache-control', 'max-age=30');
    return readFlags();
  });

  app.get('/admin/config', { onRequest: requireAdmin }, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return readFlags();
  });

  app.patch('/admin/config', { onRequest: requireAdmin }, async (req, reply) => {
    const parsed = flagsPatch.safeParse(req.body);
    if (!parsed.success) return sendError(reply, 400, 'body_invalid', describe(parsed.error));
    const p = parsed.data;
    const next = await changeFlags(db, p, 'admin-api');
    metrics.syncEnabled.set(next.syncEnabled ? 1 : 0);
    req.log.info({ flags: p }, 'flags changed');
    reply.header('cache-control', 'no-store');
    return next;
  });

  app.get('/metrics', { config: { rateLimit: false } }, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

/** A zod error as `field: problem; ...` (names the fields, never echoes values). */
export function describe(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}
