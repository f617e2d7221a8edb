import { isUtf8 } from 'node:buffer';

/** Limits a JSON body must respect before it is parsed (and long before it reaches `jsonb`). */
export interface JsonLimits {
  /** Deepest nesting of arrays and objects accepted (`{"a":1}` is depth 1). */
  maxDepth: number;
  /** Largest body accepted, in bytes. */
  maxBytes: number;
}

/**
 * Digits after the decimal point a number may need (`0.5e-3` needs 4). Every number a 64-bit float
 * serialises to fits (the smallest, `5e-324`, needs 324); PostgreSQL's own limit is 16 383, and a short
 * literal such as `0e-16383` would come back from the database 16 000 characters long.
 */
export const MAX_FRACTION_DIGITS = 400;

/** Why a JSON body was refused before storing: a stable code, the HTTP status and a message naming the problem. */
export class JsonBodyError extends Error {
  readonly code: string;
  readonly statusCode: number;
  constructor(code: string, statusCode: number, message: string) {
    super(message);
    this.name = 'JsonBodyError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Checks a raw JSON body for what JavaScript's parser accepts but PostgreSQL's `jsonb` refuses, or what
 * would hurt later: invalid UTF-8, a byte order mark, `\u0000` (in keys or values), lone surrogate
 * escapes, numbers outside the range of a 64-bit float or with more than {@link MAX_FRACTION_DIGITS}
 * fractional digits, nesting deeper than `maxDepth`, and more than `maxBytes`. One linear pass over the
 * bytes, no recursion. Returns the first problem found, or undefined. Malformed JSON is left to the
 * parser that runs afterwards: this scan only looks at what a valid document could contain.
 */
export function checkJsonBody(buf: Buffer, limits: JsonLimits): JsonBodyError | undefined {
  if (buf.length > limits.maxBytes) {
    return new JsonBodyError('body_too_large', 413, `the JSON body is larger than ${limits.maxBytes} bytes`);
  }
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    return new JsonBodyError('body_bom', 400, 'the JSON body starts with a byte order mark (U+FEFF); send it without');
  }
  if (!isUtf8(buf)) return new JsonBodyError('body_invalid_utf8', 400, 'the JSON body is not valid UTF-8');
  let depth = 0;
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const c = buf[i]!;
    if (c === QUOTE) {
      i += 1;
      // Inside a string: only escapes matter (the parser refuses raw control characters).
      while (i < n && buf[i] !== QUOTE) {
        if (buf[i] !== BACKSLASH) {
          i += 1;
          continue;
        }
        if (buf[i + 1] !== 0x75 /* u */) {
          i += 2;
          continue;
        }
        const cp = hex4(buf, i + 2);
        if (cp === 0) {
          return new JsonBodyError('body_nul_character', 400, 'the JSON body contains \\u0000, which cannot be stored');
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          // A high surrogate must be followed at once by an escaped low surrogate.
          const low = buf[i + 6] === BACKSLASH && buf[i + 7] === 0x75 ? hex4(buf, i + 8) : -1;
          if (low < 0xdc00 || low > 0xdfff) return loneSurrogate();
          i += 12;
          continue;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) return loneSurrogate();
        i += 6;
      }
      i += 1;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth += 1;
      if (depth > limits.maxDepth) {
        return new JsonBodyError('body_too_deep', 400, `the JSON body is nested deeper than ${limits.maxDepth} levels`);
      }
      i += 1;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth -= 1;
      i += 1;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < n && isNumberByte(buf[end]!)) end += 1;
      const problem = checkNumber(buf.toString('latin1', i, end));
      if (problem) return problem;
      i = end;
    } else {
      i += 1;
    }
  }
  return undefined;
}

function loneSurrogate(): JsonBodyError {
  return new JsonBodyError(
    'body_lone_surrogate',
    400,
    'the JSON body contains a lone UTF-16 surrogate escape (\\ud800-\\udfff not in a valid pair)',
  );
}

function isNumberByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2e || b === 0x65 || b === 0x45 || b === 0x2b || b === 0x2d;
}

/** The code point of 4 hex digits at `at`, or -1 when they are not 4 hex digits. */
function hex4(buf: Buffer, at: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const b = buf[at + k];
    if (b === undefined) return -1;
    const d = b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x61 && b <= 0x66 ? b - 0x57 : b >= 0x41 && b <= 0x46 ? b - 0x37 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

const NUMBER = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

function checkNumber(token: string): JsonBodyError | undefined {
  const m = NUMBER.exec(token);
  // Not a JSON number: the parser that runs next refuses it with its own message.
  if (!m) return undefined;
  if (!Number.isFinite(Number(token))) {
    return new JsonBodyError('body_number_out_of_range', 400, 'the JSON body holds a number beyond the range of a 64-bit float');
  }
  const fraction = m[2]?.length ?? 0;
  const exponent = m[3] === undefined ? 0 : Number(m[3]);
  if (fraction - exponent > MAX_FRACTION_DIGITS) {
    return new JsonBodyError(
      'body_number_out_of_range',
      400,
      `the JSON body holds a number with more than ${MAX_FRACTION_DIGITS} digits after the decimal point`,
    );
  }
  return undefined;
}
