import { ServiceUnavailableError } from '../lib/http-errors.ts';

/**
 * The database cannot serve the request now: unreachable, frozen, partitioned, out of connections, or
 * slower than the query timeout. Answered `503 database_unavailable` with `Retry-After` on every
 * route (see {@link ServiceUnavailableError}). `cause` keeps the driver's error for the logs.
 */
export class DatabaseUnavailableError extends ServiceUnavailableError {
  readonly code = 'PILOT_ERR_DB_UNAVAILABLE';
  constructor(message: string, cause?: unknown) {
    super('database_unavailable', `database unavailable: ${message}`, { retryAfterSec: 2, cause });
    this.name = 'DatabaseUnavailableError';
  }
}

// Socket-level failures: the server is gone, refused us, or the network between is broken.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// SQLSTATEs meaning "not now" rather than "this request is wrong": connection exceptions (08),
// insufficient resources (53, e.g. too many connections), query cancelled by statement_timeout
// (57014), server shutting down or starting (57P01-57P03).
const SQLSTATE_UNAVAILABLE = /^(08|53)|^57014$|^57P0[123]$/;
// node-postgres reports its own timeouts and lost connections as plain Errors with these messages;
// both drivers refuse work once closed (a request still running while the process shuts down).
const DRIVER_MESSAGES =
  /timeout exceeded when trying to connect|Query read timeout|Connection terminated|connection error and is not queryable|Client was closed and is not queryable|Cannot use a pool after calling end on the pool|PGlite is clos(ed|ing)/i;

/** Whether `err` means the database is unavailable (retry later) rather than a bug or a bad request. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || (code.length === 5 && SQLSTATE_UNAVAILABLE.test(code)))) {
    return true;
  }
  return DRIVER_MESSAGES.test(err.message);
}

/** `err` as a {@link DatabaseUnavailableError} when it means unavailable; otherwise `err` itself. */
export function classifyDatabaseError(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError || !isDatabaseUnavailable(err)) return err;
  return new DatabaseUnavailableError((err as Error).message, err);
}
