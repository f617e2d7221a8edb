import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestOutcome } from '../services/ingest.ts';
import { isDatabaseDataError } from '../lib/db-errors.ts';
import { sendError } from '../lib/http-errors.ts';
import { parseSignatureHeader, sha256Hex, verifySignature } from '../lib/signature.ts';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/**
 * Resolves `Authorization: Bearer <apiKey>` to a tenant; 401 otherwise. A client address past its
 * failed-authentication budget is answered 429 without a key lookup (a key already known good is not
 * held back by it).
 */
async function authenticate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { tenants, rateLimits } = req.server.pilot;
  const m = BEARER.exec(req.headers.authorization ?? '');
  let tenant = m?.[1] ? tenants.cached(m[1]) : undefined;
  if (!tenant) {
    const waitSec = await rateLimits.authBlocked(req);
    if (waitSec !== undefined) {
      reply.header('retry-after', String(waitSec));
      sendError(reply, 429, 'auth_rate_limited', 'too many failed authentications from this address; retry later');
      return reply;
    }
    tenant = (m?.[1] ? await tenants.resolve(m[1]) : null) ?? undefined;
  }
  if (!tenant) {
    await rateLimits.authFailed(req);
    reply.header('www-authenticate', 'Bearer realm="pilot"');
    sendError(reply, 401, 'unauthorized', 'missing or unknown API key (Authorization: Bearer <apiKey>)');
    return reply;
  }
  req.tenant = tenant;
  // The tenant id on every later line of this request, the "request completed" line included (fastify writes it
  // through reply.log, the same logger). req.log is this request's own child logger (fastify creates one per
  // request): binding onto it spares a second child (a prototype chain link and its setup) per request.
  const log = req.log as typeof req.log & { setBindings?: (bindings: Record<string, unknown>) => void };
  if (typeof log.setBindings === 'function') log.setBindings({ tenantId: tenant.tenantId });
  else req.log = req.log.child({ tenantId: tenant.tenantId });
  reply.log = req.log;
}

/** `/v1/events`: signed, idempotent ingest and tenant-scoped reads. */
export async function eventRoutes(app: FastifyInstance): Promise<void> {
  const { db, metrics, ingest, config } = app.pilot;
  const v1Sunset = new Date(config.signatureV1SunsetSec * 1000).toUTCString();
  app.addHook('onRequest', authenticate);

  app.post('/v1/events', async (req, reply) => {
    const tenant = req.tenant!;
    const idempotencyKey = req.headers['idempotency-key'];
    if (typeof idempotencyKey !== 'string' || idempotencyKey === '') {
      return sendError(reply, 400, 'idempotency_key_required', 'the Idempotency-Key header is required');
    }
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
      return sendError(reply, 400, 'idempotency_key_invalid', 'Idempotency-Key must be 1-255 printable ASCII');
    }
    const raw = req.rawBody;
    if (raw === null || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
      return sendError(reply, 400, 'body_invalid', 'the body must be a JSON object');
    }
    const path = req.url.split('?', 1)[0] ?? req.url;
    const sigHeader = req.headers['x-signature'];
    const parsed = parseSignatureHeader(typeof sigHeader === 'string' ? sigHeader : undefined);
    if (typeof parsed === 'string') {
      metrics.signaturesRejected.inc({ reason: parsed });
      return sendError(reply, 401, `signature_${parsed}`, 'X-Signature must be t=<unix>,v2=<hex>[,kid=<id>]');
    }
    const verdict = verifySignature(
      parsed,
      tenant.signingKeys,
      { method: req.method, path, rawBody: raw, idempotencyKey },
      { v1SunsetSec: config.signatureV1SunsetSec },
    );
    if (!verdict.ok) {
      metrics.signaturesRejected.inc({ reason: verdict.reason });
      return sendError(reply, 401, `signature_${verdict.reason}`, signatureMessage(verdict.reason));
    }
    metrics.signaturesAccepted.inc({ version: verdict.version });
    // v1 does not sign the Idempotency-Key: tell its clients when it stops working (RFC 8594).
    if (verdict.version === 'v1') reply.header('sunset', v1Sunset);
    let outcome: IngestOutcome;
    try {
      outcome = await ingest.submit({
        tenantId: tenant.tenantId,
        signature: verdict.value,
        idempotencyKey,
        requestHash: sha256Hex(Buffer.concat([Buffer.from(`${req.method} ${path}\n`), raw])),
        payloadJson: raw.toString('utf8'),
      });
    } catch (err) {
      // A data error the guard did not catch is the request's (400), whatever the database said.
      if (isDatabaseDataError(err)) return sendError(reply, 400, 'body_unstorable', 'the database refused the event payload');
      throw err;
    }
    switch (outcome.kind) {
      case 'created':
        metrics.eventsIngested.inc();
        return reply.code(outcome.status).type('application/json').send(outcome.body);
      case 'replayed':
        metrics.eventsDeduplicated.inc({ outcome: 'replayed' });
        reply.header('idempotent-replayed', 'true');
        return reply.code(outcome.status).type('application/json').send(outcome.body);
      case 'in_flight':
        metrics.eventsDeduplicated.inc({ outcome: 'in_flight' });
        reply.header('retry-after', '1');
        return sendError(reply, 409, 'idempotency_in_flight', 'a request with this Idempotency-Key is in progress');
      case 'key_reused':
        metrics.eventsDeduplicated.inc({ outcome: 'key_reused' });
        return sendError(
          reply,
          422,
          'idempotency_key_reused',
          'this Idempotency-Key was used with a different request body',
        );
      case 'signature_replayed':
        metrics.signaturesRejected.inc({ reason: 'replayed' });
        return sendError(reply, 401, 'signature_replayed', 'this signature was already used; sign again');
    }
  });

  app.get('/v1/events', async (req, reply) => {
    const tenant = req.tenant!;
    const q = req.query as Record<string, unknown>;
    const limitRaw = q.limit ?? '100';
    if (typeof limitRaw !== 'string' || !/^\d{1,4}$/.test(limitRaw) || Number(limitRaw) < 1 || Number(limitRaw) > 1000) {
      return sendError(reply, 400, 'limit_invalid', 'limit must be an integer between 1 and 1000');
    }
    const limit = Number(limitRaw);
    const result = await db.tx(
      async (tx) => {
        const count = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
        const rows = await tx.query<EventRow>(
          `SELECT id::text AS id, idempotency_key, payload::text AS payload, created_at FROM events
           ORDER BY created_at DESC, id LIMIT $1`,
          [limit],
        );
        return { count: count.rows[0]?.n ?? 0, events: rows.rows };
      },
      { tenantId: tenant.tenantId },
    );
    return reply
      .type('application/json; charset=utf-8')
      .send(`{"count":${result.count},"events":[${result.events.map(eventJson).join(',')}]}`);
  });

  app.get('/v1/events/:id', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    if (!UUID.test(id)) return sendError(reply, 404, 'not_found', 'no such event');
    const r = await db.tx(
      (tx) =>
        tx.query<EventRow>(
          'SELECT id::text AS id, idempotency_key, payload::text AS payload, created_at FROM events WHERE id = $1',
          [id],
        ),
      { tenantId: req.tenant!.tenantId },
    );
    const row = r.rows[0];
    // Another tenant's event is indistinguishable from a missing one: RLS hides it.
    if (!row) return sendError(reply, 404, 'not_found', 'no such event');
    return reply.type('application/json; charset=utf-8').send(eventJson(row));
  });

  app.delete('/v1/events/:id', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    if (!UUID.test(id)) return sendError(reply, 404, 'not_found', 'no such event');
    const r = await db.tx((tx) => tx.query('DELETE FROM events WHERE id = $1', [id]), {
      tenantId: req.tenant!.tenantId,
    });
    if (r.rowCount === 0) return sendError(reply, 404, 'not_found', 'no such event');
    return reply.code(204).send();
  });
}

interface EventRow {
  id: string;
  idempotency_key: string;
  /** The stored jsonb as PostgreSQL prints it: valid JSON by construction. */
  payload: string;
  created_at: Date | string;
}

/**
 * One event as JSON text. The payload is spliced in as the database printed it rather than parsed and
 * serialised again: a row stored before depth caps existed (thousands of levels) would otherwise make
 * serialisation throw, and with it every read of the tenant's events.
 */
function eventJson(r: EventRow): string {
  const createdAt = r.created_at instanceof Date ? r.created_at.toISOString() : new Date(r.created_at).toISOString();
  return `{"id":${JSON.stringify(r.id)},"idempotencyKey":${JSON.stringify(r.idempotency_key)},"payload":${r.payload},"createdAt":"${createdAt}"}`;
}

function signatureMessage(reason: string): string {
  switch (reason) {
    case 'stale':
      return 'signature timestamp is more than 300 s old';
    case 'future':
      return 'signature timestamp is more than 300 s in the future';
    case 'unknown_key':
      return 'no active signing key matches kid';
    case 'v1_retired':
      return 'v1 signatures are no longer accepted: sign v2 (the Idempotency-Key included), see the README';
    default:
      return 'signature does not match';
  }
}
