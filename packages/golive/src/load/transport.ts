/**
 * The engine's view of an HTTP client: golive's own HTTP/1.1 pool (h1.ts, the default) or an undici
 * Pool (`transport: 'undici'`), both driven with undici's handler shape.
 */
import { createRequire } from 'node:module';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import { H1Pool } from './h1.ts';
import type { H1Handler, H1Request } from './h1.ts';

/** What the engine asks of a transport. */
export interface Transport {
  /** Sends `req`, now or when a connection is free; throws synchronously on an invalid request. */
  dispatch(req: H1Request, handler: H1Handler): void;
  /** Lets requests in flight finish, then closes every connection. */
  close(): Promise<void>;
  /** Ends every connection now; requests in flight fail as aborted. */
  destroy(): Promise<void>;
}

/** How to reach the target. */
export interface TransportOptions {
  kind: 'native' | 'undici';
  /** Connections = the most requests in flight. */
  connections: number;
  /** Connect (and TLS handshake) limit in ms. */
  connectTimeoutMs: number;
  rejectUnauthorized: boolean;
  /** Extra CA certificates (PEM) trusted on https. */
  ca?: string | readonly string[] | undefined;
  /** Lower-case response header names the engine reads (golive's client materialises no others). */
  keepHeaders: readonly string[];
}

// Only undici's Pool is loaded, not its index (fetch, WebSocket, caches, mocks...), and only for
// `transport: 'undici'`: ~14 MB less resident memory otherwise.
const require = createRequire(import.meta.url);
function loadPool(): typeof UndiciPool {
  try {
    return require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
  } catch {
    return (require('undici') as { Pool: typeof UndiciPool }).Pool;
  }
}

/** undici's Pool behind the transport interface. */
class UndiciTransport implements Transport {
  private readonly pool: UndiciPool;
  constructor(origin: string, connections: number, timeoutMs: number, rejectUnauthorized: boolean, ca: string | readonly string[] | undefined) {
    const Pool = loadPool();
    // undici's per-request timers (headers, body) cost more than the rest of the engine's bookkeeping at
    // tens of thousands of requests per second; the engine's sweep over requests in flight does that job.
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
      connect: { timeout: timeoutMs, rejectUnauthorized, ...(ca ? { ca: ca as string | string[] } : {}) },
    });
  }
  dispatch(req: H1Request, handler: H1Handler): void {
    const t = req.timeoutMs ?? 0;
    this.pool.dispatch(
      { method: req.method as Dispatcher.HttpMethod, path: req.path, headers: req.headers ?? {}, body: req.body ?? null, headersTimeout: t, bodyTimeout: t },
      handler as unknown as Dispatcher.DispatchHandler,
    );
  }
  close(): Promise<void> {
    return this.pool.close();
  }
  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

/** A transport to `base`'s origin. */
export function createTransport(base: URL, options: TransportOptions): Transport {
  const { connections, connectTimeoutMs, rejectUnauthorized, ca } = options;
  return options.kind === 'undici'
    ? new UndiciTransport(base.origin, connections, connectTimeoutMs, rejectUnauthorized, ca)
    : new H1Pool(base, { connections, connectTimeoutMs, rejectUnauthorized, ca, keepHeaders: options.keepHeaders });
}

/** One request; resolves with the status once the body is drained. */
export function dispatchOnce(pool: Transport, req: H1Request): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    try {
      pool.dispatch(req, {
        // undici recognises its current handler interface by onRequestStart.
        onRequestStart() {},
        onResponseStart(_c, statusCode) {
          status = statusCode;
        },
        onResponseData() {},
        onResponseEnd() {
          resolve(status);
        },
        onResponseError(_c, err) {
          reject(err);
        },
      });
    } catch (err) {
      reject(err);
    }
  });
}
