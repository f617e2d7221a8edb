/**
 * golive's own HTTP/1.1 client for the load engine: a fixed set of keep-alive connections (plain TCP or TLS),
 * one request in flight per connection (no pipelining), responses parsed in place.
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
 * Framing follows RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; chunked when the last transfer coding is
 * chunked; else Content-Length (conflicting values are an error); else the body runs to the end of the
 * connection. Interim 1xx answers are skipped. Bytes the server sends with no request in flight, heads over
 * `maxHeaderBytes`, malformed status lines, lengths and chunk sizes end the connection with an `HPE_*` error
 * (classified as a protocol failure, like llhttp's).
 */
import net from 'node:net';
import tls from 'node:tls';

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

export interface H1PoolOptions {
  /** Most connections open at once (default 1). */
  connections?: number;
  /** Connect (and TLS handshake) limit in ms (default 10 000). */
  connectTimeoutMs?: number;
  /** Verify the server's certificate on https (default true). */
  rejectUnauthorized?: boolean;
  /** Largest response head accepted, status line and headers (default 64 KiB). */
  maxHeaderBytes?: number;
  /** Lower-case response header names passed to onResponseStart; others are not materialised. */
  keepHeaders?: readonly string[];
}

/** Lower-case bytes of the header names (and values) the parser compares in place. */
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');
const CONNECTION = Buffer.from('connection', 'latin1');
const KEEP_ALIVE = Buffer.from('keep-alive', 'latin1');
const CLOSE = Buffer.from('close', 'latin1');

/** Index of the CR of the first CRLF CRLF in [from, len), or -1. A loop over a short head beats a native call. */
function headEnd(buf: Buffer, from: number, len: number): number {
  for (let i = from + 3; i < len; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i - 3;
  }
  return -1;
}

/** Index of the first LF in [from, len), or -1 (a loop: indexOf would search the rest of the read buffer). */
function lineFeed(buf: Buffer, from: number, len: number): number {
  for (let i = from; i < len; i++) if (buf[i] === 10) return i;
  return -1;
}

/** Hands body bytes [start, end) of `buf` to the handler: as offsets when it takes them, else as a view. */
function deliver(c: Controller, buf: Buffer, start: number, end: number): void {
  const h = c.handler;
  if (h.onResponseBody) h.onResponseBody(c, buf, start, end);
  else if (h.onResponseData) h.onResponseData(c, start === 0 && end === buf.length ? buf : buf.subarray(start, end));
}

/** Index of the CR of the next CRLF at or after `from` (at most `end`, the CR ending the head). */
function lineEnd(buf: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && !(buf[i] === 13 && buf[i + 1] === 10)) i++;
  return i;
}

/** Whether the bytes at `at` equal `lower` ignoring ASCII letter case (`lower`: lower-case letters, digits, '-'). */
function sameName(buf: Buffer, at: number, lower: Buffer): boolean {
  for (let k = 0; k < lower.length; k++) {
    const b = buf[at + k] as number;
    const e = lower[k] as number;
    if (b !== e && !(e >= 97 && e <= 122 && b === e - 32)) return false;
  }
  return true;
}

/** The decimal number in bytes [from, to): 1 to 15 digits and nothing else, or -1. */
function digits(buf: Buffer, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const NO_HEADERS: Record<string, string | string[] | undefined> = Object.freeze({}) as Record<string, string | string[] | undefined>;
// RFC 9110 token characters for header names; values may not contain CR, LF or NUL.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
const METHOD = /^[A-Z]+$/;
const BAD_PATH = /[\s\0]/;

function protocolError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function invalidArg(message: string, code = 'ERR_INVALID_ARG_VALUE'): Error {
  return Object.assign(new TypeError(message), { code });
}

/** What a response head says, as far as framing and the caller's kept headers go. */
class HeadInfo {
  status = 0;
  contentLength = -1;
  transferEncoding = false;
  chunked = false;
  connClose = false;
  headers: Record<string, string | string[] | undefined> | null = null;
  copy(from: HeadInfo): void {
    this.status = from.status;
    this.contentLength = from.contentLength;
    this.transferEncoding = from.transferEncoding;
    this.chunked = from.chunked;
    this.connClose = from.connClose;
    this.headers = from.headers;
  }
}

/** Whether bytes [at, at + n) of `buf` equal the first n bytes of `ref`. */
function sameBytes(buf: Buffer, at: number, ref: Buffer, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if (buf[at + i] !== ref[i]) return false;
  }
  return true;
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

const PHASE_HEAD = 0;
const PHASE_LENGTH = 1;
const PHASE_CHUNKED = 2;
const PHASE_UNTIL_CLOSE = 3;

const CHUNK_SIZE = 0;
const CHUNK_DATA = 1;
const CHUNK_DATA_END = 2;
const CHUNK_TRAILERS = 3;

/** One keep-alive connection with at most one request in flight. */
class Connection {
  readonly pool: H1Pool;
  socket: net.Socket;
  alive = true;
  controller: Controller | null = null;
  private timer: NodeJS.Timeout | null = null;
  private connectTimer: NodeJS.Timeout | null;
  // response state
  private phase = PHASE_HEAD;
  private head: Buffer | null = null;
  private remaining = 0;
  private keepAlive = true;
  private isHead = false;
  private chunkPhase = CHUNK_SIZE;
  private line = '';

  constructor(pool: H1Pool) {
    this.pool = pool;
    const o = pool.target;
    // Reads land in the pool's one buffer and reach onData directly: no Buffer per read, no stream push.
    const onread = {
      buffer: pool.readBuffer,
      callback: (n: number, buf: Uint8Array): boolean => {
        this.onData(buf as Buffer, 0, n);
        return true;
      },
    };
    const socket = o.tls
      ? tls.connect({ host: o.host, port: o.port, servername: net.isIP(o.host) ? undefined : o.host, rejectUnauthorized: o.rejectUnauthorized, ALPNProtocols: ['http/1.1'], onread } as tls.ConnectionOptions)
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
    this.phase = PHASE_HEAD;
    this.head = null;
    this.keepAlive = true;
    this.isHead = req.method === 'HEAD';
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
    if (this.controller && this.phase === PHASE_UNTIL_CLOSE) {
      this.complete();
      return;
    }
    this.fail(protocolError('ECONNRESET', 'the server closed the connection before the response completed'));
  }

  /** The response is complete; `extra`: the server sent more than it, so the connection is not reused. */
  private complete(extra = false): void {
    const c = this.controller;
    this.controller = null;
    this.head = null;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // Bytes after a complete answer would be read as the next request's answer: no reuse (no pipelining).
    if (extra || !this.keepAlive || this.phase === PHASE_UNTIL_CLOSE) this.close();
    else this.pool.release(this);
    if (c) {
      c.conn = null;
      c.handler.onResponseEnd?.(c, NO_HEADERS);
    }
  }

  /** Bytes [off, len) of `chunk` arrived (`chunk` may be the pool's read buffer: nothing of it is kept). */
  private onData(chunk: Buffer, off: number, len: number): void {
    while (off < len) {
      const c = this.controller;
      if (!c) {
        // Nothing was asked: an unsolicited answer, or bytes after a complete response.
        this.fail(protocolError('HPE_UNEXPECTED_CONTENT', 'the server sent data with no request in flight'));
        return;
      }
      switch (this.phase) {
        case PHASE_HEAD: {
          off = this.readHead(chunk, off, len);
          if (off < 0) return;
          break;
        }
        case PHASE_LENGTH: {
          const n = Math.min(this.remaining, len - off);
          this.remaining -= n;
          deliver(c, chunk, off, off + n);
          off += n;
          if (this.controller !== c) return;
          if (this.remaining === 0) {
            this.complete(off < len);
            return;
          }
          break;
        }
        case PHASE_UNTIL_CLOSE: {
          deliver(c, chunk, off, len);
          return;
        }
        default: {
          off = this.readChunked(chunk, off, len);
          if (off < 0) return;
        }
      }
    }
  }

  /** Parses the response head; returns the offset after it, or -1 when more bytes are needed or it failed. */
  private readHead(chunk: Buffer, off: number, len: number): number {
    const pool = this.pool;
    const info = pool.scratch;
    let buf: Buffer;
    let bufLen: number;
    let start: number;
    let end: number;
    // Most servers answer every request with the same head (a Date header changes once a second): a head
    // byte-equal to the last one parsed, final CRLF CRLF included, says what it said then.
    const cached = pool.lastResponseHead;
    const cachedLen = pool.lastResponseHeadLength;
    if (!this.head && cachedLen > 0 && len - off >= cachedLen && sameBytes(chunk, off, cached, cachedLen)) {
      buf = chunk;
      bufLen = len;
      start = off;
      end = off + cachedLen - 4;
      info.copy(pool.lastResponseInfo);
    } else {
      let searchFrom: number;
      if (this.head) {
        const prev = this.head.length;
        buf = Buffer.concat([this.head, chunk.subarray(off, len)]);
        bufLen = buf.length;
        start = 0;
        searchFrom = Math.max(0, prev - 3);
      } else {
        buf = chunk;
        bufLen = len;
        start = off;
        searchFrom = off;
      }
      end = headEnd(buf, searchFrom, bufLen);
      const max = pool.maxHeaderBytes;
      if (end < 0) {
        if (bufLen - start > max) {
          this.fail(protocolError('HPE_HEADER_OVERFLOW', `the response head exceeds ${max} bytes`));
          return -1;
        }
        // Kept across reads: a copy, since `chunk` is the pool's read buffer.
        this.head = buf !== chunk ? buf : Buffer.from(buf.subarray(start, bufLen));
        return -1;
      }
      if (end - start > max) {
        this.fail(protocolError('HPE_HEADER_OVERFLOW', `the response head exceeds ${max} bytes`));
        return -1;
      }
      this.head = null;
      if (!this.parseHead(buf, start, end, info)) return -1;
      // Remembered when nothing of it was materialised (a kept header's value object is not shared).
      if (info.headers === null && end + 4 - start <= cached.length) {
        buf.copy(cached, 0, start, end + 4);
        pool.lastResponseHeadLength = end + 4 - start;
        pool.lastResponseInfo.copy(info);
      }
    }
    const c = this.controller as Controller;
    const status = info.status;
    const afterHead = end + 4;
    if (status < 200) {
      if (status === 101) {
        this.fail(protocolError('HPE_UNEXPECTED_CONTENT', 'the server switched protocols (101) unasked'));
        return -1;
      }
      // Interim answer (100 Continue, 103 Early Hints): the final one follows.
      if (buf !== chunk) return this.restAfter(buf, afterHead, len);
      return afterHead;
    }
    this.keepAlive = !info.connClose;
    const noBody = this.isHead || status === 204 || status === 304;
    if (noBody) this.phase = PHASE_LENGTH;
    else if (info.transferEncoding) {
      this.phase = info.chunked ? PHASE_CHUNKED : PHASE_UNTIL_CLOSE;
      this.chunkPhase = CHUNK_SIZE;
      this.line = '';
    } else if (info.contentLength >= 0) this.phase = PHASE_LENGTH;
    else this.phase = PHASE_UNTIL_CLOSE;
    this.remaining = noBody ? 0 : info.contentLength;
    c.handler.onResponseStart?.(c, status, info.headers ?? NO_HEADERS);
    if (this.controller !== c) return -1;
    if (this.phase === PHASE_LENGTH && this.remaining === 0) {
      this.complete(afterHead < bufLen);
      return -1;
    }
    if (buf !== chunk) return this.restAfter(buf, afterHead, len);
    return afterHead;
  }

  /**
   * Parses the complete head in bytes [start, end) (end: the CR of its final CRLF CRLF) into `info`; false
   * when it is malformed (the connection has failed).
   */
  private parseHead(buf: Buffer, start: number, end: number, info: HeadInfo): boolean {
    // The head is parsed in place, byte by byte: no string is made unless a header is kept or unusual.
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    if (
      end - start < 12 ||
      buf[start] !== 72 ||
      buf[start + 1] !== 84 ||
      buf[start + 2] !== 84 ||
      buf[start + 3] !== 80 ||
      buf[start + 4] !== 47 ||
      buf[start + 5] !== 49 ||
      buf[start + 6] !== 46 ||
      buf[start + 8] !== 32
    ) {
      this.fail(protocolError('HPE_INVALID_CONSTANT', `not an HTTP/1.x response: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 40)))}`));
      return false;
    }
    const d0 = (buf[start + 9] as number) - 48;
    const d1 = (buf[start + 10] as number) - 48;
    const d2 = (buf[start + 11] as number) - 48;
    const after = start + 12 < end ? buf[start + 12] : 13;
    if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || !(after === 32 || after === 13)) {
      this.fail(protocolError('HPE_INVALID_STATUS', `invalid status line: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 40)))}`));
      return false;
    }
    const http10 = buf[start + 7] === 48;
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let connClose = http10;
    const keep = this.pool.keepHeaders;
    let headers: Record<string, string | string[] | undefined> | null = null;
    // `pos`: the CR ending the previous line; `end`: the CR of the blank line's CRLF pair ending the head.
    let pos = lineEnd(buf, start + 12, end);
    while (pos < end) {
      const from = pos + 2;
      const stop = lineEnd(buf, from, end);
      let colon = from;
      while (colon < stop && buf[colon] !== 58) colon++;
      if (colon === stop) {
        this.fail(protocolError('HPE_INVALID_HEADER_TOKEN', 'a response header line has no colon'));
        return false;
      }
      const nameLength = colon - from;
      // Only connection (10), content-length (14), transfer-encoding (17) and kept headers are looked at.
      if (keep !== null || nameLength === 10 || nameLength === 14 || nameLength === 17) {
        let vs = colon + 1;
        let ve = stop;
        while (vs < ve && (buf[vs] === 32 || buf[vs] === 9)) vs++;
        while (ve > vs && (buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--;
        if (nameLength === 14 && sameName(buf, from, CONTENT_LENGTH)) {
          const n = digits(buf, vs, ve);
          if (n < 0 || (contentLength >= 0 && contentLength !== n)) {
            this.fail(protocolError('HPE_INVALID_CONTENT_LENGTH', `invalid Content-Length: ${JSON.stringify(buf.toString('latin1', vs, Math.min(ve, vs + 40)))}`));
            return false;
          }
          contentLength = n;
        } else if (nameLength === 17 && sameName(buf, from, TRANSFER_ENCODING)) {
          transferEncoding = true;
          chunked = /(?:^|,)\s*chunked\s*$/i.test(buf.toString('latin1', vs, ve));
        } else if (nameLength === 10 && sameName(buf, from, CONNECTION)) {
          if (ve - vs === 10 && sameName(buf, vs, KEEP_ALIVE)) {
            if (http10) connClose = false;
          } else if (ve - vs === 5 && sameName(buf, vs, CLOSE)) connClose = true;
          else {
            const v = buf.toString('latin1', vs, ve).toLowerCase();
            if (/(?:^|,)\s*close\s*(?:,|$)/.test(v)) connClose = true;
            else if (http10 && /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(v)) connClose = false;
          }
        }
        if (keep !== null) {
          const name = buf.toString('latin1', from, colon).toLowerCase();
          if (keep.includes(name)) {
            const value = buf.toString('latin1', vs, ve);
            headers ??= {};
            const prev = headers[name];
            headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
          }
        }
      }
      pos = stop;
    }
    info.status = d0 * 100 + d1 * 10 + d2;
    info.contentLength = contentLength;
    info.transferEncoding = transferEncoding;
    info.chunked = chunked;
    info.connClose = connClose;
    info.headers = headers;
    return true;
  }

  /** After a head assembled from several chunks: feeds what followed it, then skips the current chunk. */
  private restAfter(buf: Buffer, from: number, len: number): number {
    if (from < buf.length) this.onData(buf, from, buf.length);
    return len;
  }

  /** Chunked body; returns the next offset, or -1 when the connection failed or the response completed. */
  private readChunked(chunk: Buffer, off: number, len: number): number {
    const c = this.controller as Controller;
    while (off < len) {
      switch (this.chunkPhase) {
        case CHUNK_SIZE:
        case CHUNK_TRAILERS: {
          const nl = lineFeed(chunk, off, len);
          const stop = nl < 0 ? len : nl + 1;
          this.line += chunk.toString('latin1', off, stop);
          off = stop;
          if (this.line.length > this.pool.maxHeaderBytes) {
            this.fail(protocolError('HPE_HEADER_OVERFLOW', 'a chunk-size line or the trailers are too long'));
            return -1;
          }
          if (nl < 0) return off;
          const line = this.line.replace(/\r?\n$/, '');
          this.line = '';
          if (this.chunkPhase === CHUNK_TRAILERS) {
            if (line === '') {
              this.complete(off < len);
              return -1;
            }
            break;
          }
          const m = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(line);
          if (!m) {
            this.fail(protocolError('HPE_INVALID_CHUNK_SIZE', `invalid chunk size line: ${JSON.stringify(line.slice(0, 40))}`));
            return -1;
          }
          const size = Number.parseInt(m[1] as string, 16);
          if (size === 0) this.chunkPhase = CHUNK_TRAILERS;
          else {
            this.remaining = size;
            this.chunkPhase = CHUNK_DATA;
          }
          break;
        }
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, len - off);
          this.remaining -= n;
          deliver(c, chunk, off, off + n);
          off += n;
          if (this.controller !== c) return -1;
          if (this.remaining === 0) this.chunkPhase = CHUNK_DATA_END;
          break;
        }
        default: {
          // CRLF after chunk data
          const nl = lineFeed(chunk, off, len);
          const stop = nl < 0 ? len : nl + 1;
          this.line += chunk.toString('latin1', off, stop);
          off = stop;
          if (nl < 0) {
            if (this.line.length > 2) {
              this.fail(protocolError('HPE_INVALID_CHUNK_SIZE', 'chunk data is not followed by CRLF'));
              return -1;
            }
            return off;
          }
          if (this.line !== '\r\n' && this.line !== '\n') {
            this.fail(protocolError('HPE_INVALID_CHUNK_SIZE', 'chunk data is not followed by CRLF'));
            return -1;
          }
          this.line = '';
          this.chunkPhase = CHUNK_SIZE;
        }
      }
    }
    return off;
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
}

/** A fixed set of keep-alive HTTP/1.1 connections to one origin. */
export class H1Pool {
  readonly target: Target;
  readonly connectTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly keepHeaders: readonly string[] | null;
  /**
   * Every connection of the pool reads into this buffer (`onread`), and the bytes are parsed before the next
   * read: chunks handed to onResponseData are views into it, valid during the call only (copy to keep).
   */
  readonly readBuffer: Buffer = Buffer.allocUnsafe(64 * 1024);
  /** The last head parsed with nothing materialised (bytes, final CRLF CRLF included) and what it said. */
  readonly lastResponseHead: Buffer = Buffer.alloc(1024);
  lastResponseHeadLength = 0;
  readonly lastResponseInfo = new HeadInfo();
  /** Where a head being read is parsed into (one at a time: reads are handled one after the other). */
  readonly scratch = new HeadInfo();
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
    this.target = { tls: isTls, host, port, hostHeader: u.host, rejectUnauthorized: options.rejectUnauthorized ?? true };
    this.max = Math.max(1, options.connections ?? 1);
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 65_536;
    this.keepHeaders = options.keepHeaders && options.keepHeaders.length > 0 ? options.keepHeaders.map((h) => h.toLowerCase()) : null;
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
