/**
 * The Observatory's reading of Content-Security-Policy, for its score. Browsers enforce several policies
 * independently; the Observatory instead merges every policy (header lines, commas inside a line,
 * `<meta http-equiv>` tags) into one map of directive → sources and judges that map. golive's findings
 * follow browsers (`csp.ts`); the score and the `content-security-policy` result follow this module, so
 * that the figure is the Observatory's.
 *
 * The rules, as the Observatory's scanner and tests define them (algorithm version 6):
 * - A policy shorter than the shortest useful directive (six characters, `img-src` minus one) makes the
 *   whole set invalid, as does a directive repeated inside one policy, except `report-uri` / `report-to`
 *   (those only mark the result `csp-implemented-but-duplicate-directives` when it passes).
 * - A `-src` directive without sources means `'none'`.
 * - Merging: the first policy gives each of its directives; a later policy keeps, for a directive the
 *   merged map already has, only the sources both name (sorted neighbours that match); a directive first
 *   named by a later policy ends with no source, which counts as `'none'`.
 * - `<meta>` policies cannot carry `frame-ancestors`, `report-uri`, `sandbox`: a set of policies whose
 *   headers are empty and whose meta policies hold only those is not implemented.
 */
import type { SCORE_TABLE } from './scoring.ts';

/** The Observatory's CSP result names. */
export type CspScoreResult = keyof (typeof SCORE_TABLE)['content-security-policy'];

/** Policy flags the Observatory reports with the CSP test (`true` = the property holds). */
export interface ObservatoryCspPolicy {
  antiClickjacking: boolean;
  defaultNone: boolean;
  insecureBaseUri: boolean;
  insecureFormAction: boolean;
  insecureSchemeActive: boolean;
  insecureSchemePassive: boolean;
  strictDynamic: boolean;
  unsafeEval: boolean;
  unsafeInline: boolean;
  unsafeInlineStyle: boolean;
  unsafeObjects: boolean;
}

/** The Observatory-compatible CSP outcome: result, pass flag and the data it reports. */
export interface CspScore {
  result: CspScoreResult;
  /** The merged policy, directive → sorted sources (null when no policy is implemented or it is invalid). */
  data: Record<string, string[]> | null;
  /** Whether a header / a meta policy was seen. */
  http: boolean;
  meta: boolean;
  /** Policies counted (each comma-separated policy of each header line and meta tag). */
  numPolicies: number;
  policy: ObservatoryCspPolicy | null;
  /** Why the set is invalid, when it is. */
  invalid?: string;
}

const MIN_POLICY_LENGTH = 'img-src'.length - 1;
const NOT_IN_META = ['frame-ancestors', 'report-uri', 'sandbox'];
const DUPLICATES_ALLOWED = new Set(['report-uri', 'report-to']);
const BROAD = new Set(['ftp:', 'http:', 'https:', '*', 'http://*', 'http://*.*', 'https://*', 'https://*.*']);
const INLINE = new Set(["'unsafe-inline'", 'data:']);
const BROAD_OR_INLINE = new Set([...BROAD, ...INLINE]);
const NONCE_HASH_PREFIXES = ["'sha256-", "'sha384-", "'sha512-", "'nonce-"];
const PASSIVE = ['img-src', 'media-src'];
const collator = new Intl.Collator('en');

class InvalidPolicy extends Error {}

interface Source {
  source: string;
  policy: number;
  keep: boolean;
}

/** Whether two sources name the same path (the second may only be longer when the first ends with `/`). */
function samePath(a: string, b: string): boolean {
  if (a.length === 0) return true;
  if (a === '/' && b.length === 0) return true;
  const exact = !a.endsWith('/');
  const pa = a.split('/');
  const pb = b.split('/');
  if (pa.length > pb.length || (exact && pa.length !== pb.length)) return false;
  if (!exact) pa.pop();
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return pa.every((piece, i) => decode(piece) === decode(pb[i] ?? ''));
}

/**
 * Merges policies the Observatory's way. Throws InvalidPolicy for a set it rejects.
 * @returns directive → sources, plus the directives repeated where repetition is allowed
 */
function mergePolicies(policies: readonly string[]): { map: Map<string, Set<string>>; duplicates: Set<string> } {
  const clean = policies.map((p) => p.replaceAll(/[\r\n]/g, '').trim());
  const duplicates = new Set<string>();
  const merged = new Map<string, Source[]>();
  if (clean.length === 0) return { map: new Map(), duplicates };
  for (const p of clean) if (p.length < MIN_POLICY_LENGTH) throw new InvalidPolicy(`"${p}" is not a policy`);
  clean.forEach((policy, index) => {
    const seen = new Set<string>();
    for (const part of policy.split(';')) {
      const tokens = part.trim().split(/\s+/);
      const first = tokens[0];
      if (!first) continue;
      const directive = first.toLowerCase();
      if (seen.has(directive)) {
        if (!DUPLICATES_ALLOWED.has(directive)) throw new InvalidPolicy(`directive ${directive} repeated in one policy`);
        duplicates.add(directive);
      } else seen.add(directive);
      const values: Source[] = tokens.slice(1).map((t) => ({ source: t.trim().toLowerCase(), policy: index, keep: index === 0 }));
      if (values.length === 0 && directive.endsWith('-src')) values.push({ source: "'none'", policy: index, keep: index === 0 });
      const combined = index === 0 ? values : [...(merged.get(directive) ?? []), ...values];
      combined.sort((a, b) => collator.compare(a.source, b.source));
      for (let i = 1; i < combined.length; i++) {
        const cur = combined[i] as Source;
        const prev = combined[i - 1] as Source;
        if (cur.policy === prev.policy && cur.source.startsWith(prev.source)) cur.keep = false;
        if (cur.policy !== prev.policy && samePath(prev.source, cur.source)) cur.keep = true;
      }
      const kept = combined.filter((s) => s.keep);
      merged.set(directive, kept);
      // After the first policy, its sources count only where a later policy names them too.
      if (index === 0 && clean.length > 1) for (const s of kept) s.keep = false;
    }
  });
  const map = new Map<string, Set<string>>();
  for (const [d, sources] of merged) map.set(d, sources.length > 0 ? new Set(sources.map((s) => s.source)) : new Set(["'none'"]));
  return { map, duplicates };
}

function hasNonceOrHash(sources: Iterable<string>): boolean {
  for (const s of sources) if (NONCE_HASH_PREFIXES.some((p) => s.startsWith(p))) return true;
  return false;
}

function any(sources: Iterable<string>, set: ReadonlySet<string>): boolean {
  for (const s of sources) if (set.has(s)) return true;
  return false;
}

function splitPolicies(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',').map((s) => s.trim()));
}

/**
 * The Observatory-compatible CSP result.
 * @param headerValues `Content-Security-Policy` header lines
 * @param reportOnlyValues `Content-Security-Policy-Report-Only` header lines
 * @param metaValues `<meta http-equiv="Content-Security-Policy">` contents
 * @param https whether the page was served over https
 */
export function scoreCsp(headerValues: readonly string[], reportOnlyValues: readonly string[], metaValues: readonly string[], https: boolean): CspScore {
  const httpPolicies = splitPolicies(headerValues);
  const metaPolicies = splitPolicies(metaValues);
  const out: CspScore = { result: 'csp-not-implemented', data: null, http: false, meta: false, numPolicies: httpPolicies.length + metaPolicies.length, policy: null };
  let merged: ReturnType<typeof mergePolicies>;
  try {
    merged = mergePolicies([...httpPolicies, ...metaPolicies]);
  } catch (e) {
    out.result = 'csp-header-invalid';
    out.invalid = (e as Error).message;
    return out;
  }
  let headerOnly: Map<string, Set<string>>;
  try {
    headerOnly = mergePolicies(httpPolicies).map;
  } catch {
    headerOnly = new Map();
  }
  let metaOnly: Map<string, Set<string>>;
  try {
    metaOnly = mergePolicies(metaPolicies).map;
    for (const d of NOT_IN_META) metaOnly.delete(d);
  } catch {
    metaOnly = new Map();
  }
  if (headerOnly.size + metaOnly.size === 0) {
    out.result = reportOnlyValues.some((v) => v !== '') ? 'csp-not-implemented-but-reporting-enabled' : 'csp-not-implemented';
    return out;
  }
  out.http = httpPolicies.length > 0;
  out.meta = metaPolicies.length > 0;
  const csp = merged.map;
  const policy: ObservatoryCspPolicy = {
    antiClickjacking: false,
    defaultNone: false,
    insecureBaseUri: false,
    insecureFormAction: false,
    insecureSchemeActive: false,
    insecureSchemePassive: false,
    strictDynamic: false,
    unsafeEval: false,
    unsafeInline: false,
    unsafeInlineStyle: false,
    unsafeObjects: false,
  };
  let result: CspScoreResult | undefined;
  const first = (r: CspScoreResult) => {
    if (result === undefined) result = r;
  };
  // Fallbacks share the default-src set itself, as in the Observatory: a change to one is a change to both.
  const star = () => new Set(['*']);
  const baseUri = csp.get('base-uri') ?? star();
  const frameAncestors = headerOnly.get('frame-ancestors') ?? star();
  const formAction = csp.get('form-action') ?? star();
  const objectSrc = csp.get('object-src') ?? csp.get('default-src') ?? star();
  const scriptSrc = csp.get('script-src') ?? csp.get('default-src') ?? star();
  const styleSrc = csp.get('style-src') ?? csp.get('default-src') ?? star();
  for (const list of [scriptSrc, styleSrc]) if (hasNonceOrHash(list)) list.delete("'unsafe-inline'");
  if (hasNonceOrHash(scriptSrc) && scriptSrc.has("'strict-dynamic'")) {
    for (const s of [...scriptSrc]) {
      if ([...BROAD].some((b) => s.startsWith(b)) || s === "'self'" || s === "'unsafe-inline'") scriptSrc.delete(s);
    }
    policy.strictDynamic = true;
  } else if (scriptSrc.has("'strict-dynamic'")) first('csp-header-invalid');

  const active: string[] = [];
  for (const [d, list] of csp) if (!PASSIVE.includes(d) && d !== 'script-src') active.push(...list);
  active.push(...scriptSrc);
  const passive = PASSIVE.flatMap((d) => [...(csp.get(d) ?? csp.get('default-src') ?? [])]);
  const insecure = (s: string) => s.startsWith('http:') || s.startsWith('ftp:');

  if (any(scriptSrc, BROAD_OR_INLINE) || any(objectSrc, BROAD)) {
    first('csp-implemented-with-unsafe-inline');
    policy.unsafeInline = true;
  }
  if (https && active.some(insecure)) {
    first('csp-implemented-with-insecure-scheme');
    policy.insecureSchemeActive = true;
  }
  if (scriptSrc.has("'unsafe-eval'") || styleSrc.has("'unsafe-eval'")) {
    first('csp-implemented-with-unsafe-eval');
    policy.unsafeEval = true;
  }
  if (https && passive.some(insecure)) {
    first('csp-implemented-with-insecure-scheme-in-passive-content-only');
    policy.insecureSchemePassive = true;
  }
  if (any(styleSrc, BROAD_OR_INLINE)) {
    first('csp-implemented-with-unsafe-inline-in-style-src-only');
    policy.unsafeInlineStyle = true;
  }
  const defaultSrc = csp.get('default-src');
  if (defaultSrc?.has("'none'") && defaultSrc.size === 1) {
    first('csp-implemented-with-no-unsafe-default-src-none');
    policy.defaultNone = true;
  } else first('csp-implemented-with-no-unsafe');
  policy.antiClickjacking = !any(frameAncestors, BROAD);
  policy.insecureBaseUri = any(baseUri, BROAD_OR_INLINE);
  policy.insecureFormAction = any(formAction, BROAD);
  policy.unsafeObjects = any(objectSrc, BROAD);

  let final = result ?? 'csp-implemented-with-no-unsafe';
  const passing: readonly CspScoreResult[] = [
    'csp-implemented-with-no-unsafe',
    'csp-implemented-with-no-unsafe-default-src-none',
    'csp-implemented-with-unsafe-inline-in-style-src-only',
    'csp-implemented-with-insecure-scheme-in-passive-content-only',
  ];
  if (passing.includes(final) && merged.duplicates.size > 0) final = 'csp-implemented-but-duplicate-directives';
  out.result = final;
  out.policy = policy;
  const data: Record<string, string[]> = {};
  for (const [d, list] of csp) data[d] = [...list].sort();
  out.data = data;
  return out;
}
