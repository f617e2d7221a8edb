/**
 * The single-header tests: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options,
 * Referrer-Policy, Cross-Origin-Resource-Policy, Cross-Origin-Opener-Policy, Cross-Origin-Embedder-Policy
 * (Observatory-scored), and golive's extra rules that never change the Observatory score:
 * Permissions-Policy, Server and X-Powered-By leaks.
 */
import { parseItem, Token } from 'structured-headers';
import { headerLines } from './html.ts';
import type { Finding, HeaderMap } from './types.ts';

/**
 * The Observatory's HSTS threshold: "six months" is 15768000 seconds in its table, but its scanner accepts
 * 15552000 (180 days), which many sites send; golive follows the scanner.
 */
export const SIX_MONTHS_SECONDS = 15_552_000;
/** One year in seconds: golive's HSTS rule and the preload list's requirement. */
export const ONE_YEAR_SECONDS = 31_536_000;

/** A parsed Strict-Transport-Security value. */
export interface HstsPolicy {
  maxAge: number;
  includeSubDomains: boolean;
  preload: boolean;
}

/** Parses an HSTS value; returns an error string when it is invalid (RFC 6797: max-age required, no duplicates). */
export function parseHsts(value: string): HstsPolicy | { error: string } {
  // Two header lines folded into one value (`max-age=…, max-age=…`): the Observatory rejects it, so do browsers.
  if (value.includes(',')) return { error: 'the header is set more than once in one value (a comma joins two values)' };
  const seen = new Set<string>();
  let maxAge: number | undefined;
  let includeSubDomains = false;
  let preload = false;
  for (const raw of value.split(';')) {
    const part = raw.trim();
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    const val = eq === -1 ? undefined : part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (seen.has(name)) return { error: `directive ${name} repeated` };
    seen.add(name);
    if (name === 'max-age') {
      if (val === undefined || !/^\d+$/.test(val)) return { error: `max-age "${val ?? ''}" is not a number of seconds` };
      maxAge = Number(val);
    } else if (name === 'includesubdomains') includeSubDomains = true;
    else if (name === 'preload') preload = true;
  }
  if (maxAge === undefined) return { error: 'max-age is missing' };
  return { maxAge, includeSubDomains, preload };
}

/** The HSTS test result and findings. */
export function analyzeHsts(
  headers: HeaderMap,
  ctx: { https: boolean; httpsApplicable: boolean; preloaded: boolean; minMaxAgeSeconds: number },
): { result: string; applicable: boolean; findings: Finding[]; policy?: HstsPolicy } {
  const findings: Finding[] = [];
  const f = (code: string, severity: 'error' | 'warn', message: string): Finding => ({ code, severity, test: 'strict-transport-security', header: 'strict-transport-security', message });
  const lines = headerLines(headers, 'strict-transport-security');
  if (!ctx.https) {
    if (!ctx.httpsApplicable) return { result: 'not-applicable', applicable: false, findings };
    findings.push(f('NO_HTTPS', 'error', 'the target is not served over https (and is not a loopback host)'));
    return { result: 'hsts-not-implemented-no-https', applicable: true, findings };
  }
  if (ctx.preloaded) return { result: 'hsts-preloaded', applicable: true, findings };
  const first = lines[0];
  if (first === undefined) {
    findings.push(f('HSTS_MISSING', 'error', 'no Strict-Transport-Security header on an https response'));
    return { result: 'hsts-not-implemented', applicable: true, findings };
  }
  if (lines.length > 1) findings.push(f('HSTS_MULTIPLE', 'warn', `${lines.length} Strict-Transport-Security headers; browsers use only the first`));
  const parsed = parseHsts(first);
  if ('error' in parsed) {
    findings.push(f('HSTS_INVALID', 'error', `Strict-Transport-Security "${first}" is invalid: ${parsed.error}`));
    return { result: 'hsts-header-invalid', applicable: true, findings };
  }
  if (parsed.maxAge < ctx.minMaxAgeSeconds) {
    findings.push(f('HSTS_MAX_AGE_TOO_SHORT', 'error', `Strict-Transport-Security max-age=${parsed.maxAge} is below ${ctx.minMaxAgeSeconds} seconds`));
  }
  if (!parsed.includeSubDomains) findings.push(f('HSTS_NO_INCLUDE_SUBDOMAINS', 'warn', `Strict-Transport-Security "${first}" lacks includeSubDomains`));
  if (parsed.preload && (parsed.maxAge < ONE_YEAR_SECONDS || !parsed.includeSubDomains)) {
    findings.push(f('HSTS_PRELOAD_NOT_READY', 'warn', `Strict-Transport-Security asks for preload but the list requires max-age ≥ ${ONE_YEAR_SECONDS} and includeSubDomains ("${first}")`));
  }
  const result = parsed.maxAge >= SIX_MONTHS_SECONDS ? 'hsts-implemented-max-age-at-least-six-months' : 'hsts-implemented-max-age-less-than-six-months';
  return { result, applicable: true, findings, policy: parsed };
}

/** X-Content-Type-Options: only `nosniff` is valid. */
export function analyzeXcto(headers: HeaderMap): { result: string; findings: Finding[] } {
  // An empty value is no header at all, as for the Observatory.
  const v = headerLines(headers, 'x-content-type-options').find((l) => l.trim() !== '');
  const f = (code: string, message: string): Finding => ({ code, severity: 'warn', test: 'x-content-type-options', header: 'x-content-type-options', message });
  if (v === undefined) return { result: 'x-content-type-options-not-implemented', findings: [f('XCTO_MISSING', 'no X-Content-Type-Options: nosniff')] };
  if (v.trim().toLowerCase() !== 'nosniff') return { result: 'x-content-type-options-header-invalid', findings: [f('XCTO_INVALID', `X-Content-Type-Options "${v}" is not nosniff`)] };
  return { result: 'x-content-type-options-nosniff', findings: [] };
}

/** X-Frame-Options, where an enforced CSP frame-ancestors takes precedence. */
export function analyzeXfo(headers: HeaderMap, frameAncestorsProtects: boolean, frameAncestors?: readonly string[]): { result: string; findings: Finding[] } {
  const v = headerLines(headers, 'x-frame-options').find((l) => l.trim() !== '');
  const findings: Finding[] = [];
  const f = (code: string, severity: 'error' | 'warn', message: string): Finding => ({ code, severity, test: 'x-frame-options', header: 'x-frame-options', message });
  const norm = v?.trim().toLowerCase();
  const valid = norm === 'deny' || norm === 'sameorigin' || (norm?.startsWith('allow-from ') ?? false);
  if (frameAncestorsProtects) {
    if (v !== undefined && !valid) findings.push(f('XFO_INVALID', 'warn', `X-Frame-Options "${v}" is invalid (frame-ancestors protects browsers that support CSP)`));
    const faNone = frameAncestors !== undefined && frameAncestors.length === 1 && frameAncestors[0] === "'none'";
    if (frameAncestors !== undefined && ((norm === 'deny' && !faNone) || (norm === 'sameorigin' && faNone))) {
      findings.push(
        f('XFO_FRAME_ANCESTORS_CONFLICT', 'warn', `X-Frame-Options "${v}" and frame-ancestors "${frameAncestors.join(' ')}" disagree: CSP browsers follow frame-ancestors, older ones X-Frame-Options`),
      );
    }
    return { result: 'x-frame-options-implemented-via-csp', findings };
  }
  if (v === undefined) {
    findings.push(f('CLICKJACKING_UNPROTECTED', 'error', "neither X-Frame-Options nor CSP frame-ancestors: any site can frame this page"));
    return { result: 'x-frame-options-not-implemented', findings };
  }
  if (!valid) {
    findings.push(f('XFO_INVALID', 'error', `X-Frame-Options "${v}" is invalid (use DENY or SAMEORIGIN, or CSP frame-ancestors)`));
    return { result: 'x-frame-options-header-invalid', findings };
  }
  if (norm?.startsWith('allow-from')) {
    findings.push(f('XFO_ALLOW_FROM_UNSUPPORTED', 'warn', `X-Frame-Options "${v}": ALLOW-FROM is ignored by current browsers; use CSP frame-ancestors`));
    return { result: 'x-frame-options-allow-from-origin', findings };
  }
  return { result: 'x-frame-options-sameorigin-or-deny', findings };
}

const REFERRER_PRIVATE = new Set(['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin']);
/** Policies that send the origin or the full URL to other sites (the Observatory counts `no-referrer-when-downgrade` among them). */
const REFERRER_UNSAFE = new Set(['origin', 'origin-when-cross-origin', 'unsafe-url', 'no-referrer-when-downgrade']);

/**
 * Referrer-Policy: every header line, then `<meta name="referrer">` (it comes later, so it takes precedence);
 * browsers use the last recognised token of the list, and so does the Observatory.
 */
export function analyzeReferrerPolicy(headers: HeaderMap, metaValue: string | undefined): { result: string; findings: Finding[] } {
  const lines = headerLines(headers, 'referrer-policy');
  const parts = metaValue === undefined ? lines : [...lines, metaValue];
  const f = (code: string, message: string): Finding => ({ code, severity: 'warn', test: 'referrer-policy', header: 'referrer-policy', message });
  if (parts.length === 0) return { result: 'referrer-policy-not-implemented', findings: [] };
  const value = parts.join(',');
  const tokens = value
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
  const effective = tokens.filter((t) => REFERRER_PRIVATE.has(t) || REFERRER_UNSAFE.has(t)).at(-1);
  if (effective === undefined) return { result: 'referrer-policy-header-invalid', findings: [f('REFERRER_POLICY_INVALID', `Referrer-Policy "${value}" has no recognised policy`)] };
  if (REFERRER_PRIVATE.has(effective)) return { result: 'referrer-policy-private', findings: [] };
  const what = effective === 'no-referrer-when-downgrade' ? 'the full URL to every https site' : 'the origin or the full URL to other sites';
  return { result: 'referrer-policy-unsafe', findings: [f('REFERRER_POLICY_UNSAFE', `Referrer-Policy "${effective}" sends ${what}`)] };
}

/** Cross-Origin-Resource-Policy (the Observatory's result names: `corp-…`; a repeated header is invalid). */
export function analyzeCorp(headers: HeaderMap): { result: string; findings: Finding[]; data: string | null } {
  const lines = headerLines(headers, 'cross-origin-resource-policy').filter((l) => l.trim() !== '');
  const v = lines[0];
  if (v === undefined) return { result: 'corp-not-implemented', findings: [], data: null };
  const data = v.slice(0, 256).trim().toLowerCase();
  const f = (message: string): Finding => ({ code: 'CORP_INVALID', severity: 'warn', test: 'cross-origin-resource-policy', header: 'cross-origin-resource-policy', message });
  if (lines.length > 1) return { result: 'corp-header-invalid', findings: [f(`Cross-Origin-Resource-Policy is sent ${lines.length} times ("${lines.join('", "')}"); browsers ignore a repeated header`)], data };
  if (data === 'same-origin' || data === 'same-site' || data === 'cross-origin') return { result: `corp-implemented-with-${data}`, findings: [], data };
  return { result: 'corp-header-invalid', findings: [f(`Cross-Origin-Resource-Policy "${v}" is invalid`)], data };
}

/** The token of a structured-field item (RFC 8941), or null when the value is not one (parameters are ignored). */
function structuredToken(value: string): string | null {
  try {
    const [bare] = parseItem(value);
    return bare instanceof Token ? bare.toString() : null;
  } catch {
    return null;
  }
}

/**
 * Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy, scored since the Observatory's algorithm
 * version 6. The value is a structured-field token (case-sensitive, parameters such as `report-to`
 * ignored); a value that does not parse, an unknown policy or a repeated header is invalid.
 */
function analyzeCrossOriginPolicy(
  headers: HeaderMap,
  header: 'cross-origin-opener-policy' | 'cross-origin-embedder-policy',
  html: boolean,
): { result: string; findings: Finding[]; data: string | null; http: boolean } {
  const coop = header === 'cross-origin-opener-policy';
  const prefix = coop ? 'coop' : 'coep';
  const test = header;
  const name = coop ? 'Cross-Origin-Opener-Policy' : 'Cross-Origin-Embedder-Policy';
  const lines = headerLines(headers, header).filter((l) => l.trim() !== '');
  const findings: Finding[] = [];
  const f = (code: string, message: string) => findings.push({ code, severity: 'warn', test, header, message });
  const first = lines[0];
  if (first === undefined) {
    if (coop && html) f('COOP_MISSING', 'no Cross-Origin-Opener-Policy on an HTML document (same-origin isolates it from cross-origin popups)');
    return { result: `${prefix}-not-implemented`, findings, data: null, http: false };
  }
  const data = first.slice(0, 1024).trim();
  if (lines.length > 1) {
    f(coop ? 'COOP_INVALID' : 'COEP_INVALID', `${name} is sent ${lines.length} times; browsers ignore a repeated header`);
    return { result: `${prefix}-header-invalid`, findings, data, http: true };
  }
  const token = structuredToken(data);
  const known = coop ? ['same-origin', 'same-origin-allow-popups', 'noopener-allow-popups', 'unsafe-none'] : ['require-corp', 'credentialless', 'unsafe-none'];
  if (token === null || !known.includes(token)) {
    f(coop ? 'COOP_INVALID' : 'COEP_INVALID', `${name} "${first}" is invalid (expected one of ${known.join(', ')}, lower case)`);
    return { result: `${prefix}-header-invalid`, findings, data, http: true };
  }
  return { result: `${prefix}-implemented-with-${token}`, findings, data, http: true };
}

/** Cross-Origin-Opener-Policy (`coop-…` results). */
export function analyzeCoop(headers: HeaderMap, html: boolean): { result: string; findings: Finding[]; data: string | null; http: boolean } {
  return analyzeCrossOriginPolicy(headers, 'cross-origin-opener-policy', html);
}

/** Cross-Origin-Embedder-Policy (`coep-…` results). */
export function analyzeCoep(headers: HeaderMap): { result: string; findings: Finding[]; data: string | null; http: boolean } {
  return analyzeCrossOriginPolicy(headers, 'cross-origin-embedder-policy', false);
}

const VERSION = /\d+\.\d+/;

/**
 * golive's extra rules (never part of the Observatory score): Permissions-Policy presence and syntax, and
 * software versions leaked by Server and X-Powered-By.
 * @param html whether the response is an HTML document (Permissions-Policy matters for documents)
 */
export function analyzeExtras(headers: HeaderMap, html: boolean): Finding[] {
  const out: Finding[] = [];
  const pp = headerLines(headers, 'permissions-policy');
  if (pp.length === 0) {
    if (html) out.push({ code: 'PERMISSIONS_POLICY_MISSING', severity: 'warn', header: 'permissions-policy', message: 'no Permissions-Policy on an HTML document (e.g. camera=(), microphone=(), geolocation=())' });
  } else {
    for (const item of pp.join(',').split(',')) {
      const t = item.trim();
      if (t && !/^[a-z0-9-]+=(\*|\(\s*\)|\([^()]*\)|self|"[^"]*")$/i.test(t)) {
        out.push({ code: 'PERMISSIONS_POLICY_INVALID', severity: 'warn', header: 'permissions-policy', message: `Permissions-Policy item "${t}" is not valid structured-header syntax (feature=(allowlist))` });
      }
    }
  }
  const server = headerLines(headers, 'server')[0];
  if (server !== undefined && VERSION.test(server)) {
    out.push({ code: 'SERVER_VERSION_LEAK', severity: 'warn', header: 'server', message: `Server "${server}" discloses a software version` });
  }
  for (const v of headerLines(headers, 'x-powered-by')) {
    out.push({ code: 'X_POWERED_BY_LEAK', severity: 'warn', header: 'x-powered-by', message: `X-Powered-By "${v}" discloses the software stack${VERSION.test(v) ? ' and its version' : ''}` });
  }
  for (const name of ['x-aspnet-version', 'x-aspnetmvc-version']) {
    for (const v of headerLines(headers, name)) out.push({ code: 'X_POWERED_BY_LEAK', severity: 'warn', header: name, message: `${name} "${v}" discloses a software version` });
  }
  return out;
}
