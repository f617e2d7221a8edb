/**
 * golive's own HTTP/1.1 client for the load engine: a fixed set of keep-alive connections (plain TCP or TLS),
 * one request in flight per connection (no pipelining), responses parsed in place by h1-parser.ts.
 *
 * Why not undici here: a load generator's ceiling is its CPU per request. undici builds request objects,
 * parses every header into objects through llhttp callbacks and runs a general dispatch loop; on two cores it
 * cost 22 µs of CPU per request against autocannon's 16 and wrk's 8. This client writes a cached request head,
 * reads every connection into one buffer of the pool (`onread`: no Buffer or stream event per read) and parses
 * a response head in place, byte by byte, or not at all when it repeats the previous one: ~8 µs, most of it
 * the kernel's. undici stays the engine's alternative transport (`transport: 'undici'`) and the client of
 * every other check.
 *
 * Handlers follow undici's DispatchHandler shape (onRequestStart, onResponseStart, onResponseData,
 * onResponseEnd, onResponseError), so the engine drives either transport the same way. Response headers are
 * only materialised for the names the caller asks for (`keepHeaders`).
 *
 * This module holds sockets, connections and the pool; framing and validation are the parser's (see
 * h1-parser.ts). Bytes the server sends with no request in flight, heads over `maxHeaderBytes` and malformed
 * responses end the connection with an `HPE_*` error (classified as a protocol failure, like llhttp's).
 */
import net from 'node:net';
import tls from 'node:tls';
import { ParserShared, protocolError, ResponseParser, type ResponseSink } from './h1-parser.ts';

/** What the engine hands the client for one request. */
export interface H1Request {
  method: string;
  /** Path with query, beginning with `/`. */
  path: string;
  headers: Record<string, string> | null | undefined;
  body?: Buffer | string | null;
  /** Per-request limit on the whole exchange, for callers without their own sweep (default: none). */
  timeoutMs?: number;
}

/** Aborts one request (the engine's timeout sweep, cancellation). */
export interface H1Controller {
  abort(reason?: Error): void;
}

/** The callbacks of one request; the names and order of undici's DispatchHandler. */
export interface H1Handler {
  onRequestStart?(controller: H1Controller, context: unknown): void;
  /** `headers`: only the names of the pool's `keepHeaders` (lower case); the reason phrase is not read. */
  onResponseStart?(controller: H1Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void;
  /** `chunk` is a view into the pool's read buffer, valid during this call only: copy what is kept. */
  onResponseData?(controller: H1Controller, chunk: Buffer): void;
  /**
   * golive's client only: body bytes [start, end) of `buf` (the pool's read buffer, valid during this call
   * only). When present it is called instead of onResponseData, and no view is made per chunk.
   */
  onResponseBody?(controller: H1Controller, buf: Buffer, start: number, end: number): void;
  onResponseEnd?(controller: H1Controller, trailers: Record<string, string | string[] | undefined>): void;
  onResponseError?(controller: H1Controller, err: Error): void;
}

/** Options of an {@link H1Pool}. */
export interface H1PoolOptions {
  /** Most connections open at once (default 1). */
  connections?: number;
  /** Connect (and TLS handshake) limit in ms (default 10 000). */
  connectTimeoutMs?: number;
  /** Verify the server's certificate on https (default true). */
  rejectUnauthorized?: boolean;
  /** Extra CA certificates (PEM) trusted on https: the target's `target.tls.ca` / `--ca`. */
  ca?: string | readonly string[] | undefined;
  /** Largest response head accepted, status line and headers (default 64 KiB). */
  maxHeaderBytes?: number;
  /** Lower-case response header names passed to onResponseStart; others are not materialised. */
  keepHeaders?: readonly string[];
}

/** Hands body bytes [start, end) of `buf` to the handler: as offsets when it takes them, else as a view. */
function deliver(c: Controller, buf: Buffer, start: number, end: number): void {
  const h = c.handler;
  if (h.onResponseBody) h.onResponseBody(c, buf, start, end);
  else if (h.onResponseData) h.onResponseData(c, start === 0 && end === buf.length ? buf : buf.subarray(start, end));
}

const NO_HEADERS: Record<string, string | string[] | undefined> = Object.freeze({}) as Record<string, string | string[] | undefined>;
// RFC 9110 token characters for header names; values may not contain CR, LF or NUL.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
const METHOD = /^[A-Z]+$/;
const BAD_PATH = /[\s\0]/;

function invalidArg(message: string, code = 'ERR_INVALID_ARG_VALUE'): Error {
  return Object.assign(new TypeError(message), { code });
}

class Controller implements H1Controller {
  conn: Connection | null;
  handler: H1Handler;
  constructor(conn: Connection | null, handler: H1Handler) {
    this.conn = conn;
    this.handler = handler;
  }
  abort(reason?: Error): void {
    const err = reason ?? Object.assign(new Error('request aborted'), { code: 'ABORT_ERR', name: 'AbortError' });
    if (this.conn && this.conn.controller === this) this.conn.fail(err);
  }
}

/** One keep-alive connection with at most one request in flight; the sink of its response parser. */
class Connection implements ResponseSink {
  readonly pool: H1Pool;
  socket: net.Socket;
  alive = true;
  controller: Controller | null = null;
  private timer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null;
  private readonly parser: ResponseParser;

  constructor(pool: H1Pool) {
    this.pool = pool;
    this.parser = new ResponseParser(pool.parserShared, this);
    const o = pool.target;
    // Reads land in the pool's one buffer and reach the parser directly: no Buffer per read, no stream push.
    const onread = {
      buffer: pool.readBuffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        this.parser.execute(buf as Buffer, 0, n);
        return true;
      },
    };
    const socket = o.tls
      ? tls.connect({ host: o.host, port: o.port, servername: net.isIP(o.host) ? undefined : o.host, rejectUnauthorized: o.rejectUnauthorized, ...(o.ca ? { ca: o.ca } : {}), ALPNProtocols: ['http/1.1'], onread } as tls.ConnectionOptions)
      : net.connect({ host: o.host, port: o.port, onread });
    socket.setNoDelay(true);
    this.socket = socket;
    this.connectTimer = setTimeout(() => {
      this.fail(protocolError('UND_ERR_CONNECT_TIMEOUT', `connect to ${o.host}:${o.port} timed out after ${pool.connectTimeoutMs} ms`));
    }, pool.connectTimeoutMs);
    socket.once(o.tls ? 'secureConnect' : 'connect', () => {
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = null;
    });
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: Error) => this.fail(err));
    socket.on('close', () => this.fail(protocolError('ECONNRESET', 'the connection closed before the response completed')));
  }

  send(req: H1Request, handler: H1Handler, head: Buffer): void {
    const controller = new Controller(this, handler);
    this.controller = controller;
    this.parser.expect(req.method === 'HEAD');
    if (req.timeoutMs && req.timeoutMs > 0) {
      const ms = req.timeoutMs;
      this.timer = setTimeout(() => this.fail(protocolError('UND_ERR_HEADERS_TIMEOUT', `no complete answer within ${ms} ms`)), ms);
    }
    handler.onRequestStart?.(controller, null);
    if (this.controller !== controller) return; // aborted in onRequestStart
    const body = req.body;
    if (body && body.length > 0) {
      const b = typeof body === 'string' ? Buffer.from(body) : body;
      if (b.length <= 16_384) this.socket.write(Buffer.concat([head, b], head.length + b.length));
      else {
        this.socket.cork();
        this.socket.write(head);
        this.socket.write(b);
        this.socket.uncork();
      }
    } else this.socket.write(head);
  }

  /** Ends the connection; the request in flight, if any, fails with `err`. */
  fail(err: Error): void {
    const c = this.controller;
    this.controller = null;
    this.parser.reset();
    this.close();
    if (c) {
      c.conn = null;
      c.handler.onResponseError?.(c, err);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.timer = null;
    this.connectTimer = null;
    if (!this.alive) return;
    this.alive = false;
    this.socket.destroy();
    this.pool.onConnectionClosed(this);
  }

  private onEnd(): void {
    // A response delimited by the close completes; any other is cut short.
    if (this.controller && this.parser.eof()) return;
    this.fail(protocolError('ECONNRESET', 'the server closed the connection before the response completed'));
  }

  onResponseHead(status: number, headers: Record<string, string | string[] | undefined>): void {
    const c = this.controller as Controller;
    c.handler.onResponseStart?.(c, status, headers);
  }

  onResponseBody(buf: Buffer, start: number, end: number): void {
    deliver(this.controller as Controller, buf, start, end);
  }

  onResponseComplete(reuse: boolean): void {
    const c = this.controller;
    this.controller = null;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (reuse) this.pool.release(this);
    else this.close();
    if (c) {
      c.conn = null;
      c.handler.onResponseEnd?.(c, NO_HEADERS);
    }
  }

  onParseError(err: Error): void {
    this.fail(err);
  }
}

/** A request waiting for a free connection, its head already serialised. */
interface Queued {
  req: H1Request;
  handler: H1Handler;
  head: Buffer;
}

interface Target {
  tls: boolean;
  host: string;
  port: number;
  hostHeader: string;
  rejectUnauthorized: boolean;
  ca: string | readonly string[] | undefined;
}

/** A fixed set of keep-alive HTTP/1.1 connections to one origin. */
export class H1Pool {
  readonly target: Target;
  readonly connectTimeoutMs: number;
  /**
   * Every connection of the pool reads into this buffer (`onread`), and the bytes are parsed before the next
   * read: chunks handed to onResponseData are views into it, valid during the call only (copy to keep).
   */
  readonly readBuffer: Buffer = Buffer.allocUnsafe(64 * 1024);
  /** Settings and the last head parsed, shared by the parsers of the pool's connections (one read at a time). */
  readonly parserShared: ParserShared;
  private readonly max: number;
  private readonly conns = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private queue: Queued[] = [];
  private queueHead = 0;
  private closed = false;
  private closeWaiters: (() => void)[] = [];
  // Cache of the last serialized head: a plan repeats one request object many times.
  private lastMethod = '';
  private lastPath = '';
  private lastHeaders: H1Request['headers'] = undefined;
  private lastBodyLength = -1;
  private lastHead: Buffer = Buffer.alloc(0);

  constructor(origin: string | URL, options: H1PoolOptions = {}) {
    const u = typeof origin === 'string' ? new URL(origin) : origin;
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalidArg(`unsupported protocol ${u.protocol} (http: or https:)`);
    const isTls = u.protocol === 'https:';
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    const port = u.port ? Number(u.port) : isTls ? 443 : 80;
    this.target = { tls: isTls, host, port, hostHeader: u.host, rejectUnauthorized: options.rejectUnauthorized ?? true, ca: options.ca };
    this.max = Math.max(1, options.connections ?? 1);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.parserShared = new ParserShared({ maxHeaderBytes: options.maxHeaderBytes, keepHeaders: options.keepHeaders });
  }

  /** Sends `req` now on an idle or new connection, or queues it until one is free. Throws on an invalid request. */
  dispatch(req: H1Request, handler: H1Handler): void {
    if (this.closed) throw Object.assign(new Error('the pool is closed'), { code: 'UND_ERR_CLOSED' });
    const head = this.serialize(req);
    let conn = this.idle.pop();
    while (conn && !conn.alive) conn = this.idle.pop();
    if (!conn && this.conns.size < this.max) {
      conn = new Connection(this);
      this.conns.add(conn);
    }
    if (conn) conn.send(req, handler, head);
    else this.queue.push({ req, handler, head });
  }

  /** Request head bytes (validated once per distinct request object). */
  private serialize(req: H1Request): Buffer {
    const bodyLength = req.body ? (typeof req.body === 'string' ? Buffer.byteLength(req.body) : req.body.length) : -1;
    if (req.headers === this.lastHeaders && req.path === this.lastPath && req.method === this.lastMethod && bodyLength === this.lastBodyLength) return this.lastHead;
    if (!METHOD.test(req.method)) throw invalidArg(`invalid method ${JSON.stringify(req.method)}`, 'ERR_INVALID_HTTP_TOKEN');
    if (!req.path.startsWith('/') || BAD_PATH.test(req.path)) throw invalidArg(`invalid request path ${JSON.stringify(req.path.slice(0, 80))}`, 'ERR_INVALID_CHAR');
    let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
    let hasHost = false;
    let hasLength = false;
    if (req.headers) {
      for (const name in req.headers) {
        const value = req.headers[name];
        if (value === undefined) continue;
        if (!TOKEN.test(name)) throw invalidArg(`invalid header name ${JSON.stringify(name.slice(0, 40))}`, 'ERR_INVALID_HTTP_TOKEN');
        if (BAD_VALUE.test(value)) throw invalidArg(`invalid value for header ${name}`, 'ERR_INVALID_CHAR');
        const lower = name.toLowerCase();
        if (lower === 'host') hasHost = true;
        else if (lower === 'content-length') {
          hasLength = true;
          if (String(Math.max(0, bodyLength)) !== value.trim()) throw invalidArg(`content-length ${value} does not match the body (${Math.max(0, bodyLength)} bytes)`);
        } else if (lower === 'transfer-encoding' || lower === 'connection' || lower === 'upgrade' || lower === 'expect') {
          throw invalidArg(`header ${name} is managed by the client`);
        }
        head += `${name}: ${value}\r\n`;
      }
    }
    if (!hasHost) head = head.replace('\r\n', `\r\nhost: ${this.target.hostHeader}\r\n`);
    if (!hasLength && (bodyLength >= 0 || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH')) head += `content-length: ${Math.max(0, bodyLength)}\r\n`;
    head += '\r\n';
    const buf = Buffer.from(head, 'latin1');
    this.lastHeaders = req.headers;
    this.lastPath = req.path;
    this.lastMethod = req.method;
    this.lastBodyLength = bodyLength;
    this.lastHead = buf;
    return buf;
  }

  /** A connection finished its request and stays open: the next queued request goes on it. */
  release(conn: Connection): void {
    if (this.queueHead < this.queue.length) {
      const item = this.queue[this.queueHead] as Queued;
      this.queue[this.queueHead++] = undefined as unknown as Queued;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      conn.send(item.req, item.handler, item.head);
      return;
    }
    if (this.closed) {
      conn.close();
      return;
    }
    this.idle.push(conn);
  }

  onConnectionClosed(conn: Connection): void {
    this.conns.delete(conn);
    // Requests waiting for a connection get a new one.
    if (!this.closed && this.queueHead < this.queue.length && this.conns.size < this.max) {
      const fresh = new Connection(this);
      this.conns.add(fresh);
      this.release(fresh);
    }
    if (this.conns.size === 0) {
      const waiters = this.closeWaiters;
      this.closeWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Lets requests in flight finish, then closes every connection. Queued requests still run. */
  close(): Promise<void> {
    this.closed = true;
    for (const c of this.idle) c.close();
    this.idle.length = 0;
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Ends every connection now; requests in flight and queued fail as aborted. */
  destroy(): Promise<void> {
    this.closed = true;
    const err = () => Object.assign(new Error('the pool was destroyed'), { code: 'ABORT_ERR', name: 'AbortError' });
    const queued = this.queue.slice(this.queueHead);
    this.queue = [];
    this.queueHead = 0;
    for (const c of [...this.conns]) c.fail(err());
    this.idle.length = 0;
    for (const { handler } of queued) handler.onResponseError?.(new Controller(null, handler), err());
    return Promise.resolve();
  }
}
