/**
 * The one HTTP client of golive (undici). It never throws for network trouble: every request ends in an
 * `HttpExchange` that is either a response (status, headers, a capped body, timings) or a classified
 * network failure (refused, dns, reset, timeout, tls, protocol, redirects). Bodies are read up to a cap
 * and the connection is destroyed past it, so a 2 GB body costs bounded time and memory; redirects are
 * followed by hand so loops and chains are recorded and capped.
 */
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher, Agent as UndiciAgent, buildConnector as UndiciBuildConnector } from 'undici';
import { type Redactor, excerpt } from '../core/redact.ts';
import { classifyError, isNetworkError, type NetworkErrorKind } from './errors.ts';
import { headersForRedirect } from './redirect.ts';

export { classifyError, isNetworkError, type NetworkErrorKind } from './errors.ts';

/** Default cap on response bytes kept (and read) per request. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Default per-request timeout (whole exchange: connect, headers, body). */
export const DEFAULT_TIMEOUT_MS = 5000;
/** Default cap on redirects followed when `followRedirects` is on. */
export const DEFAULT_MAX_REDIRECTS = 5;

/** A request as checks describe it. `url` may be absolute or a path resolved against the target's base URL. */
export interface HttpRequest {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Whole-exchange timeout in ms (default: the client's). */
  timeoutMs?: number;
  /** Bytes of body kept; the rest is not read (default 1 MiB). */
  maxBodyBytes?: number;
  /** Follow 3xx with Location (default false: checks usually want to see the redirect). */
  followRedirects?: boolean;
  maxRedirects?: number;
  /** Skip the target's default headers (e.g. to probe without auth). */
  noDefaultHeaders?: boolean;
  signal?: AbortSignal;
}

/** Timings in integer microseconds from the start of this hop. */
export interface HttpTimings {
  /**
   * Time spent opening a new connection (TCP, and TLS for https) for this request; absent when a pooled one was
   * reused. Part of `headersUs` and `totalUs`, reported apart so evidence shows set-up and answer separately.
   */
  connectUs?: number;
  /** Until response headers arrived (undefined when none did). */
  headersUs?: number;
  /** Until the exchange ended (body read up to the cap, or failure). */
  totalUs: number;
}

/** One redirect hop that was followed. */
export interface RedirectHop {
  status: number;
  from: string;
  location: string;
  /** Names of the headers not sent on to another origin (target headers and credentials); absent when none. */
  droppedHeaders?: string[];
}

/** A completed HTTP response. */
export interface HttpResponse {
  ok: true;
  /** Method and final URL (after redirects), redacted. */
  request: { method: string; url: string };
  status: number;
  /** Lower-case header names; repeated headers (set-cookie, several CSPs) are arrays. */
  headers: Record<string, string | string[]>;
  /** Body bytes read, at most maxBodyBytes. */
  body: Buffer;
  /** True when the body was longer than the cap (the rest was not read). */
  truncated: boolean;
  /** Bytes received for the body (equals body.length unless truncated, then >= cap). */
  bodyBytes: number;
  timings: HttpTimings;
  redirects: RedirectHop[];
}

/** A request that ended without a response. */
export interface HttpFailure {
  ok: false;
  request: { method: string; url: string };
  kind: NetworkErrorKind;
  /** Underlying error code when there is one (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, ...). */
  code?: string;
  /** One line, redacted, naming what happened. */
  message: string;
  timings: HttpTimings;
  redirects: RedirectHop[];
}

/** The outcome of one request. */
export type HttpExchange = HttpResponse | HttpFailure;

/** TLS options of a target. */
export interface TlsOptions {
  /** Verify the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Extra CA certificates (PEM). */
  ca?: string | string[];
  servername?: string;
}

/** Options for an HttpClient. */
export interface HttpClientOptions {
  baseUrl: string;
  defaultHeaders?: Record<string, string>;
  timeoutMs?: number;
  maxBodyBytes?: number;
  tls?: TlsOptions;
  redactor?: Redactor;
  userAgent?: string;
  /** Internal: this client is the warm-up's own (it must not warm again). */
  warmed?: boolean;
}

/** The client handed to checks through their context. */
export interface HttpClient {
  readonly baseUrl: URL;
  /**
   * Sends a request; never rejects for network or HTTP trouble. Anything else thrown (a bug of golive, a request
   * built wrongly) rejects, so the runner reports an `error` (GOLIVE_ERR_CHECK_CRASHED), never a failure of the target.
   */
  request(req: HttpRequest): Promise<HttpExchange>;
  /** Resolves a path or URL against the base URL. */
  resolve(urlOrPath: string): URL;
  /**
   * Loads and exercises golive's own HTTP code once (module loading, the first compilation of the request path)
   * against a throwaway server on loopback, so none of it is timed as the target's first answer. Sends nothing
   * to the target; idempotent.
   */
  warm(): Promise<void>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

/** Value of a header as one string (repeated values joined with ", "), or undefined. */
export function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Every value of a header (one per header line). */
export function headerValues(headers: Record<string, string | string[]>, name: string): string[] {
  const v = headers[name.toLowerCase()];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Body as UTF-8 text. */
export function bodyText(res: HttpResponse): string {
  return res.body.toString('utf8');
}

/** Parses the body as JSON; undefined when it is not JSON (or was truncated). */
export function bodyJson(res: HttpResponse): unknown {
  if (res.truncated) return undefined;
  try {
    return JSON.parse(bodyText(res));
  } catch {
    return undefined;
  }
}

/** One-line description of an exchange for evidence: `GET http://x/health → 200 in 12.3 ms`. */
export function describeExchange(ex: HttpExchange): string {
  const ms = (ex.timings.totalUs / 1000).toFixed(1);
  const head = `${ex.request.method} ${ex.request.url}`;
  const dropped = [...new Set(ex.redirects.flatMap((r) => r.droppedHeaders ?? []))];
  const note = dropped.length ? ` (redirected to another origin: ${dropped.join(', ')} not sent there)` : '';
  if (!ex.ok) return `${head} → ${ex.kind}${ex.code ? ` (${ex.code})` : ''} after ${ms} ms: ${ex.message}${note}`;
  return `${head} → ${ex.status} in ${ms} ms${ex.truncated ? ` (body over ${ex.body.length} bytes, truncated)` : ''}${note}`;
}

/** Short redacted excerpt of a response body for evidence. */
export function bodyExcerpt(res: HttpResponse, redactor?: Redactor, max = 200): string {
  const text = bodyText(res);
  return excerpt(redactor ? redactor.redact(text) : text, max);
}

function elapsedUs(start: bigint): number {
  return Number((process.hrtime.bigint() - start) / 1000n);
}

const require = createRequire(import.meta.url);

/** Sends one request through a fresh client to a server of its own on loopback, then closes both. */
async function exerciseOnLoopback(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    res.end('{"status":"ok"}');
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const client = createHttpClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5000, warmed: true });
  try {
    for (let i = 0; i < 3; i++) await client.request({ url: '/warm', headers: { accept: 'application/json' } });
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}

let warming: Promise<void> | undefined;

/** Warms golive's HTTP path once per process (see `HttpClient.warm`); a failure to warm only costs the timing. */
export function warmHttp(): Promise<void> {
  warming ??= exerciseOnLoopback().catch(() => undefined);
  return warming;
}

/**
 * undici's Agent, loaded on a client's first request: a command that never sends one through this client
 * (`golive load` without a read-back) does not load undici's hundred-odd modules.
 */
function loadUndici(): { Agent: typeof UndiciAgent; buildConnector: typeof UndiciBuildConnector } {
  return require('undici') as { Agent: typeof UndiciAgent; buildConnector: typeof UndiciBuildConnector };
}

/** Creates the undici-based client for a target. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const baseUrl = new URL(options.baseUrl);
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const defaultMaxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const redact = (s: string) => (options.redactor ? options.redactor.redact(s) : s);
  const tls = options.tls ?? {};
  let agent: UndiciAgent | null = null;
  // Connections opened and the time they took: a request that saw the count rise paid for one (requests of one
  // check go one at a time, so the attribution holds where it matters: health, canary, http).
  let connects = 0;
  let connectUsTotal = 0;
  const getAgent = (): UndiciAgent => {
    if (agent) return agent;
    const { Agent, buildConnector } = loadUndici();
    const connector = buildConnector({
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
      ...(tls.ca ? { ca: tls.ca as string | Buffer | Array<string | Buffer> } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
      timeout: defaultTimeoutMs,
    });
    agent = new Agent({
      connect: (opts, callback) => {
        const t0 = process.hrtime.bigint();
        connector(opts, (err, socket) => {
          if (!err) {
            connects++;
            connectUsTotal += elapsedUs(t0);
          }
          (callback as (e: Error | null, s: unknown) => void)(err, socket);
        });
      },
      keepAliveTimeout: 4000,
      connections: 64,
    });
    return agent;
  };

  // Paths are appended to the base URL's own path, as the seeds did (`f"{PROD_URL}/health"`): a base of
  // https://x/app and a path /health give https://x/app/health. Absolute URLs are used as they are.
  const basePath = baseUrl.pathname.replace(/\/+$/, '');
  const resolve = (urlOrPath: string): URL => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(urlOrPath)) return new URL(urlOrPath);
    const rel = urlOrPath.startsWith('/') ? urlOrPath : `/${urlOrPath}`;
    return new URL(`${basePath}${rel}`, baseUrl.origin);
  };

  async function once(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    maxBody: number,
    signal: AbortSignal,
  ): Promise<{ res?: Omit<HttpResponse, 'redirects' | 'request'>; fail?: Omit<HttpFailure, 'redirects' | 'request'> }> {
    const start = process.hrtime.bigint();
    const connectsBefore = connects;
    const connectUsBefore = connectUsTotal;
    const connectUs = () => (connects > connectsBefore ? { connectUs: connectUsTotal - connectUsBefore } : {});
    let headersUs: number | undefined;
    let data: Dispatcher.ResponseData | undefined;
    try {
      data = await getAgent().request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body ?? null,
        signal,
        // The overall deadline is the signal; these only keep undici from waiting longer.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      headersUs = elapsedUs(start);
      const chunks: Buffer[] = [];
      let kept = 0;
      let received = 0;
      let truncated = false;
      for await (const chunk of data.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (kept < maxBody) {
          const take = chunk.subarray(0, maxBody - kept);
          chunks.push(take);
          kept += take.length;
        }
        if (received > maxBody) {
          truncated = true;
          break; // leaving the loop destroys the stream: the rest is never read
        }
      }
      if (truncated) data.body.destroy();
      const headersOut: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(data.headers)) if (v !== undefined) headersOut[k.toLowerCase()] = v;
      return {
        res: {
          ok: true,
          status: data.statusCode,
          headers: headersOut,
          body: Buffer.concat(chunks),
          truncated,
          bodyBytes: received,
          timings: { ...connectUs(), headersUs, totalUs: elapsedUs(start) },
        },
      };
    } catch (err) {
      data?.body.destroy();
      // Only the network and the peer are the target's doing; any other exception is golive's bug and must reach
      // the runner as one (an `error` result), not become a "target unreachable" failure.
      if (!signal.aborted && !isNetworkError(err)) throw err;
      const totalUs = elapsedUs(start);
      const timedOut = signal.aborted && (signal.reason as { name?: string } | undefined)?.name === 'TimeoutError';
      const c = timedOut ? { kind: 'timeout' as const, code: 'TIMEOUT', message: 'no complete answer before the timeout' } : classifyError(err);
      return {
        fail: {
          ok: false,
          kind: c.kind,
          ...(c.code ? { code: c.code } : {}),
          message: redact(c.message),
          timings: headersUs === undefined ? { ...connectUs(), totalUs } : { ...connectUs(), headersUs, totalUs },
        },
      };
    }
  }

  async function request(req: HttpRequest): Promise<HttpExchange> {
    const method = (req.method ?? 'GET').toUpperCase();
    const timeoutMs = req.timeoutMs ?? defaultTimeoutMs;
    const maxBody = req.maxBodyBytes ?? defaultMaxBody;
    const follow = req.followRedirects ?? false;
    const maxRedirects = req.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
    let headers: Record<string, string> = {
      'user-agent': options.userAgent ?? 'golive',
      ...(req.noDefaultHeaders ? {} : options.defaultHeaders),
      ...req.headers,
    };
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const redirects: RedirectHop[] = [];
    const seen = new Set<string>();
    let url = resolve(req.url);
    let curMethod = method;
    let body = req.body;
    const totalStart = process.hrtime.bigint();
    for (;;) {
      seen.add(url.href);
      const { res, fail } = await once(curMethod, url, headers, body, maxBody, signal);
      const reqInfo = { method: curMethod, url: redact(url.href) };
      if (fail) return { ...fail, request: reqInfo, redirects, timings: { ...fail.timings, totalUs: elapsedUs(totalStart) } };
      if (!res) throw new Error('unreachable');
      const location = headerValue(res.headers, 'location');
      if (!follow || res.status < 300 || res.status >= 400 || res.status === 304 || !location) {
        return { ...res, request: reqInfo, redirects, timings: { ...res.timings, totalUs: elapsedUs(totalStart) } };
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return { ...res, request: reqInfo, redirects, timings: { ...res.timings, totalUs: elapsedUs(totalStart) } };
      }
      // Target headers and credentials must not follow a redirect to another origin (core's one sensitive list).
      const { kept, dropped } = headersForRedirect(headers, url, next, Object.keys(options.defaultHeaders ?? {}));
      headers = kept;
      redirects.push({ status: res.status, from: redact(url.href), location: redact(next.href), ...(dropped.length ? { droppedHeaders: dropped } : {}) });
      const failBase = { ok: false as const, request: reqInfo, redirects, timings: { totalUs: elapsedUs(totalStart) } };
      if (seen.has(next.href)) return { ...failBase, kind: 'redirect-loop', message: `redirect loop back to ${redact(next.href)}` };
      if (redirects.length > maxRedirects) return { ...failBase, kind: 'too-many-redirects', message: `more than ${maxRedirects} redirects` };
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && curMethod === 'POST')) {
        curMethod = 'GET';
        body = undefined;
      }
      url = next;
    }
  }

  return {
    baseUrl,
    request,
    resolve,
    warm: () => (options.warmed ? Promise.resolve() : warmHttp().then(() => undefined)),
    close: () => (agent ? agent.close() : Promise.resolve()),
  };
}
