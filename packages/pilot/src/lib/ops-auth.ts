import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PilotConfig } from '../config.ts';
import { sendError } from './http-errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();
const BEARER = /^Bearer (.{1,512})$/;

/**
 * The `onRequest` hook of the operator endpoints (`/health/detailed`, `/api/notify/outbox`): they show
 * versions, recipients and message bodies. When the configuration protects them (production, or OPS_TOKEN
 * set) they need `Authorization: Bearer <OPS_TOKEN>` (read-only, for scrapers and dashboards) or the
 * ADMIN_TOKEN; otherwise the hook lets everything through. Tokens are compared in constant time, on digests.
 */
export function opsGuard(config: PilotConfig): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const accepted = [config.opsToken, config.adminTokenGenerated ? undefined : config.adminToken]
    .filter((t): t is string => t !== undefined)
    .map(digest);
  return async (req, reply) => {
    if (!config.opsEndpointsProtected) return undefined;
    const m = BEARER.exec(req.headers.authorization ?? '');
    const given = m?.[1] ? digest(m[1]) : undefined;
    // Every accepted token is compared (no early exit), so timing does not tell which one matched.
    let ok = false;
    for (const a of accepted) if (given && timingSafeEqual(given, a)) ok = true;
    if (ok) return undefined;
    reply.header('www-authenticate', 'Bearer realm="pilot-ops"');
    reply.header('cache-control', 'no-store');
    sendError(reply, 401, 'unauthorized', 'operator token required (Authorization: Bearer <OPS_TOKEN or ADMIN_TOKEN>)');
    return reply;
  };
}

/**
 * The `onRequest` hook of the admin JSON API: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant
 * time on digests. A generated token (ADMIN_TOKEN unset) opens nothing.
 */
export function adminGuard(config: PilotConfig): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const expected = digest(config.adminToken);
  return async (req, reply) => {
    const m = BEARER.exec(req.headers.authorization ?? '');
    if (m?.[1] && !config.adminTokenGenerated && timingSafeEqual(digest(m[1]), expected)) return undefined;
    reply.header('www-authenticate', 'Bearer realm="pilot-admin"');
    reply.header('cache-control', 'no-store');
    sendError(reply, 401, 'unauthorized', 'admin token required (Authorization: Bearer <ADMIN_TOKEN>)');
    return reply;
  };
}
