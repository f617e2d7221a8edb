import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Accepted clock difference between signer and pilot, both directions. */
export const SIGNATURE_TOLERANCE_SEC = 300;

/** A parsed `X-Signature` header: `v2` (binds the Idempotency-Key), `v1` (legacy), or both. */
export interface ParsedSignature {
  timestamp: number;
  /** Lower-case hex HMAC-SHA256 over `${t}.${METHOD}.${path}.${rawBody}` (64 characters), if sent. */
  v1: string | undefined;
  /** Lower-case hex HMAC-SHA256 over `${t}.${METHOD}.${path}.${idempotencyKey}.${rawBody}`, if sent. */
  v2: string | undefined;
  keyId: string | undefined;
}

/** Why a signature header was refused; stable strings used in error bodies and metrics labels. */
export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'future' | 'unknown_key' | 'mismatch' | 'v1_retired';

/** Signature scheme versions; v2 signs the Idempotency-Key too. */
export type SignatureVersion = 'v1' | 'v2';

const HEX64 = /^[0-9a-f]{64}$/;
const KID = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Parses `t=<unix seconds>,v2=<hex>[,v1=<hex>][,kid=<key id>]` (elements in any order, at least one of v1
 * and v2). Strict: unknown or repeated elements, a non-integer timestamp or a signature that is not 64 hex
 * digits make the header malformed.
 */
export function parseSignatureHeader(header: string | undefined): ParsedSignature | SignatureFailure {
  if (header === undefined || header === '') return 'missing';
  if (header.length > 512) return 'malformed';
  let t: number | undefined;
  let v1: string | undefined;
  let v2: string | undefined;
  let kid: string | undefined;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return 'malformed';
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && t === undefined && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && v1 === undefined && HEX64.test(v.toLowerCase())) v1 = v.toLowerCase();
    else if (k === 'v2' && v2 === undefined && HEX64.test(v.toLowerCase())) v2 = v.toLowerCase();
    else if (k === 'kid' && kid === undefined && KID.test(v)) kid = v;
    else return 'malformed';
  }
  if (t === undefined || (v1 === undefined && v2 === undefined)) return 'malformed';
  return { timestamp: t, v1, v2, keyId: kid };
}

/** The v1 HMAC input: `${t}.${METHOD}.${path}.${rawBody}` (path without query). */
export function signedPayload(timestamp: number, method: string, path: string, rawBody: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.${method.toUpperCase()}.${path}.`), rawBody]);
}

/**
 * The v2 HMAC input: `${t}.${METHOD}.${path}.${idempotencyKey}.${rawBody}`. Binding the key means a captured
 * request cannot be replayed under another key (the body, a JSON object, starts with `{` or whitespace, so
 * a key containing dots cannot be confused with the start of the body).
 */
export function signedPayloadV2(timestamp: number, method: string, path: string, idempotencyKey: string, rawBody: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.${method.toUpperCase()}.${path}.${idempotencyKey}.`), rawBody]);
}

/** Computes the v1 value (hex HMAC-SHA256) a legacy client sends. */
export function computeSignature(
  secret: string,
  timestamp: number,
  method: string,
  path: string,
  rawBody: Buffer | string,
): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  return createHmac('sha256', secret).update(signedPayload(timestamp, method, path, body)).digest('hex');
}

/** Computes the v2 value (hex HMAC-SHA256, the Idempotency-Key included). */
export function computeSignatureV2(
  secret: string,
  timestamp: number,
  method: string,
  path: string,
  idempotencyKey: string,
  rawBody: Buffer | string,
): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  return createHmac('sha256', secret).update(signedPayloadV2(timestamp, method, path, idempotencyKey, body)).digest('hex');
}

/**
 * Builds a complete `X-Signature` header value; for clients, tests and benchmarks. With an
 * `idempotencyKey` it signs v2 (`t=…,v2=…`), without one v1 (`t=…,v1=…`, accepted until the sunset).
 */
export function signRequest(o: {
  secret: string;
  method: string;
  path: string;
  body: Buffer | string;
  idempotencyKey?: string;
  timestamp?: number;
  keyId?: string;
}): string {
  const t = o.timestamp ?? Math.floor(Date.now() / 1000);
  const sig =
    o.idempotencyKey === undefined
      ? `v1=${computeSignature(o.secret, t, o.method, o.path, o.body)}`
      : `v2=${computeSignatureV2(o.secret, t, o.method, o.path, o.idempotencyKey, o.body)}`;
  return o.keyId ? `t=${t},${sig},kid=${o.keyId}` : `t=${t},${sig}`;
}

/** One key a tenant may sign with. */
export interface SigningKey {
  keyId: string;
  secret: string;
}

/** The parts of a request a signature covers. */
export interface SignedRequest {
  method: string;
  /** Path without query string. */
  path: string;
  rawBody: Buffer;
  /** The Idempotency-Key header (v2 signs it). */
  idempotencyKey?: string | undefined;
}

/** Options of {@link verifySignature}. */
export interface VerifyOptions {
  nowSec?: number;
  toleranceSec?: number;
  /** From this instant (unix seconds) a header with v1 only is refused (`v1_retired`). Default: never. */
  v1SunsetSec?: number;
}

/**
 * Verifies a parsed signature against the tenant's active keys: the timestamp within ±tolerance, then a
 * constant-time comparison. A header with `v2` is verified on v2 alone (a `v1` beside it is ignored);
 * a v1-only header is verified on v1 until the sunset. With `kid` only that key is tried; without it every
 * active key is (a rotation window). Returns the matching key id and the version verified, or the failure.
 */
export function verifySignature(
  sig: ParsedSignature,
  keys: readonly SigningKey[],
  request: SignedRequest,
  options: VerifyOptions = {},
): { ok: true; keyId: string; version: SignatureVersion; value: string } | { ok: false; reason: SignatureFailure } {
  const nowSec = options.nowSec ?? Math.floor(Date.now() / 1000);
  const toleranceSec = options.toleranceSec ?? SIGNATURE_TOLERANCE_SEC;
  if (nowSec - sig.timestamp > toleranceSec) return { ok: false, reason: 'stale' };
  if (sig.timestamp - nowSec > toleranceSec) return { ok: false, reason: 'future' };
  const version: SignatureVersion = sig.v2 !== undefined ? 'v2' : 'v1';
  if (version === 'v1' && options.v1SunsetSec !== undefined && nowSec >= options.v1SunsetSec) {
    return { ok: false, reason: 'v1_retired' };
  }
  // v2 without a key to bind cannot match anything.
  if (version === 'v2' && request.idempotencyKey === undefined) return { ok: false, reason: 'mismatch' };
  const candidates = sig.keyId === undefined ? keys : keys.filter((k) => k.keyId === sig.keyId);
  if (candidates.length === 0) return { ok: false, reason: 'unknown_key' };
  const value = (version === 'v2' ? sig.v2 : sig.v1) as string;
  const given = Buffer.from(value, 'hex');
  const payload =
    version === 'v2'
      ? signedPayloadV2(sig.timestamp, request.method, request.path, request.idempotencyKey as string, request.rawBody)
      : signedPayload(sig.timestamp, request.method, request.path, request.rawBody);
  let matched: string | undefined;
  for (const k of candidates) {
    const expected = createHmac('sha256', k.secret).update(payload).digest();
    // Compare against every candidate (no early exit) so timing does not reveal which key matched.
    if (timingSafeEqual(expected, given) && matched === undefined) matched = k.keyId;
  }
  return matched === undefined ? { ok: false, reason: 'mismatch' } : { ok: true, keyId: matched, version, value };
}

/** SHA-256 hex of a string: how API keys are stored and request bodies fingerprinted. */
export function sha256Hex(input: string | Buffer): string {
  return createHash('sha256').update(input).digest('hex');
}
