/**
 * The HTTP/1.1 response parser of golive's load client (h1.ts): pure, fed bytes, no sockets and no timers.
 *
 * A response head is parsed in place, byte by byte, without making strings (Content-Length,
 * Transfer-Encoding and Connection are compared as bytes; only the headers the caller keeps are
 * materialised), or not at all when it is byte-equal to the last head parsed (most servers repeat one head;
 * a Date header changes once a second). Body bytes are handed on as offsets into the caller's buffer.
 *
 * Framing follows RFC 9112 §6.3: no body for HEAD, 1xx, 204 and 304; chunked when the last transfer coding is
 * chunked; else Content-Length; else the body runs to the end of the connection. Interim 1xx answers are
 * skipped; 101 is an error (the client never asks for an upgrade).
 *
 * As strict as llhttp (Node's parser, without its lenient flags), and checked against it by a differential
 * fuzz test (test/integration/load-h1-fuzz.test.ts): CRLF line ends only (no bare CR or LF), header names
 * are tokens, header values hold no control characters but HTAB, no obs-fold, one Content-Length at most and
 * never beside Transfer-Encoding, chunk sizes in hex without spaces, chunk extensions and trailers well
 * formed. The differences that remain are deliberate and listed in that test: only HTTP/1.0 and 1.1 status
 * lines, status codes 100-599, no empty lines before a status line, lengths up to 2^53 - 1, no 101.
 * Errors carry llhttp's `HPE_*` codes (classified as protocol failures).
 */

/** Where a parser hands what it read. Calls are synchronous; the buffers are valid during the call only. */
export interface ResponseSink {
  /** A final (not 1xx) response head; `headers`: the kept names only (lower case). */
  onResponseHead(status: number, headers: Record<string, string | string[] | undefined>): void;
  /** Body bytes [start, end) of `buf` (framing removed: no chunk sizes, no trailers). */
  onResponseBody(buf: Buffer, start: number, end: number): void;
  /**
   * The response is complete. `reuse`: the connection may carry the next request (no `Connection: close`,
   * not delimited by the close, and no byte beyond the response in the bytes fed).
   */
  onResponseComplete(reuse: boolean): void;
  /** The bytes are not a valid response (an error with an `HPE_*` code); the parser expects nothing more. */
  onParseError(err: Error): void;
}

/** Lower-case bytes of the header names (and values) the parser compares in place. */
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');
const CONNECTION = Buffer.from('connection', 'latin1');
const KEEP_ALIVE = Buffer.from('keep-alive', 'latin1');
const CLOSE = Buffer.from('close', 'latin1');

/** RFC 9110 token characters (header names), as a table: one load per byte. */
const TOKEN_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN_CHAR[c.charCodeAt(0)] = 1;

// A chunk-size line without its CRLF: hex digits, then extensions `;name[=[token]|=quoted-string]` with no
// whitespace (what llhttp accepts, an empty value included). Each repetition starts at a `;` that no inner part can match, so the
// pattern cannot backtrack without bound.
const TCHAR = "!#$%&'*+\\-.^_`|~0-9A-Za-z";
const CHUNK_LINE = new RegExp(`^([0-9a-fA-F]+)(?:;[${TCHAR}]+(?:=(?:[${TCHAR}]*|"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"))?)*$`);
// A trailer field line without its CRLF: token, colon, a value without control characters but HTAB.
const TRAILER_LINE = new RegExp(`^[${TCHAR}]+:[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$`);

/** Largest Content-Length and chunk size taken: every count stays an exact double. */
const MAX_LENGTH = Number.MAX_SAFE_INTEGER;

/** An error with llhttp's code for the same fault. */
export function protocolError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
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

/** The decimal number in bytes [from, to): digits only (leading zeros allowed), at most MAX_LENGTH; else -1. */
function digits(buf: Buffer, from: number, to: number): number {
  if (to <= from) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
    if (n > MAX_LENGTH) return -1;
  }
  return n;
}

/** Whether bytes [at, at + n) of `buf` equal the first n bytes of `ref`. */
function sameBytes(buf: Buffer, at: number, ref: Buffer, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if (buf[at + i] !== ref[i]) return false;
  }
  return true;
}

/** Index of the first LF in [from, len), or -1 (a loop: indexOf would search the rest of the read buffer). */
function lineFeed(buf: Buffer, from: number, len: number): number {
  for (let i = from; i < len; i++) if (buf[i] === 10) return i;
  return -1;
}

const BARE_LF = -2;
const BARE_CR = -3;

/**
 * Index of the CR of the first CRLF CRLF in [from, len), -1 when there is none yet, BARE_LF or BARE_CR when a
 * line ends otherwise. `start`: where the head begins (a LF there has no CR before it). A loop over a short
 * head beats a native call.
 */
function headEnd(buf: Buffer, start: number, from: number, len: number): number {
  for (let i = from; i < len; i++) {
    const b = buf[i];
    if (b === 10) {
      if (i === start || buf[i - 1] !== 13) return BARE_LF;
      if (i - 3 >= start && buf[i - 2] === 10 && buf[i - 3] === 13) return i - 3;
    } else if (b === 13 && i + 1 < len && buf[i + 1] !== 10) return BARE_CR;
  }
  return -1;
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

/** Options of the parsers of one pool. */
export interface ParserOptions {
  /** Largest response head accepted, status line and headers (default 64 KiB); also caps chunk lines and trailers. */
  maxHeaderBytes?: number;
  /** Lower-case response header names passed to onResponseHead; others are not materialised. */
  keepHeaders?: readonly string[];
}

/**
 * What the parsers of one pool share: settings, the last head parsed and a scratch head. Parsers sharing it
 * must not run at the same time (a pool's reads are handled one after the other).
 */
export class ParserShared {
  readonly maxHeaderBytes: number;
  readonly keepHeaders: readonly string[] | null;
  /** The last head parsed with nothing materialised (bytes, final CRLF CRLF included) and what it said. */
  readonly lastHead: Buffer = Buffer.alloc(1024);
  lastHeadLength = 0;
  readonly lastInfo = new HeadInfo();
  /** Where a head being read is parsed into. */
  readonly scratch = new HeadInfo();
  constructor(options: ParserOptions = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? 65_536;
    this.keepHeaders = options.keepHeaders && options.keepHeaders.length > 0 ? options.keepHeaders.map((h) => h.toLowerCase()) : null;
  }
}

const PHASE_IDLE = 0;
const PHASE_HEAD = 1;
const PHASE_LENGTH = 2;
const PHASE_CHUNKED = 3;
const PHASE_UNTIL_CLOSE = 4;

const CHUNK_SIZE = 0;
const CHUNK_DATA = 1;
const CHUNK_DATA_END = 2;
const CHUNK_TRAILERS = 3;

const NO_HEADERS: Record<string, string | string[] | undefined> = Object.freeze({}) as Record<string, string | string[] | undefined>;

/** Parses the responses of one connection, one at a time (no pipelining), into a {@link ResponseSink}. */
export class ResponseParser {
  private readonly shared: ParserShared;
  private readonly sink: ResponseSink;
  private phase = PHASE_IDLE;
  /** Bumped by expect() and reset(): a sink call that changed it ended (or replaced) the response being read. */
  private gen = 0;
  /** Start of a head split across reads (a copy). */
  private head: Buffer | null = null;
  private remaining = 0;
  private keepAlive = true;
  private isHead = false;
  private chunkPhase = CHUNK_SIZE;
  private line = '';

  constructor(shared: ParserShared, sink: ResponseSink) {
    this.shared = shared;
    this.sink = sink;
  }

  /** A request was sent: the next bytes are its response. `isHead`: a HEAD request (no body follows). */
  expect(isHead: boolean): void {
    this.gen++;
    this.phase = PHASE_HEAD;
    this.head = null;
    this.keepAlive = true;
    this.isHead = isHead;
  }

  /** Forgets the response being read (the connection failed). */
  reset(): void {
    this.gen++;
    this.phase = PHASE_IDLE;
    this.head = null;
    this.line = '';
  }

  /** Whether a response is expected or being read. */
  get busy(): boolean {
    return this.phase !== PHASE_IDLE;
  }

  /**
   * The peer ended the connection. Completes a response delimited by the close (and returns true); false when
   * a response is expected or incomplete (the caller fails it) or none is.
   */
  eof(): boolean {
    if (this.phase !== PHASE_UNTIL_CLOSE) return false;
    this.phase = PHASE_IDLE;
    this.head = null;
    this.sink.onResponseComplete(false);
    return true;
  }

  /** Bytes [off, len) of `chunk` arrived; nothing of `chunk` is kept after the call (it may be reused). */
  execute(chunk: Buffer, off: number, len: number): void {
    while (off < len) {
      switch (this.phase) {
        case PHASE_IDLE:
          // Nothing was asked: an unsolicited answer, or bytes after a complete response.
          this.error(protocolError('HPE_UNEXPECTED_CONTENT', 'the server sent data with no request in flight'));
          return;
        case PHASE_HEAD: {
          off = this.readHead(chunk, off, len);
          if (off < 0) return;
          break;
        }
        case PHASE_LENGTH: {
          const n = Math.min(this.remaining, len - off);
          this.remaining -= n;
          const g = this.gen;
          this.sink.onResponseBody(chunk, off, off + n);
          off += n;
          if (this.gen !== g) return;
          if (this.remaining === 0) {
            this.complete(off < len);
            return;
          }
          break;
        }
        case PHASE_UNTIL_CLOSE: {
          this.sink.onResponseBody(chunk, off, len);
          return;
        }
        default: {
          off = this.readChunked(chunk, off, len);
          if (off < 0) return;
        }
      }
    }
  }

  private error(err: Error): void {
    this.reset();
    this.sink.onParseError(err);
  }

  /** The response is complete; `extra`: more bytes followed it, so the connection is not reused. */
  private complete(extra: boolean): void {
    // Bytes after a complete answer would be read as the next request's answer: no reuse (no pipelining).
    const reuse = !extra && this.keepAlive && this.phase !== PHASE_UNTIL_CLOSE;
    this.phase = PHASE_IDLE;
    this.head = null;
    this.sink.onResponseComplete(reuse);
  }

  /** Parses the response head; returns the offset after it, or -1 when more bytes are needed or reading stopped. */
  private readHead(chunk: Buffer, off: number, len: number): number {
    const shared = this.shared;
    const info = shared.scratch;
    let buf: Buffer;
    let bufLen: number;
    let start: number;
    let end: number;
    // A head byte-equal to the last one parsed, final CRLF CRLF included, says what it said then.
    const cached = shared.lastHead;
    const cachedLen = shared.lastHeadLength;
    if (!this.head && cachedLen > 0 && len - off >= cachedLen && sameBytes(chunk, off, cached, cachedLen)) {
      buf = chunk;
      bufLen = len;
      start = off;
      end = off + cachedLen - 4;
      info.copy(shared.lastInfo);
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
      end = headEnd(buf, start, searchFrom, bufLen);
      const max = shared.maxHeaderBytes;
      if (end === BARE_LF || end === BARE_CR) {
        this.error(protocolError(end === BARE_LF ? 'HPE_CR_EXPECTED' : 'HPE_LF_EXPECTED', `a response head line does not end with CRLF`));
        return -1;
      }
      if (end < 0) {
        if (bufLen - start > max) {
          this.error(protocolError('HPE_HEADER_OVERFLOW', `the response head exceeds ${max} bytes`));
          return -1;
        }
        // Kept across reads: a copy, since `chunk` may be a reused read buffer.
        this.head = buf !== chunk ? buf : Buffer.from(buf.subarray(start, bufLen));
        return -1;
      }
      if (end - start > max) {
        this.error(protocolError('HPE_HEADER_OVERFLOW', `the response head exceeds ${max} bytes`));
        return -1;
      }
      this.head = null;
      const fault = this.parseHead(buf, start, end, info);
      if (fault) {
        this.error(fault);
        return -1;
      }
      // Remembered when nothing of it was materialised (a kept header's value object is not shared).
      if (info.headers === null && end + 4 - start <= cached.length) {
        buf.copy(cached, 0, start, end + 4);
        shared.lastHeadLength = end + 4 - start;
        shared.lastInfo.copy(info);
      }
    }
    const status = info.status;
    const afterHead = end + 4;
    if (status < 200) {
      if (status === 101) {
        this.error(protocolError('HPE_UNEXPECTED_CONTENT', 'the server switched protocols (101) unasked'));
        return -1;
      }
      // An interim answer that closes the connection (Connection: close, HTTP/1.0 without keep-alive) ends
      // the exchange: nothing after it is an answer (llhttp: HPE_CLOSED_CONNECTION).
      if (info.connClose) {
        this.error(protocolError('HPE_CLOSED_CONNECTION', `the interim answer ${status} closes the connection`));
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
    const g = this.gen;
    this.sink.onResponseHead(status, info.headers ?? NO_HEADERS);
    if (this.gen !== g) return -1;
    if (this.phase === PHASE_LENGTH && this.remaining === 0) {
      this.complete(afterHead < bufLen);
      return -1;
    }
    if (buf !== chunk) return this.restAfter(buf, afterHead, len);
    return afterHead;
  }

  /**
   * Parses the complete head in bytes [start, end) (end: the CR of its final CRLF CRLF; every CR in it is
   * followed by a LF and every LF preceded by a CR) into `info`; returns the fault when it is malformed.
   */
  private parseHead(buf: Buffer, start: number, end: number, info: HeadInfo): Error | null {
    // The head is parsed in place, byte by byte: no string is made unless a header is kept or unusual.
    // Status line: HTTP/1.0 or HTTP/1.1, SP, 3 digits (100-599), then SP and a reason, or the line end.
    if (
      end - start < 12 ||
      buf[start] !== 72 ||
      buf[start + 1] !== 84 ||
      buf[start + 2] !== 84 ||
      buf[start + 3] !== 80 ||
      buf[start + 4] !== 47
    ) {
      return protocolError('HPE_INVALID_CONSTANT', `not an HTTP/1.x response: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 40)))}`);
    }
    const minor = buf[start + 7];
    if (buf[start + 5] !== 49 || buf[start + 6] !== 46 || (minor !== 48 && minor !== 49) || buf[start + 8] !== 32) {
      return protocolError('HPE_INVALID_VERSION', `not an HTTP/1.0 or 1.1 status line: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 40)))}`);
    }
    const d0 = (buf[start + 9] as number) - 48;
    const d1 = (buf[start + 10] as number) - 48;
    const d2 = (buf[start + 11] as number) - 48;
    const after = start + 12 < end ? buf[start + 12] : 13;
    if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || !(after === 32 || after === 13)) {
      return protocolError('HPE_INVALID_STATUS', `invalid status line: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 40)))}`);
    }
    const http10 = minor === 48;
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let connClose = http10;
    const keep = this.shared.keepHeaders;
    let headers: Record<string, string | string[] | undefined> | null = null;
    // The reason phrase may hold any byte but CR and LF (as in llhttp); CR only starts the CRLF here.
    let pos = start + 12;
    while (buf[pos] !== 13) pos++;
    // `pos`: the CR ending the previous line; `end`: the CR of the blank line's CRLF pair ending the head.
    while (pos < end) {
      const from = pos + 2;
      let colon = from;
      while (TOKEN_CHAR[buf[colon] as number] === 1) colon++;
      if (colon === from || buf[colon] !== 58) {
        return protocolError('HPE_INVALID_HEADER_TOKEN', `a response header line has no token name and colon: ${JSON.stringify(buf.toString('latin1', from, Math.min(end, from + 40)))}`);
      }
      // Value: HTAB, SP, visible and obs-text bytes up to the line's CR.
      let stop = colon + 1;
      for (;;) {
        const b = buf[stop] as number;
        if (b === 13) break;
        if ((b < 32 && b !== 9) || b === 127) return protocolError('HPE_INVALID_HEADER_TOKEN', 'a response header value holds a control character');
        stop++;
      }
      const nameLength = colon - from;
      // Only connection (10), content-length (14), transfer-encoding (17) and kept headers are looked at.
      if (keep !== null || nameLength === 10 || nameLength === 14 || nameLength === 17) {
        let vs = colon + 1;
        let ve = stop;
        while (vs < ve && (buf[vs] === 32 || buf[vs] === 9)) vs++;
        while (ve > vs && (buf[ve - 1] === 32 || buf[ve - 1] === 9)) ve--;
        if (nameLength === 14 && sameName(buf, from, CONTENT_LENGTH)) {
          // A second Content-Length, even an equal one, is refused (RFC 9112 §6.3 allows either; llhttp refuses).
          const n = digits(buf, vs, ve);
          if (n < 0 || contentLength >= 0) {
            return protocolError('HPE_INVALID_CONTENT_LENGTH', `${contentLength >= 0 ? 'a second' : 'an invalid'} Content-Length: ${JSON.stringify(buf.toString('latin1', vs, Math.min(ve, vs + 40)))}`);
          }
          contentLength = n;
        } else if (nameLength === 17 && sameName(buf, from, TRANSFER_ENCODING)) {
          if (ve === vs) return protocolError('HPE_INVALID_TRANSFER_ENCODING', 'an empty Transfer-Encoding');
          transferEncoding = true;
          chunked = /(?:^|,)[ \t]*chunked[ \t]*$/i.test(buf.toString('latin1', vs, ve));
        } else if (nameLength === 10 && sameName(buf, from, CONNECTION)) {
          if (ve - vs === 10 && sameName(buf, vs, KEEP_ALIVE)) {
            if (http10) connClose = false;
          } else if (ve - vs === 5 && sameName(buf, vs, CLOSE)) connClose = true;
          else {
            const v = buf.toString('latin1', vs, ve).toLowerCase();
            if (/(?:^|,)[ \t]*close[ \t]*(?:,|$)/.test(v)) connClose = true;
            else if (http10 && /(?:^|,)[ \t]*keep-alive[ \t]*(?:,|$)/.test(v)) connClose = false;
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
    // RFC 9112 §6.1: a sender must not send both; a message with both is a smuggling attempt or a broken proxy.
    if (transferEncoding && contentLength >= 0) return protocolError('HPE_INVALID_TRANSFER_ENCODING', 'Transfer-Encoding and Content-Length in one response');
    info.status = d0 * 100 + d1 * 10 + d2;
    info.contentLength = contentLength;
    info.transferEncoding = transferEncoding;
    info.chunked = chunked;
    info.connClose = connClose;
    info.headers = headers;
    return null;
  }

  /** After a head assembled from several reads: parses what followed it, then skips the current chunk. */
  private restAfter(buf: Buffer, from: number, len: number): number {
    if (from < buf.length) this.execute(buf, from, buf.length);
    return len;
  }

  /** Chunked body; returns the next offset, or -1 when reading stopped (error, complete, or the sink ended it). */
  private readChunked(chunk: Buffer, off: number, len: number): number {
    const max = this.shared.maxHeaderBytes;
    while (off < len) {
      switch (this.chunkPhase) {
        case CHUNK_SIZE:
        case CHUNK_TRAILERS: {
          const nl = lineFeed(chunk, off, len);
          const stop = nl < 0 ? len : nl + 1;
          this.line += chunk.toString('latin1', off, stop);
          off = stop;
          if (this.line.length > max) {
            this.error(protocolError('HPE_HEADER_OVERFLOW', 'a chunk-size line or the trailers are too long'));
            return -1;
          }
          if (nl < 0) return off;
          const raw = this.line;
          this.line = '';
          if (raw.length < 2 || raw.charCodeAt(raw.length - 2) !== 13) {
            this.error(protocolError('HPE_CR_EXPECTED', 'a chunk-size or trailer line does not end with CRLF'));
            return -1;
          }
          const line = raw.slice(0, -2);
          if (this.chunkPhase === CHUNK_TRAILERS) {
            if (line === '') {
              this.complete(off < len);
              return -1;
            }
            // A Content-Length trailer contradicts the chunked framing (llhttp refuses it too).
            if (!TRAILER_LINE.test(line) || /^content-length:/i.test(line)) {
              this.error(protocolError('HPE_INVALID_HEADER_TOKEN', `invalid trailer line: ${JSON.stringify(line.slice(0, 40))}`));
              return -1;
            }
            break;
          }
          const m = CHUNK_LINE.exec(line);
          const hex = m ? (m[1] as string).replace(/^0+(?=.)/, '') : '';
          if (!m || hex.length > 13) {
            this.error(protocolError('HPE_INVALID_CHUNK_SIZE', `invalid chunk size line: ${JSON.stringify(line.slice(0, 40))}`));
            return -1;
          }
          const size = Number.parseInt(hex, 16);
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
          const g = this.gen;
          this.sink.onResponseBody(chunk, off, off + n);
          off += n;
          if (this.gen !== g) return -1;
          if (this.remaining === 0) this.chunkPhase = CHUNK_DATA_END;
          break;
        }
        default: {
          // CRLF after chunk data, possibly split across reads.
          const b = chunk[off];
          const want = this.line === '' ? 13 : 10;
          if (b !== want) {
            this.error(protocolError('HPE_CR_EXPECTED', 'chunk data is not followed by CRLF'));
            return -1;
          }
          off++;
          if (want === 13) this.line = '\r';
          else {
            this.line = '';
            this.chunkPhase = CHUNK_SIZE;
          }
        }
      }
    }
    return off;
  }
}
