/**
 * Reading what a rate-limited answer advertises, in every generation of the headers services send:
 * - `Retry-After` (RFC 9110 §10.2.3): seconds, or an HTTP date;
 * - the IETF RateLimit fields of draft-ietf-httpapi-ratelimit-headers 08 and later: `RateLimit: "name";r=R;t=T`
 *   and `RateLimit-Policy: "name";q=Q;w=W` (structured-field lists; the first item counts);
 * - the earlier drafts' dictionary `RateLimit: limit=L, remaining=R, reset=T` and separate
 *   `RateLimit-Limit` / `RateLimit-Remaining` / `RateLimit-Reset`;
 * - the common `X-RateLimit-Limit` / `-Remaining` / `-Reset` (reset in seconds, or an epoch second).
 * Everything here reads target text: bounded, no regular expression that can backtrack.
 */

/** What one answer advertises (undefined fields were not sent or not readable). */
export interface RateLimitInfo {
  /** Requests allowed per window. */
  limit?: number;
  /** Requests left in the window. */
  remaining?: number;
  /** Seconds until the window resets. */
  resetSec?: number;
  /** Window length in seconds (RateLimit-Policy `w`). */
  windowSec?: number;
  /** Seconds to wait, from Retry-After. */
  retryAfterSec?: number;
  /** Which header generation carried the figures. */
  source?: 'ietf' | 'ietf-dictionary' | 'ratelimit-fields' | 'x-ratelimit';
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s.slice(0, 1024).trim();
}

/** A non-negative integer or decimal of at most 15 digits, else undefined. */
function number(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t.length === 0 || t.length > 15) return undefined;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46)) return undefined;
  }
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** Retry-After in seconds: a number, or an HTTP date relative to `nowMs`. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const n = number(value);
  if (n !== undefined) return n;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - nowMs) / 1000)) : undefined;
}

/** Parameters `;k=v` of the first item of a structured-field list (`"name";r=5;t=30, "other";...`). */
function firstItemParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  let item = value;
  // The first list member ends at a comma outside quotes.
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      item = value.slice(0, i);
      break;
    }
  }
  const parts = item.split(';');
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq > 0) out[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
  }
  return out;
}

/** A dictionary `limit=100, remaining=50, reset=30` (earlier drafts). */
function dictionary(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const member of value.split(',')) {
    const eq = member.indexOf('=');
    if (eq > 0) out[member.slice(0, eq).trim().toLowerCase()] = member.slice(eq + 1).split(';')[0]?.trim() ?? '';
  }
  return out;
}

/**
 * Reset value of the X-RateLimit generation: seconds, unless it is so large that it must be an epoch time
 * (seconds since 1970), which is turned into seconds from `nowMs`.
 */
function resetSeconds(value: string | undefined, nowMs: number): number | undefined {
  const n = number(value);
  if (n === undefined) return undefined;
  return n > 1_000_000_000 ? Math.max(0, Math.ceil(n - nowMs / 1000)) : n;
}

/** Everything an answer advertises about its rate limit. */
export function parseRateLimitHeaders(headers: Headers, nowMs: number): RateLimitInfo {
  const info: RateLimitInfo = {};
  const retry = parseRetryAfter(first(headers, 'retry-after'), nowMs);
  if (retry !== undefined) info.retryAfterSec = retry;
  const rl = first(headers, 'ratelimit');
  const policy = first(headers, 'ratelimit-policy');
  if (rl?.includes(';') && !rl.includes('remaining=')) {
    const p = firstItemParams(rl);
    const r = number(p.r);
    const t = number(p.t);
    if (r !== undefined) info.remaining = r;
    if (t !== undefined) info.resetSec = t;
    info.source = 'ietf';
  } else if (rl !== undefined) {
    const d = dictionary(rl);
    const l = number(d.limit);
    const r = number(d.remaining);
    const t = number(d.reset);
    if (l !== undefined) info.limit = l;
    if (r !== undefined) info.remaining = r;
    if (t !== undefined) info.resetSec = t;
    info.source = 'ietf-dictionary';
  }
  if (policy !== undefined) {
    const p = firstItemParams(policy);
    const q = number(p.q);
    const w = number(p.w);
    if (q !== undefined) info.limit ??= q;
    if (w !== undefined) info.windowSec = w;
    // The earlier drafts' policy: `100;w=60`.
    if (q === undefined) {
      const lead = number(policy.split(/[;,]/)[0]);
      if (lead !== undefined) info.limit ??= lead;
    }
    info.source ??= 'ietf';
  }
  for (const [prefix, source] of [
    ['ratelimit-', 'ratelimit-fields'],
    ['x-ratelimit-', 'x-ratelimit'],
  ] as const) {
    const l = number(first(headers, `${prefix}limit`));
    const r = number(first(headers, `${prefix}remaining`));
    const t = resetSeconds(first(headers, `${prefix}reset`), nowMs);
    if (l === undefined && r === undefined && t === undefined) continue;
    if (l !== undefined) info.limit ??= l;
    if (r !== undefined) info.remaining ??= r;
    if (t !== undefined) info.resetSec ??= t;
    info.source ??= source;
  }
  return info;
}

/** Whether an answer advertises anything about its limit (Retry-After or any RateLimit field). */
export function advertises(info: RateLimitInfo): boolean {
  return info.retryAfterSec !== undefined || info.source !== undefined;
}
