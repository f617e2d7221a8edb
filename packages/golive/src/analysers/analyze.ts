/**
 * analyzeHeaders: the whole security analysis of one recorded response, without a network. It runs every
 * Observatory test, computes the Observatory-compatible score and grade, and collects golive's findings.
 */
import { analyzeCookies } from './cookies.ts';
import { analyzeCors } from './cors.ts';
import { analyzeCsp } from './csp.ts';
import { isSensitiveHeader, REDACTED } from '../core/redact.ts';
import {
  analyzeCoep,
  analyzeCoop,
  analyzeCorp,
  analyzeExtras,
  analyzeHsts,
  analyzeReferrerPolicy,
  analyzeXcto,
  analyzeXfo,
  ONE_YEAR_SECONDS,
  parseHsts,
} from './headers.ts';
import { firstHeader, headerLines, isHtml, metaCspPolicies, metaReferrerPolicy, scanHtml } from './html.ts';
import { analyzeRedirection } from './redirection.ts';
import { ALGORITHM_VERSION, type Grade, gradeOf, modifierOf, OBSERVATORY_TESTS, type ObservatoryTest, passes, scoreOf } from './scoring.ts';
import { analyzeSri } from './sri.ts';
import type { AnalyzeInput, Finding, HeaderMap, RedirectionRecord, SecurityAnalysis, TestDataValue, TestResult } from './types.ts';

/** Whether a host name is a loopback address (127.0.0.0/8, ::1, localhost and *.localhost). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

const DESCRIPTIONS: Record<string, string> = {
  'not-applicable': 'https-only test, not applicable to a plain http target on a loopback host',
  'not-evaluated': 'not evaluated (no record of the request this test needs)',
};

const decoder = new TextDecoder();

function excerptValue(v: string, max = 160): string {
  return v.length > max ? `${v.slice(0, max - 3)}...` : v;
}

type Data = { [key: string]: TestDataValue };

function test(name: ObservatoryTest, result: string, data: Data = {}, applicable = true): TestResult {
  const modifier = applicable ? modifierOf(name, result) : 0;
  return { test: name, result, modifier, pass: applicable && passes(name, result), applicable, description: DESCRIPTIONS[result] ?? result.replaceAll('-', ' '), data };
}

/** The response headers as the Observatory reports them: lower-case names, one string each, credentials redacted. */
function reportedHeaders(headers: HeaderMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const n = name.toLowerCase();
    if (Object.hasOwn(out, n)) continue;
    const lines = headerLines(headers, n);
    if (lines.length === 0) continue;
    out[n] = isSensitiveHeader(n) ? REDACTED : excerptValue(lines.join(', '), 2048);
  }
  return out;
}

/** The redirection route: the http URL first, then every hop's location, resolved. */
function redirectionData(rec: RedirectionRecord): Data {
  const route: string[] = [rec.startUrl];
  let base = rec.startUrl;
  for (const h of rec.hops) {
    try {
      base = new URL(h.location, base).href;
    } catch {
      base = h.location;
    }
    route.push(base);
  }
  return { destination: rec.final?.url ?? route.at(-1) ?? null, redirects: rec.hops.length > 0, route, statusCode: rec.final?.status ?? null };
}

/**
 * Analyses one recorded response: Observatory tests, score, grade and golive's findings.
 * Pure and synchronous; well under a millisecond for ordinary pages.
 */
export function analyzeHeaders(input: AnalyzeInput): SecurityAnalysis {
  if (input === null || typeof input !== 'object') throw new TypeError('analyzeHeaders: expected { url, status, headers, body? }');
  if (!URL.canParse(String(input.url))) throw new TypeError(`analyzeHeaders: url ${JSON.stringify(input.url)} is not an absolute URL`);
  if (!Number.isInteger(input.status) || input.status < 100 || input.status > 599) throw new TypeError(`analyzeHeaders: status ${JSON.stringify(input.status)} is not an HTTP status code`);
  if (input.headers === null || typeof input.headers !== 'object') throw new TypeError('analyzeHeaders: headers must be an object of header name → value(s)');
  const url = new URL(input.url);
  const https = url.protocol === 'https:';
  const httpsApplicable = input.httpsApplicable ?? (https || !isLoopbackHost(url.hostname));
  const body = input.body === undefined ? undefined : typeof input.body === 'string' ? input.body : decoder.decode(input.body);
  const html = isHtml(input.headers, body);
  const htmlBody = html && body !== undefined ? scanHtml(body) : undefined;
  const findings: Finding[] = [];

  const csp = analyzeCsp(
    headerLines(input.headers, 'content-security-policy'),
    headerLines(input.headers, 'content-security-policy-report-only'),
    htmlBody ? metaCspPolicies(htmlBody) : [],
    https,
  );
  findings.push(...csp.findings);

  const hsts = analyzeHsts(input.headers, {
    https,
    httpsApplicable,
    preloaded: input.hstsPreloaded ?? false,
    minMaxAgeSeconds: input.hstsMinMaxAgeSeconds ?? ONE_YEAR_SECONDS,
  });
  findings.push(...hsts.findings);
  // The Observatory counts cookies as protected by HSTS only when its HSTS test passes (six months or preloaded).
  const hstsValid = hsts.result === 'hsts-implemented-max-age-at-least-six-months' || hsts.result === 'hsts-preloaded';

  const cookies = analyzeCookies(headerLines(input.headers, 'set-cookie'), { hsts: hstsValid, secureApplies: httpsApplicable });
  findings.push(...cookies.findings);
  const cors = analyzeCors(input.headers, input.cors);
  findings.push(...cors.findings);

  let redirection: TestResult;
  if (!httpsApplicable) redirection = test('redirection', 'not-applicable', {}, false);
  else if (!https && input.redirection === undefined) {
    // The target itself is plain http on a public host: the response analysed is the answer over http.
    redirection = test('redirection', 'redirection-missing', { destination: input.url, redirects: false, route: [input.url], statusCode: input.status });
    findings.push({ code: 'REDIRECT_MISSING', severity: 'error', test: 'redirection', message: `${input.url} answers ${input.status} over plain http without redirecting to https` });
  } else if (input.redirection === undefined) redirection = test('redirection', 'not-evaluated', {}, false);
  else {
    const r = analyzeRedirection(input.redirection);
    findings.push(...r.findings);
    redirection = test('redirection', r.result, redirectionData(input.redirection));
  }

  const metaReferrer = htmlBody ? metaReferrerPolicy(htmlBody) : undefined;
  const referrer = analyzeReferrerPolicy(input.headers, metaReferrer);
  findings.push(...referrer.findings);
  const sri = analyzeSri(htmlBody, html, input.url);
  findings.push(...sri.findings);
  const xcto = analyzeXcto(input.headers);
  findings.push(...xcto.findings);
  const frameAncestors = csp.policies.find((p) => p.origin === 'header' && p.directives.has('frame-ancestors'))?.directives.get('frame-ancestors');
  const xfo = analyzeXfo(input.headers, csp.summary.policy?.antiClickjacking ?? false, frameAncestors);
  findings.push(...xfo.findings);
  const corp = analyzeCorp(input.headers);
  findings.push(...corp.findings);
  const coop = analyzeCoop(input.headers, html);
  findings.push(...coop.findings);
  const coep = analyzeCoep(input.headers);
  findings.push(...coep.findings);
  findings.push(...analyzeExtras(input.headers, html));

  const cspScore = csp.score;
  const hstsRaw = firstHeader(input.headers, 'strict-transport-security');
  const hstsParsed = hstsRaw === undefined ? undefined : parseHsts(hstsRaw.slice(0, 1024));
  const hstsPolicy = hstsParsed !== undefined && !('error' in hstsParsed) ? hstsParsed : undefined;
  const cookieData: Data = {};
  for (const c of cookies.cookies) {
    if (Object.hasOwn(cookieData, c.name) || c.name.toLowerCase() === 'heroku-session-affinity') continue;
    cookieData[c.name.slice(0, 256)] = {
      domain: c.domain ?? null,
      expires: c.expires ?? null,
      httponly: c.httpOnly,
      'max-age': c.maxAge ?? null,
      path: c.path ?? null,
      port: null,
      // An unrecognised SameSite value is dropped by browsers (and by the Observatory's cookie jar).
      samesite: c.sameSite === 'invalid' ? null : (c.sameSite ?? null),
      secure: c.secure,
    };
  }
  const referrerLines = headerLines(input.headers, 'referrer-policy');
  // Reported values are trimmed; an empty header is no header.
  const nonEmpty = (name: string) => headerLines(input.headers, name).map((l) => l.trim()).find((l) => l !== '');
  const xfoRaw = nonEmpty('x-frame-options');
  const xctoRaw = nonEmpty('x-content-type-options');
  const acao = firstHeader(input.cors?.headers ?? input.headers, 'access-control-allow-origin');
  const tests: Record<ObservatoryTest, TestResult> = {
    'content-security-policy': test('content-security-policy', csp.result, {
      data: cspScore.data,
      http: cspScore.http,
      meta: cspScore.meta,
      numPolicies: cspScore.numPolicies,
      policy: cspScore.policy === null ? null : { ...cspScore.policy },
    }),
    cookies: test('cookies', cookies.result, {
      data: Object.keys(cookieData).length > 0 ? cookieData : null,
      // As the Observatory reports it: true only when the result is the one that needs SameSite everywhere.
      sameSite: cookies.result === 'cookies-secure-with-httponly-sessions-and-samesite',
    }),
    'cross-origin-resource-sharing': test('cross-origin-resource-sharing', cors.result, { data: acao === undefined ? null : acao.slice(0, 256).trim().toLowerCase() }),
    redirection,
    'referrer-policy': test('referrer-policy', referrer.result, {
      data: referrerLines.length > 0 || metaReferrer !== undefined ? [...referrerLines, ...(metaReferrer === undefined ? [] : [metaReferrer])].join(', ') : null,
      http: referrerLines.length > 0,
      meta: metaReferrer !== undefined,
    }),
    'strict-transport-security': test(
      'strict-transport-security',
      hsts.result,
      {
        data: hstsRaw === undefined ? null : hstsRaw.slice(0, 1024),
        includeSubDomains: hstsPolicy?.includeSubDomains ?? false,
        maxAge: hstsPolicy?.maxAge ?? null,
        preload: hstsPolicy?.preload ?? false,
        preloaded: input.hstsPreloaded ?? false,
      },
      hsts.applicable,
    ),
    'subresource-integrity': test('subresource-integrity', sri.result, { data: { ...sri.data } }),
    'x-content-type-options': test('x-content-type-options', xcto.result, { data: xctoRaw === undefined ? null : xctoRaw.slice(0, 256) }),
    'x-frame-options': test('x-frame-options', xfo.result, { data: xfoRaw === undefined ? null : xfoRaw.slice(0, 1024) }),
    'cross-origin-resource-policy': test('cross-origin-resource-policy', corp.result, { data: corp.data, http: corp.data !== null, meta: false }),
    'cross-origin-opener-policy': test('cross-origin-opener-policy', coop.result, { data: coop.data, http: coop.http }),
    'cross-origin-embedder-policy': test('cross-origin-embedder-policy', coep.result, { data: coep.data, http: coep.http }),
  };
  for (const f of findings) {
    // Evidence: the value seen, except for cookies (their values may be secrets).
    if (f.header === undefined || f.header === 'set-cookie') continue;
    const seen = headerLines(input.headers, f.header);
    if (seen.length > 0 && !seen.some((v) => f.message.includes(v))) f.message += ` (${f.header}: ${excerptValue(seen.join(', '))})`;
  }
  const { score, grade } = scoreOf(OBSERVATORY_TESTS.map((t) => tests[t].modifier));
  const testsPassed = OBSERVATORY_TESTS.filter((t) => tests[t].pass).length;
  return {
    url: input.url,
    status: input.status,
    score,
    grade,
    tests,
    findings,
    csp: csp.summary,
    httpsApplicable,
    algorithmVersion: ALGORITHM_VERSION,
    testsPassed,
    testsFailed: OBSERVATORY_TESTS.length - testsPassed,
    testsQuantity: OBSERVATORY_TESTS.length,
    responseHeaders: reportedHeaders(input.headers),
  };
}

/** The analysis of several responses (several paths of one service). */
export interface MultiAnalysis {
  analyses: SecurityAnalysis[];
  /** The worst grade and lowest score over all responses. */
  worstGrade: Grade;
  worstScore: number;
  /** Every finding, tagged with the URL it was seen on. */
  findings: Array<Finding & { url: string }>;
}

/** Analyses several recorded responses; error answers (404, 429, 500) need the headers as much as `/`. */
export function analyzeResponses(inputs: readonly AnalyzeInput[]): MultiAnalysis {
  const analyses = inputs.map(analyzeHeaders);
  const worstScore = analyses.length === 0 ? 0 : Math.min(...analyses.map((a) => a.score));
  return {
    analyses,
    worstGrade: gradeOf(worstScore),
    worstScore,
    findings: analyses.flatMap((a) => a.findings.map((f) => ({ ...f, url: a.url }))),
  };
}
