import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import helmet from 'helmet';

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Helmet's middleware, built once at boot (CSP parsing included): @fastify/helmet rebuilds it on every
 * request, about 6 % of a cheap route's CPU in a profile of /health/live.
 */
export const securityHeadersMiddleware: Middleware = helmet({
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
  // With helmet's Cross-Origin-Opener-Policy: same-origin, cross-origin isolation; pilot loads nothing from
  // other origins (its CSP is 'self' only), so requiring CORP of embedded resources costs nothing.
  crossOriginEmbedderPolicy: { policy: 'require-corp' },
}) as Middleware;

/**
 * The headers the middleware sets, as name/value pairs. They do not depend on the request, so answers
 * written outside fastify's hooks (parser errors on the raw socket, 417, 503 while closing) can carry
 * exactly the same ones.
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = (() => {
  const headers = new Map<string, string>();
  const fake = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value));
    },
    removeHeader: (name: string) => {
      headers.delete(name.toLowerCase());
    },
    getHeader: (name: string) => headers.get(name.toLowerCase()),
  };
  let done = false;
  securityHeadersMiddleware({ headers: {} } as IncomingMessage, fake as unknown as ServerResponse, () => {
    done = true;
  });
  if (!done || headers.size === 0) throw new Error('helmet did not run synchronously: security headers unknown');
  return [...headers];
})();

/**
 * The same headers as one object for fastify's `reply.headers()`: set on the reply rather than on the raw
 * response, Node's `writeHead` takes them with fastify's own headers in one pass (headers set on the raw
 * response first make it merge them one `setHeader` at a time), and helmet's chain of middlewares does not
 * run per request. Frozen: every reply copies from it.
 */
export const SECURITY_HEADER_OBJECT: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(SECURITY_HEADERS));

/** The status pilot answers a parser-level error with, and its stable error code. */
function clientErrorStatus(code: string | undefined): { status: number; error: string; message: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, error: 'request_timeout', message: 'the request was not received in time' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, error: 'headers_too_large', message: 'request headers too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, error: 'body_too_large', message: 'chunk extensions too large' };
    default:
      return { status: 400, error: 'bad_request', message: 'malformed HTTP request' };
  }
}

/**
 * Serialises a complete error answer (status line, security headers, request id, JSON body) for a
 * socket no HTTP response object exists for. `Connection: close`: after a framing error the stream
 * position of the next request is unknown.
 */
export function rawErrorResponse(status: number, error: string, message: string, requestId = randomUUID()): string {
  const body = JSON.stringify({ error, message, requestId });
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}`];
  for (const [name, value] of SECURITY_HEADERS) lines.push(`${name}: ${value}`);
  lines.push(
    `x-request-id: ${requestId}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'cache-control: no-store',
    'connection: close',
  );
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * fastify's `clientErrorHandler`: Node's HTTP parser refused the bytes (bad framing, oversized headers)
 * or a header/request timeout fired. The default handler answers without security headers or request
 * id; this one writes pilot's error shape with both.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A response whose head is already written cannot be followed by another status line; one not yet
  // started (a request timeout while its body trickles in) has written nothing, so ours goes first.
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && !current?.headersSent) {
    const { status, error, message } = clientErrorStatus(err.code);
    socket.end(rawErrorResponse(status, error, message));
    // end() flushes the answer; destroy soon after in case the peer never reads it.
    setTimeout(() => socket.destroy(), 1_000).unref();
    return;
  }
  socket.destroy(err);
}
