/**
 * Set-Cookie analysis: the Observatory's cookies test (Secure, HttpOnly on session cookies, SameSite,
 * anti-CSRF tokens) and golive's rules on cookie name prefixes (`__Host-`, `__Secure-`).
 */
import type { SCORE_TABLE } from './scoring.ts';
import type { Finding } from './types.ts';

/** One parsed Set-Cookie line. */
export interface ParsedCookie {
  name: string;
  secure: boolean;
  httpOnly: boolean;
  /** `strict` / `lax` / `none`, `invalid` for any other value, undefined when absent. */
  sameSite: 'strict' | 'lax' | 'none' | 'invalid' | undefined;
  /** Raw SameSite value as sent. */
  sameSiteRaw?: string;
  path?: string;
  domain?: string;
  /** Neither Max-Age nor Expires: lives for the browser session. */
  session: boolean;
  /** Max-Age in seconds, when sent and numeric. */
  maxAge?: number;
  /** Expires as sent. */
  expires?: string;
}

/** Splits a header value that joined several Set-Cookie lines with commas (Expires dates contain commas). */
export function splitSetCookie(value: string): string[] {
  return value.split(/,\s*(?=[!#$%&'*+.^_`|~0-9A-Za-z-]+=)/).filter((s) => s.trim() !== '');
}

/** Parses one Set-Cookie line (attribute names case-insensitive). */
export function parseSetCookie(line: string): ParsedCookie {
  const parts = line.split(';');
  const pair = parts[0] ?? '';
  const eq = pair.indexOf('=');
  const name = (eq === -1 ? pair : pair.slice(0, eq)).trim();
  const c: ParsedCookie = { name, secure: false, httpOnly: false, sameSite: undefined, session: true };
  for (const raw of parts.slice(1)) {
    const i = raw.indexOf('=');
    const k = (i === -1 ? raw : raw.slice(0, i)).trim().toLowerCase();
    const v = i === -1 ? '' : raw.slice(i + 1).trim();
    if (k === 'secure') c.secure = true;
    else if (k === 'httponly') c.httpOnly = true;
    else if (k === 'samesite') {
      const n = v.toLowerCase();
      c.sameSite = n === 'strict' || n === 'lax' || n === 'none' ? n : 'invalid';
      c.sameSiteRaw = v;
    } else if (k === 'path') c.path = v;
    else if (k === 'domain') c.domain = v;
    else if (k === 'max-age') {
      c.session = false;
      if (/^-?\d{1,15}$/.test(v)) c.maxAge = Number(v);
    } else if (k === 'expires') {
      c.session = false;
      c.expires = v.slice(0, 64);
    }
  }
  return c;
}

/** The Observatory's notion of a session cookie (name mentions a login or a session). */
export function isSessionCookie(name: string): boolean {
  return /login|sess/i.test(name);
}

/** golive's wider notion of a sensitive cookie (session, auth, token identifiers). */
export function isSensitiveCookie(name: string): boolean {
  // Anti-CSRF tokens are read by scripts on purpose (double submit): they are not session secrets.
  if (/csrf|xsrf/i.test(name)) return false;
  return isSessionCookie(name) || /(^|[._-])sid$|^sid|auth|token|jwt/i.test(name);
}

type CookieResult = keyof (typeof SCORE_TABLE)['cookies'];

/**
 * The Observatory's order of cookie results from least to most severe: a cookie's result replaces the
 * current one only when it comes later. Ties of modifier (-20) keep the Observatory's choice of name.
 */
const COOKIE_SEVERITY: readonly CookieResult[] = [
  'cookies-without-secure-flag-but-protected-by-hsts',
  'cookies-without-secure-flag',
  'cookies-session-without-secure-flag-but-protected-by-hsts',
  'cookies-samesite-flag-invalid',
  'cookies-anticsrf-without-samesite-flag',
  'cookies-session-without-httponly-flag',
  'cookies-session-without-secure-flag',
];

/** Cookies the Observatory leaves out (a load balancer's affinity cookie, not a session). */
const IGNORED_COOKIES = new Set(['heroku-session-affinity']);

/**
 * Analyses every Set-Cookie line of a response.
 * @param ctx.https whether the response came over https; `secureApplies` false skips the Secure rules
 *   (plain http on loopback); `hsts` whether the response's HSTS test passes (max-age of six months or
 *   more, or preloaded), the Observatory's condition for "protected by HSTS".
 */
export function analyzeCookies(lines: readonly string[], ctx: { hsts: boolean; secureApplies: boolean }): { result: CookieResult; findings: Finding[]; cookies: ParsedCookie[] } {
  const cookies = lines.flatMap(splitSetCookie).map(parseSetCookie);
  const findings: Finding[] = [];
  if (cookies.length === 0) return { result: 'cookies-not-found', findings, cookies };
  let worst: CookieResult | undefined;
  let scored = false;
  const worse = (r: CookieResult) => {
    if (!scored) return;
    if (worst === undefined || COOKIE_SEVERITY.indexOf(r) > COOKIE_SEVERITY.indexOf(worst)) worst = r;
  };
  const f = (code: string, severity: 'error' | 'warn', message: string) => findings.push({ code, severity, test: 'cookies', header: 'set-cookie', message });
  for (const c of cookies) {
    scored = !IGNORED_COOKIES.has(c.name.toLowerCase());
    const session = isSessionCookie(c.name);
    const sensitive = scored && isSensitiveCookie(c.name);
    // The Observatory's anti-CSRF test looks for "csrf" only; golive's finding also covers XSRF-TOKEN.
    const anticsrf = /csrf/i.test(c.name);
    const anticsrfLike = anticsrf || /xsrf/i.test(c.name);
    if (c.sameSite === 'invalid') {
      worse('cookies-samesite-flag-invalid');
      f('COOKIE_SAMESITE_INVALID', 'error', `cookie ${c.name}: SameSite=${c.sameSiteRaw ?? ''} is not Strict, Lax or None`);
    } else if (c.sameSite === 'none' && !c.secure) {
      worse('cookies-samesite-flag-invalid');
      f('COOKIE_SAMESITE_NONE_WITHOUT_SECURE', 'error', `cookie ${c.name}: SameSite=None without Secure is rejected by browsers`);
    }
    if (ctx.secureApplies && !c.secure) {
      worse(ctx.hsts ? 'cookies-without-secure-flag-but-protected-by-hsts' : 'cookies-without-secure-flag');
      if (session) worse(ctx.hsts ? 'cookies-session-without-secure-flag-but-protected-by-hsts' : 'cookies-session-without-secure-flag');
      f('COOKIE_NO_SECURE', sensitive || !ctx.hsts ? 'error' : 'warn', `cookie ${c.name} lacks Secure${ctx.hsts ? ' (HSTS mitigates)' : ''}`);
    }
    if (session && !c.httpOnly) worse('cookies-session-without-httponly-flag');
    if (sensitive && !c.httpOnly) f('COOKIE_SESSION_NO_HTTPONLY', 'error', `session cookie ${c.name} lacks HttpOnly: scripts can read it`);
    // An unrecognised SameSite value is no SameSite at all (browsers drop it), so an anti-CSRF cookie with one has none.
    if (anticsrf && (c.sameSite === undefined || c.sameSite === 'invalid')) worse('cookies-anticsrf-without-samesite-flag');
    if (anticsrfLike && c.sameSite === undefined) {
      f('COOKIE_ANTICSRF_NO_SAMESITE', 'error', `anti-CSRF cookie ${c.name} lacks SameSite`);
    } else if (c.sameSite === undefined) {
      f('COOKIE_NO_SAMESITE', 'warn', `cookie ${c.name} lacks SameSite (browsers default to Lax, older ones to None)`);
    }
    if (/^__host-/i.test(c.name) && (!c.secure || c.path !== '/' || c.domain !== undefined)) {
      f('COOKIE_HOST_PREFIX_INVALID', 'error', `cookie ${c.name}: the __Host- prefix requires Secure, Path=/ and no Domain (browsers reject it)`);
    }
    if (/^__secure-/i.test(c.name) && !c.secure) f('COOKIE_SECURE_PREFIX_INVALID', 'error', `cookie ${c.name}: the __Secure- prefix requires Secure (browsers reject it)`);
  }
  const judged = cookies.filter((c) => !IGNORED_COOKIES.has(c.name.toLowerCase()));
  if (judged.length === 0) return { result: 'cookies-not-found', findings, cookies };
  if (worst === undefined) {
    worst = judged.every((c) => c.sameSite === 'strict' || c.sameSite === 'lax' || c.sameSite === 'none') ? 'cookies-secure-with-httponly-sessions-and-samesite' : 'cookies-secure-with-httponly-sessions';
  }
  return { result: worst, findings, cookies };
}
