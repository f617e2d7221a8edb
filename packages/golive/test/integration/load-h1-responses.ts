/**
 * Generator of raw HTTP/1.1 responses for the h1 parser's differential fuzz test (load-h1-fuzz.test.ts):
 * valid ones (Content-Length, chunked with extensions and trailers, delimited by the close, 1xx interim
 * answers, 204/304, answers to HEAD) and invalid ones (bad status lines, conflicting lengths, bad chunk
 * sizes, obs-fold, bare CR and LF, over-long heads, control characters, garbage, truncations, random byte
 * edits of valid answers). Deterministic for a seed (src/load/prng.ts).
 */
import type { Random } from '../../src/load/prng.ts';

/** One generated exchange: the request method and the bytes the server answers with before it closes. */
export interface GeneratedResponse {
  /** What the generator made (for failure messages). */
  kind: string;
  method: 'GET' | 'HEAD';
  bytes: Buffer;
}

/** The header whose values both clients report (golive materialises only the names it is asked to keep). */
export const KEPT_HEADER = 'x-kept';

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Bytes a header value may hold besides HTAB and SP: visible ASCII and obs-text. */
const VALUE_BYTES = (() => {
  const out: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) out.push(b);
  for (let b = 0x80; b <= 0xff; b += 7) out.push(b);
  return out;
})();

class Gen {
  readonly r: Random;
  constructor(r: Random) {
    this.r = r;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.r() * items.length)] as T;
  }
  token(max = 12): string {
    let s = '';
    for (let i = this.int(1, max); i > 0; i--) s += TCHARS[this.int(0, TCHARS.length - 1)];
    return s;
  }
  /** A header value without control characters (may start or end with OWS). */
  value(max = 30): string {
    let s = this.chance(0.2) ? this.pick([' ', '\t', '  ']) : this.chance(0.8) ? ' ' : '';
    for (let i = this.int(0, max); i > 0; i--) s += this.chance(0.1) ? this.pick([' ', '\t']) : String.fromCharCode(this.pick(VALUE_BYTES));
    if (this.chance(0.2)) s += this.pick([' ', '\t']);
    return s;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.chance(0.1) ? this.pick([13, 10, 48, 72]) : this.int(0, 255);
    return b;
  }
  /** Decimal with optional leading zeros. */
  decimal(n: number): string {
    return `${this.chance(0.1) ? '0'.repeat(this.int(1, 4)) : ''}${n}`;
  }
  hex(n: number): string {
    const h = n.toString(16);
    return `${this.chance(0.1) ? '0'.repeat(this.int(1, 3)) : ''}${this.chance(0.5) ? h : h.toUpperCase()}`;
  }
  reason(): string {
    const kind = this.int(0, 9);
    if (kind === 0) return '';
    if (kind === 1) return ' ';
    let s = ' ';
    // Any byte but CR and LF may follow the status code (llhttp takes NUL and controls there too).
    for (let i = this.int(1, 20); i > 0; i--) {
      let b = this.chance(0.8) ? this.int(0x20, 0x7e) : this.int(0, 255);
      if (b === 13 || b === 10) b = 0x41;
      s += String.fromCharCode(b);
    }
    return s;
  }
  /** 0-5 ordinary headers (no framing header), sometimes the kept one, sometimes Connection. */
  headers(): string {
    let s = '';
    for (let i = this.int(0, 5); i > 0; i--) {
      const roll = this.int(0, 9);
      let name: string;
      if (roll === 0) name = this.pick([KEPT_HEADER, 'X-Kept', 'X-KEPT']);
      else if (roll === 1) name = this.pick(['connection', 'Connection']);
      else if (roll === 2) name = this.pick(['date', 'server', 'content-type', 'etag', 'cache-control']);
      else name = `x-${this.token(10)}`;
      const value = name.toLowerCase() === 'connection' ? ` ${this.pick(['close', 'keep-alive', 'Keep-Alive', 'upgrade, close', 'x'])}` : this.value();
      s += `${name}:${value}\r\n`;
    }
    return s;
  }
}

/** A valid exchange, as parts so invalid ones can be made from it. */
interface Parts {
  kind: string;
  method: 'GET' | 'HEAD';
  /** Interim 1xx answers before the final one, complete. */
  interim: string;
  statusLine: string;
  /** Header lines of the final answer, each ending in CRLF (framing headers included). */
  headers: string;
  /** What follows the final head. */
  body: Buffer;
  /** When set: the exact bytes before the body, instead of interim, status line and headers. */
  raw?: string;
}

const assemble = (p: Parts): Buffer =>
  Buffer.concat([Buffer.from(p.raw ?? `${p.interim}${p.statusLine}\r\n${p.headers}\r\n`, 'latin1'), p.body]);

const FINAL_STATUS = [200, 200, 200, 201, 202, 203, 206, 301, 302, 307, 400, 401, 403, 404, 409, 418, 429, 500, 502, 503, 599];

function chunkedBody(g: Gen, trailersAllowed = true): { body: Buffer; data: Buffer } {
  const parts: Buffer[] = [];
  const data: Buffer[] = [];
  const ext = () => {
    if (!g.chance(0.3)) return '';
    let s = '';
    for (let i = g.int(1, 2); i > 0; i--) {
      s += `;${g.token(6)}`;
      const v = g.int(0, 3);
      if (v === 1) s += `=${g.token(6)}`;
      else if (v === 2) s += `="${g.pick(['', 'a b', 'x\\"y', 'tab\there', '\xe9t\xe9'])}"`;
      else if (v === 3) s += '=';
    }
    return s;
  };
  for (let i = g.int(0, 4); i > 0; i--) {
    const chunk = g.bytes(g.int(1, 300));
    data.push(chunk);
    parts.push(Buffer.from(`${g.hex(chunk.length)}${ext()}\r\n`, 'latin1'), chunk, Buffer.from('\r\n'));
  }
  let last = `${g.chance(0.1) ? '00' : '0'}${ext()}\r\n`;
  if (trailersAllowed) for (let i = g.chance(0.3) ? g.int(1, 2) : 0; i > 0; i--) last += `x-${g.token(6)}:${g.value(10)}\r\n`;
  parts.push(Buffer.from(`${last}\r\n`, 'latin1'));
  return { body: Buffer.concat(parts), data: Buffer.concat(data) };
}

function validParts(g: Gen): Parts {
  const version = g.chance(0.85) ? '1.1' : '1.0';
  let interim = '';
  if (g.chance(0.15)) {
    for (let i = g.int(1, 2); i > 0; i--) interim += `HTTP/${version} ${g.pick([100, 102, 103])}${g.reason()}\r\n${g.headers()}\r\n`;
  }
  const framing = g.int(0, 5);
  let headers = g.headers();
  const status = g.pick(FINAL_STATUS);
  const cl = (n: number) => `${g.pick(['content-length', 'Content-Length', 'CONTENT-LENGTH'])}:${g.pick(['', ' ', '  ', '\t'])}${g.decimal(n)}${g.pick(['', '', ' ', '\t'])}\r\n`;
  const te = (v: string) => `${g.pick(['transfer-encoding', 'Transfer-Encoding'])}: ${v}\r\n`;
  const mix = (h: string) => (g.chance(0.5) ? `${h}${headers}` : `${headers}${h}`);
  if (framing === 0 || framing === 1) {
    const body = g.bytes(g.chance(0.2) ? 0 : g.int(1, 2000));
    headers = mix(cl(body.length));
    return { kind: 'valid content-length', method: 'GET', interim, statusLine: `HTTP/${version} ${status}${g.reason()}`, headers, body };
  }
  if (framing === 2) {
    const { body } = chunkedBody(g);
    headers = mix(te(g.pick(['chunked', 'Chunked', 'CHUNKED', 'gzip, chunked', 'gzip,chunked', 'chunked ', 'chunked, chunked'])));
    return { kind: 'valid chunked', method: 'GET', interim, statusLine: `HTTP/${version} ${status}${g.reason()}`, headers, body };
  }
  if (framing === 3) {
    // No length: the body runs to the close (also when the last coding is not chunked).
    if (g.chance(0.3)) headers = mix(te(g.pick(['gzip', 'chunked, gzip', 'identity'])));
    return { kind: 'valid close-delimited', method: 'GET', interim, statusLine: `HTTP/${version} ${status}${g.reason()}`, headers, body: g.bytes(g.int(0, 1500)) };
  }
  if (framing === 4) {
    const code = g.pick([204, 304]);
    const roll = g.int(0, 2);
    if (roll === 1) headers = mix(cl(g.int(0, 5000)));
    else if (roll === 2) headers = mix(te('chunked'));
    return { kind: `valid ${code}`, method: 'GET', interim, statusLine: `HTTP/${version} ${code}${g.reason()}`, headers, body: Buffer.alloc(0) };
  }
  const roll = g.int(0, 2);
  if (roll === 1) headers = mix(cl(g.int(0, 5000)));
  else if (roll === 2) headers = mix(te('chunked'));
  return { kind: 'valid HEAD', method: 'HEAD', interim, statusLine: `HTTP/${version} ${status}${g.reason()}`, headers, body: Buffer.alloc(0) };
}

/** A valid answer with a Content-Length body (the base of most invalid ones). */
function lengthParts(g: Gen): Parts {
  const body = g.bytes(g.int(1, 200));
  return { kind: '', method: 'GET', interim: '', statusLine: `HTTP/1.1 ${g.pick(FINAL_STATUS)} OK`, headers: `${g.headers()}content-length: ${body.length}\r\n${g.headers()}`, body };
}

function chunkedParts(g: Gen): Parts {
  const { body } = chunkedBody(g);
  return { kind: '', method: 'GET', interim: '', statusLine: 'HTTP/1.1 200 OK', headers: `${g.headers()}transfer-encoding: chunked\r\n`, body };
}

/** Replaces the `n`th CRLF of `s` (counted from 0) with `by`. */
function replaceCrlf(s: string, n: number, by: string): string {
  let at = -2;
  for (let i = 0; i <= n; i++) {
    at = s.indexOf('\r\n', at + 2);
    if (at < 0) return s;
  }
  return s.slice(0, at) + by + s.slice(at + 2);
}

const INVALID: ((g: Gen) => Parts)[] = [
  (g) => ({
    ...lengthParts(g),
    kind: 'invalid status line',
    statusLine: g.pick([
      'http/1.1 200 OK',
      'HTTP/1.1  200 OK',
      'HTTP/1.1 20 OK',
      'HTTP/1.1 2000 OK',
      'HTTP/1.1 2x0 OK',
      'HTTP/1.1 -20 OK',
      'HTTP/1.2 200 OK',
      'HTTP/3.0 200 OK',
      'HTTP/1.1\t200 OK',
      'HTTP/11 200 OK',
      'HTTP 200 OK',
      'ICY 200 OK',
      'HTTP/1.1 200OK',
      ' HTTP/1.1 200 OK',
      'HTTP/1.1',
      '',
    ]),
  }),
  // Accepted by llhttp, refused by golive: see DELIBERATE in the test.
  (g) => ({ ...lengthParts(g), kind: 'deliberate status line', statusLine: g.pick(['HTTP/2.0 200 OK', 'HTTP/0.9 200 OK', 'HTTP/1.1 600 X', 'HTTP/1.1 099 X', 'HTTP/1.1 999 X', 'HTTP/1.0 000']) }),
  (g) => ({ ...lengthParts(g), kind: 'deliberate leading empty line', interim: g.pick(['\r\n', '\n', '\r\n\r\n']) }),
  (g) => {
    const p = g.chance(0.5) ? lengthParts(g) : chunkedParts(g);
    const head = `${p.statusLine}\r\n${p.headers}\r\n`;
    const lines = head.split('\r\n').length - 1;
    const by = g.pick(['\n', '\r', '\n\r', '\r\r\n']);
    const broken = replaceCrlf(head, g.int(0, lines - 1), by);
    return { ...p, kind: `invalid line end ${JSON.stringify(by)}`, raw: broken };
  },
  (g) => ({ ...lengthParts(g), kind: 'invalid CR in a value', headers: `x-a: 1\r2\r\n${lengthParts(g).headers}` }),
  (g) => {
    const p = lengthParts(g);
    const fold = g.pick([`x-a: 1\r\n ${g.token()}\r\n`, `x-a: 1\r\n\t${g.token()}: 2\r\n`, ` x-b: 2\r\n`]);
    return { ...p, kind: 'invalid obs-fold', headers: g.chance(0.5) ? `${fold}${p.headers}` : `${p.headers}${fold}` };
  },
  (g) => {
    const p = lengthParts(g);
    const bad = g.pick(['x a: 1', 'x-a : 1', 'x-a\t: 1', ': 1', 'x(a): 1', 'x@a: 1', 'x-a 1', 'x-a', 'x"a": 1', 'x{a}: 1', '\x00: 1', 'x\xe9: 1']);
    return { ...p, kind: `invalid header name ${JSON.stringify(bad)}`, headers: `${bad}\r\n${p.headers}` };
  },
  (g) => {
    const p = lengthParts(g);
    const ctl = String.fromCharCode(g.pick([0, 1, 8, 11, 12, 27, 31, 127]));
    return { ...p, kind: `invalid control ${ctl.charCodeAt(0)} in a value`, headers: `x-a: a${ctl}b\r\n${p.headers}` };
  },
  (g) => {
    const body = g.bytes(g.int(1, 50));
    const second = g.pick([String(body.length), String(body.length + 1), '0']);
    return { kind: 'invalid second content-length', method: 'GET', interim: '', statusLine: 'HTTP/1.1 200 OK', headers: `content-length: ${body.length}\r\n${g.headers()}Content-Length: ${second}\r\n`, body };
  },
  (g) => {
    const { body } = chunkedBody(g);
    const both = g.chance(0.5) ? `content-length: ${body.length}\r\ntransfer-encoding: chunked\r\n` : `transfer-encoding: chunked\r\ncontent-length: ${body.length}\r\n`;
    return { kind: 'invalid content-length with transfer-encoding', method: 'GET', interim: '', statusLine: `HTTP/1.${g.int(0, 1)} ${g.pick([200, 204, 304])} OK`, headers: both, body };
  },
  (g) => {
    const v = g.pick(['+5', '-1', '1 2', '', '0x10', '5,5', '5, 5', '5;', 'five', '\xb9', '99999999999999999999999']);
    return { kind: `invalid content-length ${JSON.stringify(v)}`, method: 'GET', interim: '', statusLine: 'HTTP/1.1 200 OK', headers: `content-length: ${v}\r\n`, body: g.bytes(5) };
  },
  (g) => ({ kind: 'deliberate content-length above 2^53', method: g.chance(0.5) ? 'HEAD' : 'GET', interim: '', statusLine: `HTTP/1.1 ${g.pick([200, 204, 304])} OK`, headers: `content-length: ${g.pick(['9007199254740992', '99999999999999999', '18446744073709551615'])}\r\n`, body: Buffer.alloc(0) }),
  (g) => ({ kind: 'invalid empty transfer-encoding', method: 'GET', interim: '', statusLine: 'HTTP/1.1 200 OK', headers: `transfer-encoding:${g.pick(['', ' ', '\t '])}\r\n`, body: g.bytes(10) }),
  (g) => {
    const data = g.bytes(g.int(1, 40));
    const size = data.length.toString(16);
    const line = g.pick([`g\r\n`, `0x${size}\r\n`, `${size} \r\n`, `${size} ;a=1\r\n`, `;a\r\n`, `\r\n`, `${size}; a=1\r\n`, `${size};\r\n`, `${size};a=1 \r\n`, `${size};a="x\r\n`, `${size};a="x"y\r\n`, `${size};a="\x01"\r\n`, `${size}\n`, `ffffffffffffffffffff\r\n`, `-${size}\r\n`, `${size}\r`]);
    return { kind: `invalid chunk size ${JSON.stringify(line)}`, method: 'GET', interim: '', statusLine: 'HTTP/1.1 200 OK', headers: 'transfer-encoding: chunked\r\n', body: Buffer.concat([Buffer.from(line, 'latin1'), data, Buffer.from('\r\n0\r\n\r\n')]) };
  },
  (g) => {
    const after = g.pick(['X', '\n', '\rX', 'XY\r\n', '']);
    return { kind: `invalid chunk data end ${JSON.stringify(after)}`, method: 'GET', interim: '', statusLine: 'HTTP/1.1 200 OK', headers: 'transfer-encoding: chunked\r\n', body: Buffer.from(`3\r\nabc${after}0\r\n\r\n`, 'latin1') };
  },
  (g) => {
    const trailer = g.pick(['x t: 1', 'xt', ' x: 1', 'x: a\x01', 'x: 1\r\n y', 'content-length: 5', ': 1', 'x: 1\n']);
    return { kind: `invalid trailer ${JSON.stringify(trailer)}`, method: 'GET', interim: '', statusLine: 'HTTP/1.1 200 OK', headers: 'transfer-encoding: chunked\r\n', body: Buffer.from(`3\r\nabc\r\n0\r\n${trailer}\r\n\r\n`, 'latin1') };
  },
  (g) => {
    const p = g.chance(0.5) ? chunkedParts(g) : lengthParts(g);
    const whole = assemble(p);
    const head = `${p.statusLine}\r\n${p.headers}\r\n`.length;
    // Cut anywhere but at the very end (a cut inside a Content-Length body or before the last chunk).
    const at = g.int(0, whole.length - 1);
    return { ...p, kind: `invalid truncated at ${at} of ${whole.length} (head ${head})`, raw: whole.subarray(0, at).toString('latin1'), body: Buffer.alloc(0) };
  },
  (g) => {
    let filler = '';
    while (filler.length < 70_000 + g.int(0, 30_000)) filler += `x-filler-${g.token(6)}: ${'y'.repeat(g.int(100, 900))}\r\n`;
    return { ...lengthParts(g), kind: 'invalid over-long head', headers: `${filler}content-length: 0\r\n` };
  },
  (g) => {
    const garbage = g.bytes(g.int(0, 120));
    return { kind: 'invalid garbage', method: 'GET', interim: '', statusLine: '', headers: '', raw: garbage.toString('latin1'), body: Buffer.alloc(0) };
  },
  (g) => ({ kind: 'invalid NUL bytes', method: 'GET', interim: '', statusLine: '', headers: '', raw: g.pick(['\0\0\0\0', 'HTTP/1.1 200 OK\0', '\0HTTP/1.1 200 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\n\0: 1\r\n\r\n']), body: Buffer.alloc(0) }),
  (g) => ({ kind: 'invalid 101', method: 'GET', interim: '', statusLine: 'HTTP/1.1 101 Switching Protocols', headers: `upgrade: ${g.token()}\r\nconnection: upgrade\r\n`, body: Buffer.alloc(0) }),
];

/** Random edits of valid bytes: replace, insert or delete a byte where it matters most (near the head). */
function mutate(g: Gen, bytes: Buffer): Buffer {
  let b = Buffer.from(bytes);
  for (let n = g.int(1, 3); n > 0; n--) {
    const limit = g.chance(0.7) ? Math.min(b.length, 120) : b.length;
    if (limit === 0) break;
    const at = g.int(0, limit - 1);
    const value = g.chance(0.7) ? g.pick([0, 9, 10, 13, 32, 34, 44, 48, 49, 53, 57, 58, 59, 65, 97, 102, 127, 255]) : g.int(0, 255);
    const op = g.int(0, 2);
    if (op === 0) b[at] = value;
    else if (op === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from([value]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
}

/** The next response drawn from `random` (a run's responses follow from its seed). */
export function generateResponse(random: Random): GeneratedResponse {
  const g = new Gen(random);
  const roll = g.r();
  if (roll < 0.4) {
    const p = validParts(g);
    return { kind: p.kind, method: p.method, bytes: assemble(p) };
  }
  if (roll < 0.55) {
    const p = validParts(g);
    return { kind: `mutated ${p.kind}`, method: p.method, bytes: mutate(g, assemble(p)) };
  }
  const p = g.pick(INVALID)(g);
  return { kind: p.kind, method: p.method, bytes: assemble(p) };
}
