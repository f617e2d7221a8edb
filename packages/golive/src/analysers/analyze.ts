/**
 * analyzeHeaders: the whole security analysis of one recorded response, without a network. It runs every
 * Observatory test, computes the Observatory-compatible score and grade, and collects golive's findings.
 */
import { analyzeCookies } from './cookies.ts';
import { analyzeCors } from './cors.ts';
import { analyzeCsp } from './csp.ts';
import { analyzeCorp, analyzeExtras, analyzeHsts, analyzeReferrerPolicy, analyzeXcto, analyzeXfo, ONE_YEAR_SECONDS } from './headers.ts';
import { headerLines, isHtml, metaCspPolicies, metaReferrerPolicy, scanHtml } from './html.ts';
import { analyzeRedirection } from './redirection.ts';
import { type Grade, gradeOf, modifierOf, OBSERVATORY_TESTS, type ObservatoryTest, scoreOf } from './scoring.ts';
import { analyzeSri } from './sri.ts';
import type { AnalyzeInput, Finding, SecurityAnalysis, TestResult } from './types.ts';

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

function excerptValue(v: string): string {
  return v.length > 160 ? `${v.slice(0, 157)}...` : v;
}

function test(name: ObservatoryTest, result: string, applicable = true): TestResult {
  const modifier = applicable ? modifierOf(name, result) : 0;
  return { test: name, result, modifier, pass: modifier >= 0, applicable, description: DESCRIPTIONS[result] ?? result.replaceAll('-', ' ') };
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
  if (!httpsApplicable) redirection = test('redirection', 'not-applicable', false);
  else if (!https && input.redirection === undefined) {
    // The target itself is plain http on a public host: the response analysed is the answer over http.
    redirection = test('redirection', 'redirection-missing');
    findings.push({ code: 'REDIRECT_MISSING', severity: 'error', test: 'redirection', message: `${input.url} answers ${input.status} over plain http without redirecting to https` });
  } else if (input.redirection === undefined) redirection = test('redirection', 'not-evaluated', false);
  else {
    const r = analyzeRedirection(input.redirection);
    findings.push(...r.findings);
    redirection = test('redirection', r.result);
  }

  const referrer = analyzeReferrerPolicy(input.headers, htmlBody ? metaReferrerPolicy(htmlBody) : undefined);
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
  findings.push(...analyzeExtras(input.headers, html));

  const tests: Record<ObservatoryTest, TestResult> = {
    'content-security-policy': test('content-security-policy', csp.result),
    cookies: test('cookies', cookies.result),
    'cross-origin-resource-sharing': test('cross-origin-resource-sharing', cors.result),
    redirection,
    'referrer-policy': test('referrer-policy', referrer.result),
    'strict-transport-security': test('strict-transport-security', hsts.result, hsts.applicable),
    'subresource-integrity': test('subresource-integrity', sri.result),
    'x-content-type-options': test('x-content-type-options', xcto.result),
    'x-frame-options': test('x-frame-options', xfo.result),
    'cross-origin-resource-policy': test('cross-origin-resource-policy', corp.result),
  };
  for (const f of findings) {
    // Evidence: the value seen, except for cookies (their values may be secrets).
    if (f.header === undefined || f.header === 'set-cookie') continue;
    const seen = headerLines(input.headers, f.header);
    if (seen.length > 0 && !seen.some((v) => f.message.includes(v))) f.message += ` (${f.header}: ${excerptValue(seen.join(', '))})`;
  }
  const { score, grade } = scoreOf(OBSERVATORY_TESTS.map((t) => tests[t].modifier));
  return { url: input.url, status: input.status, score, grade, tests, findings, csp: csp.summary, httpsApplicable };
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
