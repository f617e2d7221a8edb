import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Accepted clock difference between signer and pilot, both directions. */
export const SIGNATURE_TOLERANCE_SEC = 300;

/** A parsed `X-Signature` header. */
export interface ParsedSignature {
  timestamp: number;
  /** Lower-case hex HMAC-SHA256, 64 characters. */
  v1: string;
  keyId: string | undefined;
}

/** Why a signature header was refused; stable strings used in error bodies and metrics labels. */
export type SignatureFailure = 'missing' | 'malformed' | 'stale' | 'future' | 'unknown_key' | 'mismatch';

const HEX64 = /^[0-9a-f]{64}$/;
const KID = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Parses `t=<unix seconds>,v1=<hex>[,kid=<key id>]`. Strict: unknown or repeated elements, a
 * non-integer timestamp or a v1 that is not 64 hex digits make the header malformed.
 */
export function parseSignatureHeader(header: string | undefined): ParsedSignature | SignatureFailure {
  if (header === undefined || header === '') return 'missing';
  if (header.length > 512) return 'malformed';
  let t: number | undefined;
  let v1: string | undefined;
  let kid: string | undefined;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return 'malformed';
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't' && t === undefined && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && v1 === undefined && HEX64.test(v.toLowerCase())) v1 = v.toLowerCase();
    else if (k === 'kid' && kid === undefined && KID.test(v)) kid = v;
    else return 'malformed';
  }
  if (t === undefined || v1 === undefined) return 'malformed';
  return { timestamp: t, v1, keyId: kid };
}

/** The HMAC input of the contract: `${t}.${METHOD}.${path}.${rawBody}` (path without query). */
export function signedPayload(timestamp: number, method: string, path: string, rawBody: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}.${method.toUpperCase()}.${path}.`), rawBody]);
}

/** Computes the v1 value (hex HMAC-SHA256) a client sends. */
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

/** Builds a complete `X-Signature` header value; for clients, tests and benchmarks. */
export function signRequest(o: {
  secret: string;
  method: string;
  path: string;
  body: Buffer | string;
  timestamp?: number;
  keyId?: string;
}): string {
  const t = o.timestamp ?? Math.floor(Date.now() / 1000);
  const v1 = computeSignature(o.secret, t, o.method, o.path, o.body);
  return o.keyId ? `t=${t},v1=${v1},kid=${o.keyId}` : `t=${t},v1=${v1}`;
}

/** One key a tenant may sign with. */
export interface SigningKey {
  keyId: string;
  secret: string;
}

/**
 * Verifies a parsed signature against the tenant's active keys: the timestamp within ±tolerance,
 * then a constant-time comparison. With `kid` only that key is tried; without it every active key
 * is (a rotation window). Returns the matching key id or the failure.
 */
export function verifySignature(
  sig: ParsedSignature,
  keys: readonly SigningKey[],
  method: string,
  path: string,
  rawBody: Buffer,
  nowSec: number = Math.floor(Date.now() / 1000),
  toleranceSec: number = SIGNATURE_TOLERANCE_SEC,
): { ok: true; keyId: string } | { ok: false; reason: SignatureFailure } {
  if (nowSec - sig.timestamp > toleranceSec) return { ok: false, reason: 'stale' };
  if (sig.timestamp - nowSec > toleranceSec) return { ok: false, reason: 'future' };
  const candidates = sig.keyId === undefined ? keys : keys.filter((k) => k.keyId === sig.keyId);
  if (candidates.length === 0) return { ok: false, reason: 'unknown_key' };
  const given = Buffer.from(sig.v1, 'hex');
  const payload = signedPayload(sig.timestamp, method, path, rawBody);
  let matched: string | undefined;
  for (const k of candidates) {
    const expected = createHmac('sha256', k.secret).update(payload).digest();
    // Compare against every candidate (no early exit) so timing does not reveal which key matched.
    if (timingSafeEqual(expected, given) && matched === undefined) matched = k.keyId;
  }
  return matched === undefined ? { ok: false, reason: 'mismatch' } : { ok: true, keyId: matched };
}

/** SHA-256 hex of a string: how API keys are stored and request bodies fingerprinted. */
export function sha256Hex(input: string | Buffer): string {
  return createHash('sha256').update(input).digest('hex');
}
