/**
 * The single-header tests: Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options,
 * Referrer-Policy, Cross-Origin-Resource-Policy (Observatory-scored), and golive's extra rules that never
 * change the Observatory score: Permissions-Policy, COOP / COEP, Server and X-Powered-By leaks.
 */
import { headerLines } from './html.ts';
import type { Finding, HeaderMap } from './types.ts';

/** Six months in seconds: the Observatory's HSTS threshold. */
export const SIX_MONTHS_SECONDS = 15_768_000;
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
  const v = headerLines(headers, 'x-content-type-options')[0];
  const f = (code: string, message: string): Finding => ({ code, severity: 'warn', test: 'x-content-type-options', header: 'x-content-type-options', message });
  if (v === undefined) return { result: 'x-content-type-options-not-implemented', findings: [f('XCTO_MISSING', 'no X-Content-Type-Options: nosniff')] };
  if (v.trim().toLowerCase() !== 'nosniff') return { result: 'x-content-type-options-header-invalid', findings: [f('XCTO_INVALID', `X-Content-Type-Options "${v}" is not nosniff`)] };
  return { result: 'x-content-type-options-nosniff', findings: [] };
}

/** X-Frame-Options, where an enforced CSP frame-ancestors takes precedence. */
export function analyzeXfo(headers: HeaderMap, frameAncestorsProtects: boolean, frameAncestors?: readonly string[]): { result: string; findings: Finding[] } {
  const v = headerLines(headers, 'x-frame-options')[0];
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

/** Cross-Origin-Resource-Policy (the Observatory's result names: `corp-…`; the first header counts). */
export function analyzeCorp(headers: HeaderMap): { result: string; findings: Finding[] } {
  const v = headerLines(headers, 'cross-origin-resource-policy')[0];
  if (v === undefined) return { result: 'corp-not-implemented', findings: [] };
  const n = v.trim().toLowerCase();
  if (n === 'same-origin' || n === 'same-site' || n === 'cross-origin') return { result: `corp-implemented-with-${n}`, findings: [] };
  return {
    result: 'corp-header-invalid',
    findings: [{ code: 'CORP_INVALID', severity: 'warn', test: 'cross-origin-resource-policy', header: 'cross-origin-resource-policy', message: `Cross-Origin-Resource-Policy "${v}" is invalid` }],
  };
}

const COOP_VALUES = new Set(['same-origin', 'same-origin-allow-popups', 'unsafe-none', 'noopener-allow-popups']);
const COEP_VALUES = new Set(['require-corp', 'credentialless', 'unsafe-none']);
const VERSION = /\d+\.\d+/;

/**
 * golive's extra rules (never part of the Observatory score): COOP / COEP values, Permissions-Policy
 * presence and syntax, and software versions leaked by Server and X-Powered-By.
 * @param html whether the response is an HTML document (COOP and Permissions-Policy matter for documents)
 */
export function analyzeExtras(headers: HeaderMap, html: boolean): Finding[] {
  const out: Finding[] = [];
  const coop = headerLines(headers, 'cross-origin-opener-policy')[0];
  if (coop === undefined) {
    if (html) out.push({ code: 'COOP_MISSING', severity: 'warn', header: 'cross-origin-opener-policy', message: 'no Cross-Origin-Opener-Policy on an HTML document (same-origin isolates it from cross-origin popups)' });
  } else if (!COOP_VALUES.has(coop.split(';')[0]?.trim().toLowerCase() ?? '')) {
    out.push({ code: 'COOP_INVALID', severity: 'warn', header: 'cross-origin-opener-policy', message: `Cross-Origin-Opener-Policy "${coop}" is invalid` });
  }
  const coep = headerLines(headers, 'cross-origin-embedder-policy')[0];
  if (coep !== undefined && !COEP_VALUES.has(coep.split(';')[0]?.trim().toLowerCase() ?? '')) {
    out.push({ code: 'COEP_INVALID', severity: 'warn', header: 'cross-origin-embedder-policy', message: `Cross-Origin-Embedder-Policy "${coep}" is invalid` });
  }
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
