import type { FastifyReply } from 'fastify';

/**
 * Sends the one error body shape pilot uses: `{ error, message, requestId }`. `error` is a stable
 * snake_case code clients can branch on; `message` is for people and never holds secrets.
 */
export function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message, requestId: reply.request.id });
}

/**
 * A dependency pilot needs is unavailable for now (database down or saturated, a full queue): the
 * request may succeed if retried later. The app's error handler answers it on every route with
 * `503`, `Retry-After: retryAfterSec` and `{ error: errorCode }`, never `500 internal`. Throw it (or
 * a subclass such as `DatabaseUnavailableError`) from anywhere a request is served.
 */
export class ServiceUnavailableError extends Error {
  /** The `error` field of the 503 body. */
  readonly errorCode: string;
  /** Seconds a client should wait before retrying (the `Retry-After` header). */
  readonly retryAfterSec: number;
  constructor(errorCode: string, message: string, o: { retryAfterSec?: number; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'ServiceUnavailableError';
    this.errorCode = errorCode;
    this.retryAfterSec = o.retryAfterSec ?? 2;
  }
}
