import type { FastifyReply } from 'fastify';

/**
 * Sends the one error body shape pilot uses: `{ error, message, requestId }`. `error` is a stable
 * snake_case code clients can branch on; `message` is for people and never holds secrets.
 */
export function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message, requestId: reply.request.id });
}
