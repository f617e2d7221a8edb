/**
 * Content-Security-Policy: parser and analyser. Several policies may apply at once (several headers, commas
 * inside one header, `<meta http-equiv>` tags): a resource loads only if every policy allows it, so a risk
 * counts only when every enforced policy allows it. Inside one policy the first occurrence of a directive
 * wins; fetch directives fall back to `default-src`, `base-uri` / `form-action` / `frame-ancestors` do not.
 */
import { type CspScore, scoreCsp } from './csp-score.ts';
import type { SCORE_TABLE } from './scoring.ts';
import type { CspSummary, Finding } from './types.ts';

/** Where a policy came from. `meta` policies ignore frame-ancestors, report-uri and sandbox. */
export type CspOrigin = 'header' | 'report-only' | 'meta';

/** One parsed policy. */
export interface CspPolicy {
  origin: CspOrigin;
  /** The policy text as received. */
  text: string;
  /** Directive name (lower case) → source list; only the first occurrence of a directive counts. */
  directives: Map<string, string[]>;
  /** Directives that occurred more than once (ignored after the first). */
  duplicates: string[];
  /** Directive names not defined by CSP (level 3 and common extensions). */
  unknown: string[];
  /** Why the policy is malformed (empty when it parses). */
  invalid: string[];
}

const KNOWN_DIRECTIVES = new Set([
  'default-src',
  'script-src',
  'script-src-elem',
  'script-src-attr',
  'style-src',
  'style-src-elem',
  'style-src-attr',
  'img-src',
  'font-src',
  'connect-src',
  'media-src',
  'object-src',
  'frame-src',
  'child-src',
  'worker-src',
  'manifest-src',
  'prefetch-src',
  'fenced-frame-src',
  'base-uri',
  'form-action',
  'frame-ancestors',
  'navigate-to',
  'sandbox',
  'report-uri',
  'report-to',
  'upgrade-insecure-requests',
  'block-all-mixed-content',
  'require-trusted-types-for',
  'trusted-types',
  'require-sri-for',
  'plugin-types',
  'webrtc',
]);

/** Directives a `<meta>` policy cannot set (browsers ignore them there). */
const META_IGNORED = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

/** Fetch directives and what they fall back to (in order). */
const FALLBACKS: Record<string, readonly string[]> = {
  'script-src': ['script-src', 'default-src'],
  'style-src': ['style-src', 'default-src'],
  'object-src': ['object-src', 'default-src'],
  'img-src': ['img-src', 'default-src'],
  'media-src': ['media-src', 'default-src'],
  'font-src': ['font-src', 'default-src'],
  'connect-src': ['connect-src', 'default-src'],
  'manifest-src': ['manifest-src', 'default-src'],
  'child-src': ['child-src', 'default-src'],
  'frame-src': ['frame-src', 'child-src', 'default-src'],
  'worker-src': ['worker-src', 'child-src', 'script-src', 'default-src'],
  'base-uri': ['base-uri'],
  'form-action': ['form-action'],
  'frame-ancestors': ['frame-ancestors'],
};

/** Directives whose sources load active content (an insecure scheme there is the worse result). */
const ACTIVE_DIRECTIVES = ['script-src', 'style-src', 'object-src', 'connect-src', 'font-src', 'frame-src', 'child-src', 'worker-src', 'manifest-src', 'base-uri', 'form-action'];
/** Passive content: images and media. */
const PASSIVE_DIRECTIVES = ['img-src', 'media-src'];

/** Sources the Observatory treats as dangerously broad for scripts and objects. */
export const DANGEROUSLY_BROAD = ['ftp:', 'http:', 'https:', '*', 'http://*', 'http://*.*', 'https://*', 'https://*.*'] as const;

const NONCE_OR_HASH = /^'(nonce-|sha256-|sha384-|sha512-)/i;

/** Normalises one source expression: keywords and hosts lower case, nonce and hash values kept as sent. */
function normaliseSource(token: string): string {
  const m = /^'(nonce|sha256|sha384|sha512)-(.*)'$/i.exec(token);
  if (m) return `'${(m[1] ?? '').toLowerCase()}-${m[2] ?? ''}'`;
  return token.toLowerCase();
}

/**
 * Parses a policy text. A header value may carry several policies separated by commas; each is returned.
 */
export function parseCsp(text: string, origin: CspOrigin = 'header'): CspPolicy[] {
  const out: CspPolicy[] = [];
  for (const part of text.split(',')) {
    const policy: CspPolicy = { origin, text: part.trim(), directives: new Map(), duplicates: [], unknown: [], invalid: [] };
    if (/[^\x20-\x7e\t]/.test(part)) policy.invalid.push('contains characters outside printable ASCII');
    for (const raw of part.split(';')) {
      const tokens = raw.trim().split(/[\t ]+/).filter(Boolean);
      const name = tokens[0]?.toLowerCase();
      if (!name) continue;
      if (!/^[a-z0-9-]+$/.test(name)) {
        policy.invalid.push(`malformed directive name "${tokens[0]}"`);
        continue;
      }
      const sources = tokens.slice(1).map(normaliseSource);
      // A source list with no source matches nothing: `default-src;` is `default-src 'none'`.
      if (sources.length === 0 && name.endsWith('-src')) sources.push("'none'");
      for (const s of sources) {
        if (s.startsWith("'") !== s.endsWith("'") || s === "'") policy.invalid.push(`malformed source ${s} in ${name}`);
      }
      if (policy.directives.has(name)) {
        policy.duplicates.push(name);
        continue;
      }
      if (!KNOWN_DIRECTIVES.has(name)) policy.unknown.push(name);
      if (origin === 'meta' && META_IGNORED.has(name)) continue;
      policy.directives.set(name, sources);
    }
    if (policy.directives.size === 0 && policy.invalid.length === 0 && !(origin === 'meta' && part.trim() !== '')) {
      policy.invalid.push('no directive');
    } else if (origin !== 'meta' && policy.invalid.length === 0 && policy.unknown.length > 0 && policy.unknown.length === policy.directives.size + policy.duplicates.length) {
      // `defa`, `foo`: nothing a browser would enforce, so not a policy (the Observatory also rejects one this short).
      policy.invalid.push('no Content-Security-Policy directive (not a policy)');
    }
    out.push(policy);
  }
  return out;
}

/** The sources that govern a directive in a policy after fallbacks; null when nothing restricts it. */
export function effectiveSources(policy: CspPolicy, directive: string): string[] | null {
  for (const d of FALLBACKS[directive] ?? [directive]) {
    const v = policy.directives.get(d);
    if (v !== undefined) return v;
  }
  return null;
}

function isNonceOrHash(s: string): boolean {
  return NONCE_OR_HASH.test(s);
}

const NON_NETWORK_SCHEMES = ['data:', 'blob:', 'filesystem:', 'javascript:'];

function schemeOf(source: string): string | undefined {
  const m = /^([a-z][a-z0-9+.-]*):/.exec(source);
  return m ? `${m[1]}:` : undefined;
}

/** Whether source expression `a` matches everything `b` matches (scheme and host sources only). */
function covers(a: string, b: string): boolean {
  if (a === b) return true;
  const bScheme = schemeOf(b);
  if (a === '*') return bScheme === undefined || !NON_NETWORK_SCHEMES.includes(bScheme);
  if (a === 'https:') return bScheme === 'https:' || bScheme === 'wss:';
  if (a === 'http:') return bScheme === 'http:' || bScheme === 'https:' || bScheme === 'ws:' || bScheme === 'wss:';
  if (a === 'https://*' || a === 'https://*.*') return b.startsWith('https://');
  if (a === 'http://*' || a === 'http://*.*') return b.startsWith('http://') || b.startsWith('https://');
  const aHost = /^(?:([a-z][a-z0-9+.-]*):\/\/)?\*\.([^/:]+)/.exec(a);
  if (aHost) {
    const bHost = /^(?:([a-z][a-z0-9+.-]*):\/\/)?([^/:]+)/.exec(b);
    if (!bHost) return false;
    const schemeOk = aHost[1] === undefined || aHost[1] === bHost[1];
    return schemeOk && (bHost[2] ?? '').endsWith(`.${aHost[2]}`);
  }
  return false;
}

/** Whether a source list (after fallbacks) allows a source expression, keyword rules included. */
export function listAllows(list: readonly string[] | null, expr: string, scriptLike: boolean): boolean {
  if (list === null) return true;
  if (list.length === 1 && list[0] === "'none'") return false;
  const nonceHash = list.some(isNonceOrHash);
  const strictDynamic = scriptLike && nonceHash && list.includes("'strict-dynamic'");
  if (expr === "'unsafe-inline'") return !nonceHash && list.includes(expr);
  if (expr.startsWith("'")) return list.includes(expr);
  // With 'strict-dynamic' and a nonce or hash, host and scheme sources and 'self' are ignored.
  if (strictDynamic) return false;
  return list.some((s) => !s.startsWith("'") && covers(s, expr));
}

function allAllow(policies: readonly CspPolicy[], directive: string, expr: string): boolean {
  const scriptLike = directive === 'script-src' || directive === 'worker-src';
  return policies.every((p) => listAllows(effectiveSources(p, directive), expr, scriptLike));
}

/** Broad sources that every policy allows for a directive. */
function broadAllowed(policies: readonly CspPolicy[], directive: string): string[] {
  const allowed = DANGEROUSLY_BROAD.filter((b) => allAllow(policies, directive, b));
  if (allowed.length === 0) return [];
  // Name the sources actually written; an unrestricted directive is reported as `*`.
  const written = allowed.filter((b) => policies.some((p) => effectiveSources(p, directive)?.includes(b)));
  return written.length > 0 ? written : ['* (not restricted)'];
}

/** Insecure-scheme sources (http:, ftp:) that every policy allows for one of the directives. */
function insecureAllowed(policies: readonly CspPolicy[], directives: readonly string[]): string[] {
  const found = new Set<string>();
  for (const d of directives) {
    for (const p of policies) {
      for (const s of effectiveSources(p, d) ?? []) {
        if ((s.includes('http:') || s.includes('ftp:')) && allAllow(policies, d, s)) found.add(`${d} ${s}`);
      }
    }
  }
  return [...found];
}

/** The CSP test's outcome: the Observatory result name, the policy summary and golive's findings. */
export interface CspAnalysis {
  result: keyof (typeof SCORE_TABLE)['content-security-policy'];
  summary: CspSummary;
  findings: Finding[];
  /** Enforced policies (headers and meta), parsed. */
  policies: CspPolicy[];
  /** The Observatory's reading (merged policy, flags, pass data); `result` is its result. */
  score: CspScore;
}

function finding(code: string, severity: 'error' | 'warn', message: string): Finding {
  return { code, severity, test: 'content-security-policy', header: 'content-security-policy', message };
}

/**
 * Analyses the policies of a response.
 * @param headerValues enforced `Content-Security-Policy` header lines
 * @param reportOnlyValues `Content-Security-Policy-Report-Only` header lines
 * @param metaValues contents of `<meta http-equiv="Content-Security-Policy">` tags
 * @param https whether the page was served over https (insecure schemes are judged only then)
 */
export function analyzeCsp(headerValues: readonly string[], reportOnlyValues: readonly string[], metaValues: readonly string[], https: boolean): CspAnalysis {
  const findings: Finding[] = [];
  const headerPolicies = headerValues.flatMap((v) => parseCsp(v, 'header'));
  const metaPolicies = metaValues.flatMap((v) => parseCsp(v, 'meta'));
  const reportOnly = reportOnlyValues.flatMap((v) => parseCsp(v, 'report-only'));
  const summary: CspSummary = { header: [...headerValues], reportOnly: [...reportOnlyValues], meta: [...metaValues], policy: null };
  // A <meta> policy holding only directives <meta> cannot carry (frame-ancestors, report-uri, sandbox) enforces nothing.
  const policies = [...headerPolicies, ...metaPolicies.filter((p) => p.directives.size > 0 || p.invalid.length > 0)];
  const score = scoreCsp(headerValues, reportOnlyValues, metaValues, https);

  for (const p of [...policies, ...reportOnly]) {
    const where = p.origin === 'meta' ? '<meta> policy' : p.origin === 'report-only' ? 'Content-Security-Policy-Report-Only' : 'Content-Security-Policy';
    for (const d of new Set(p.duplicates)) {
      const scored = p.origin === 'report-only' ? '' : d === 'report-uri' || d === 'report-to' ? ' (a passing Observatory-compatible result becomes csp-implemented-but-duplicate-directives)' : ' (the Observatory-compatible result is csp-header-invalid)';
      findings.push(finding('CSP_DUPLICATE_DIRECTIVE', 'warn', `${where} repeats ${d}; browsers use the first occurrence and ignore the rest${scored}`));
    }
    for (const d of p.unknown) findings.push(finding('CSP_UNKNOWN_DIRECTIVE', 'warn', `${where} has an unknown directive "${d}" (ignored by browsers)`));
    if (p.origin === 'meta' && /(^|;)\s*frame-ancestors\b/i.test(p.text)) {
      findings.push(finding('CSP_META_FRAME_ANCESTORS_IGNORED', 'warn', 'frame-ancestors in a <meta> policy is ignored by browsers; send it as a header'));
    }
  }

  if (policies.length === 0) {
    if (reportOnly.length > 0) {
      findings.push(
        finding('CSP_REPORT_ONLY_ALONE', 'warn', `only Content-Security-Policy-Report-Only is sent ("${reportOnlyValues.join(', ')}"): violations are reported, nothing is blocked`),
      );
      return { result: score.result, summary, findings, policies, score };
    }
    findings.push(finding('CSP_MISSING', 'error', 'no Content-Security-Policy header and no <meta http-equiv="Content-Security-Policy">'));
    return { result: score.result, summary, findings, policies, score };
  }

  const invalid = headerPolicies.filter((p) => p.invalid.length > 0);
  if (invalid.length > 0) {
    for (const p of invalid) findings.push(finding('CSP_INVALID', 'error', `Content-Security-Policy "${p.text}" is malformed: ${p.invalid.join('; ')}`));
    return { result: score.result, summary, findings, policies, score };
  }

  const scriptUnrestricted = policies.every((p) => effectiveSources(p, 'script-src') === null);
  const unsafeInline = allAllow(policies, 'script-src', "'unsafe-inline'");
  const dataScripts = allAllow(policies, 'script-src', 'data:');
  const unsafeEval = allAllow(policies, 'script-src', "'unsafe-eval'");
  const broadScript = broadAllowed(policies, 'script-src');
  const broadObject = broadAllowed(policies, 'object-src');
  const styleInline = allAllow(policies, 'style-src', "'unsafe-inline'") || allAllow(policies, 'style-src', 'data:');
  const broadStyle = broadAllowed(policies, 'style-src');
  const insecureActive = https ? insecureAllowed(policies, ACTIVE_DIRECTIVES) : [];
  const insecurePassive = https ? insecureAllowed(policies, PASSIVE_DIRECTIVES) : [];
  const strictDynamic = policies.some((p) => {
    const s = effectiveSources(p, 'script-src');
    return s?.includes("'strict-dynamic'");
  });
  const strictDynamicEffective = policies.some((p) => {
    const s = effectiveSources(p, 'script-src');
    return s?.includes("'strict-dynamic'") && s.some(isNonceOrHash);
  });
  const defaultNone = policies.some((p) => {
    const d = p.directives.get('default-src');
    return d !== undefined && d.length === 1 && d[0] === "'none'";
  });
  const antiClickjacking = headerPolicies.some((p) => {
    const fa = p.directives.get('frame-ancestors');
    return fa !== undefined && !DANGEROUSLY_BROAD.some((b) => listAllows(fa, b, false));
  });
  const insecureBaseUri = policies.every((p) => {
    const b = p.directives.get('base-uri');
    return b === undefined || DANGEROUSLY_BROAD.some((x) => listAllows(b, x, false));
  });
  const insecureFormAction = policies.every((p) => {
    const f = p.directives.get('form-action');
    return f === undefined || DANGEROUSLY_BROAD.some((x) => listAllows(f, x, false));
  });

  summary.policy = {
    unsafeInline: unsafeInline || dataScripts,
    unsafeEval,
    broadScriptSources: broadScript.length > 0,
    unsafeObjects: broadObject.length > 0,
    unsafeInlineStyle: styleInline || broadStyle.length > 0,
    insecureSchemeActive: insecureActive.length > 0,
    insecureSchemePassive: insecurePassive.length > 0,
    strictDynamic: strictDynamicEffective,
    defaultNone,
    antiClickjacking,
    insecureBaseUri,
    insecureFormAction,
  };

  if (scriptUnrestricted) {
    findings.push(finding('CSP_SCRIPT_UNRESTRICTED', 'error', 'no script-src and no default-src: the policy does not restrict scripts at all'));
  } else {
    if (unsafeInline) findings.push(finding('CSP_SCRIPT_UNSAFE_INLINE', 'error', "script-src allows 'unsafe-inline' (no nonce or hash cancels it): inline scripts and event handlers run"));
    if (dataScripts) findings.push(finding('CSP_SCRIPT_DATA_SOURCE', 'error', 'script-src allows data: URLs, an inline-script equivalent'));
    if (unsafeEval) findings.push(finding('CSP_SCRIPT_UNSAFE_EVAL', 'error', "script-src allows 'unsafe-eval': eval() and new Function() run"));
    if (broadScript.length > 0) findings.push(finding('CSP_SCRIPT_BROAD_SOURCE', 'error', `script-src allows overly broad sources: ${broadScript.join(' ')}`));
  }
  if (broadObject.length > 0) {
    findings.push(finding('CSP_OBJECT_SRC_UNRESTRICTED', 'error', `object-src (or its default-src fallback) allows ${broadObject.join(' ')}; set object-src 'none'`));
  }
  if (styleInline || broadStyle.length > 0) {
    findings.push(
      finding('CSP_STYLE_UNSAFE_INLINE', 'warn', `style-src allows ${[styleInline ? "'unsafe-inline' or data:" : '', ...broadStyle].filter(Boolean).join(', ')}`),
    );
  }
  if (insecureActive.length > 0) findings.push(finding('CSP_INSECURE_SCHEME', 'error', `an https page allows active content over insecure schemes: ${insecureActive.join(', ')}`));
  if (insecurePassive.length > 0) findings.push(finding('CSP_INSECURE_SCHEME_PASSIVE', 'warn', `an https page allows images or media over insecure schemes: ${insecurePassive.join(', ')}`));
  if (strictDynamic && !strictDynamicEffective) {
    findings.push(finding('CSP_STRICT_DYNAMIC_WITHOUT_NONCE', 'warn', "'strict-dynamic' without a nonce or hash: no script can load (or the policy was meant to carry one)"));
  }
  for (const p of policies) {
    for (const s of effectiveSources(p, 'script-src') ?? []) {
      const m = /^'nonce-(.*)'$/.exec(s);
      if (m && (m[1] ?? '').length < 22) findings.push(finding('CSP_NONCE_TOO_SHORT', 'warn', `nonce of ${(m[1] ?? '').length} characters: use at least 128 random bits (22 base64 characters)`));
    }
  }
  if (insecureBaseUri) findings.push(finding('CSP_BASE_URI_MISSING', 'warn', "base-uri is not restricted (it has no fallback to default-src); set base-uri 'none' or 'self'"));
  if (insecureFormAction) findings.push(finding('CSP_FORM_ACTION_MISSING', 'warn', "form-action is not restricted (it has no fallback to default-src); set form-action 'self'"));

  // The Observatory-compatible result comes from its merged reading of the policies (csp-score.ts).
  return { result: score.result, summary, findings, policies, score };
}

/** Nonce values of policy texts (`'nonce-…'` sources in any directive). */
export function cspNonces(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) for (const m of v.matchAll(/'nonce-([^']+)'/gi)) out.push(m[1] ?? '');
  return out;
}

/**
 * Compares the policies of two answers to the same page: a nonce that repeats across answers is static,
 * so an attacker can read it once and reuse it, which makes it no better than 'unsafe-inline'.
 */
export function staticNonceFinding(first: readonly string[], second: readonly string[]): Finding | undefined {
  const again = new Set(cspNonces(second));
  const repeated = cspNonces(first).filter((n) => again.has(n));
  if (repeated.length === 0) return undefined;
  return finding('CSP_NONCE_REUSED', 'error', `the same CSP nonce came back in two answers to the same page (${repeated.length} repeated): a nonce must be new on every response`);
}
