/**
 * `security-headers`: the stage 4 seed's CSP check, deepened to the HTTP Observatory's level. It fetches `/`
 * (following redirects), a random path (its 404 answer) and any configured paths (an API route, a 429),
 * sends a CORS probe Origin, follows http → https redirection, and analyses every answer with the pure
 * analysers: Observatory-compatible tests, score and grade, and golive's findings. The gate requires a CSP
 * (report-only alone is a warning), a minimum grade on every path, the per-test requirements, and no
 * error-severity finding unless a waiver that has not expired covers it.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { analyzeHeaders } from '../analysers/analyze.ts';
import { DEFAULT_PROBE_ORIGIN } from '../analysers/cors.ts';
import { staticNonceFinding } from '../analysers/csp.ts';
import { evaluateGate, type LabelledAnalysis } from '../analysers/gate.ts';
import { headerLines } from '../analysers/html.ts';
import { toObservatoryResponse } from '../analysers/observatory-output.ts';
import { ALGORITHM_VERSION, GRADES, OBSERVATORY_TESTS, type ObservatoryTest, SCORE_TABLE } from '../analysers/scoring.ts';
import type { CorsProbeRecord, RedirectionRecord, SecurityAnalysis } from '../analysers/types.ts';
import type { Json, Observation } from '../core/result.ts';
import { type HttpExchange, type HttpResponse, describeExchange } from '../http/client.ts';
import { type CheckContext, type CheckOutcome, defineCheck, observe } from './types.ts';
import { networkObservation } from './util/network.ts';
import { redirectHeadersObservation } from './util/redirects.ts';
import { headerMapSchema, headersOption, maxBodyBytesOption, pathOption, requestTimeoutOption, sequentialTimeoutMs, urlOption } from './util/options.ts';
import type { SecurityHeadersData } from './security-headers.data.ts';
import { statusMatcher, statusSpecSchema } from './util/status.ts';

const pathEntry = z.union([
  z.string().min(1),
  z
    .object({
      path: z.string().min(1).describe('Path (or absolute URL) to analyse.'),
      label: z.string().min(1).optional().describe('Name of the path in findings (default: the path).'),
      headers: headerMapSchema().default({}).describe('Extra request headers for this path.'),
      expectStatus: statusSpecSchema.optional().describe('Status this path is expected to answer (e.g. 429); another status is a warning.'),
      burst: z.number().int().min(0).max(1000).default(0).describe('Requests sent first (e.g. to reach a rate limit) before the analysed one.'),
    })
    .strict(),
]);

const waiverSchema = z
  .object({
    rule: z
      .string()
      .min(1)
      .describe('A finding code (CSP_STYLE_UNSAFE_INLINE) or an Observatory test name (x-frame-options).'),
    until: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
      .refine((s) => Number.isFinite(Date.parse(`${s}T00:00:00Z`)), 'expected a real calendar date')
      .describe('Last day (UTC, inclusive) the waiver holds; after it the waiver fails the check.'),
    reason: z.string().min(3).describe('Why it is acceptable until then.'),
    path: z.string().min(1).optional().describe('Only for this path label or path.'),
  })
  .strict();

const options = z
  .object({
    path: pathOption('/'),
    url: urlOption(),
    analysis: z
      .boolean()
      .default(true)
      .describe('Run the full analysis (grade, findings, other paths); false keeps the seed check: a CSP header on the page.'),
    requireCsp: z.boolean().default(true).describe('A missing CSP fails the check (false: a warning).'),
    reportOnlyAlone: z.enum(['warn', 'error']).default('warn').describe('How a Content-Security-Policy-Report-Only without an enforced policy counts.'),
    minGrade: z.enum(GRADES).default('B').describe('Lowest acceptable Observatory-compatible grade, on every analysed path.'),
    requirements: z
      .partialRecord(z.enum(OBSERVATORY_TESTS), z.union([z.literal('pass'), z.array(z.string()).min(1)]))
      .superRefine((req, ctx) => {
        for (const [test, allowed] of Object.entries(req)) {
          if (allowed === 'pass' || allowed === undefined) continue;
          const known = Object.keys(SCORE_TABLE[test as ObservatoryTest]);
          for (const r of allowed) {
            if (!known.includes(r)) ctx.addIssue({ code: 'custom', path: [test], message: `"${r}" is not a result of ${test} (one of: ${known.join(', ')})` });
          }
        }
      })
      .default({})
      .describe('Per Observatory test: the accepted result names, or "pass" (no penalty).'),
    rules: z
      .record(z.string().regex(/^[A-Z0-9_]+$/, 'expected a finding code in UPPER_SNAKE'), z.enum(['error', 'warn', 'off']))
      .default({})
      .describe('Severity per finding code, overriding the built-in one.'),
    waivers: z.array(waiverSchema).default([]).describe('Time-boxed exceptions; an expired waiver fails the check naming it.'),
    paths: z.array(pathEntry).default([]).describe('More paths to analyse: an API route, an error answer, a rate-limited route.'),
    notFoundProbe: z.boolean().default(true).describe('Also analyse the answer to a random path (error answers need the headers too).'),
    corsProbe: z.boolean().default(true).describe('Send a request with a probe Origin to detect reflected origins.'),
    probeOrigin: z.url().default(DEFAULT_PROBE_ORIGIN).describe('Origin sent by the CORS probe.'),
    redirection: z.boolean().default(true).describe('Judge the http → https redirection of an https target.'),
    httpUrl: z.url().optional().describe('http:// URL whose redirection is judged (default: http://<host>/ of an https target).'),
    https: z
      .enum(['auto', 'required', 'not-applicable'])
      .default('auto')
      .describe('auto: https-only tests are not applicable to a plain http target on a loopback host, required elsewhere.'),
    hstsPreloaded: z.boolean().default(false).describe('The host is on the HSTS preload list (golive cannot fetch the list).'),
    hstsMinMaxAgeSeconds: z.number().int().min(0).default(31_536_000).describe("golive's HSTS rule: minimum max-age in seconds."),
    observatoryOutput: z
      .union([z.boolean(), z.string().min(1)])
      .default(false)
      .describe(
        "Write the analysis of / as the HTTP Observatory's v2 analyze response (JSON): true for security/<check id>.observatory.json, or an artifact path.",
      ),
    timeoutMs: requestTimeoutOption(5000),
    maxBodyBytes: maxBodyBytesOption(512 * 1024),
    headers: headersOption(),
  })
  .strict();

/** Options of the `security-headers` check. */
export type SecurityHeadersOptions = z.output<typeof options>;

interface PathPlan {
  label: string;
  path: string;
  headers: Record<string, string>;
  expectStatus?: ReturnType<typeof statusMatcher>;
  burst: number;
  follow: boolean;
  cors: boolean;
}

function plan(opts: SecurityHeadersOptions): PathPlan[] {
  const out: PathPlan[] = [{ label: '/', path: opts.url ?? opts.path, headers: {}, burst: 0, follow: true, cors: true }];
  if (!opts.analysis) return out;
  if (opts.notFoundProbe) out.push({ label: '404', path: `/golive-not-found-${randomUUID().slice(0, 12)}`, headers: {}, burst: 0, follow: false, cors: false });
  for (const p of opts.paths) {
    if (typeof p === 'string') out.push({ label: p, path: p, headers: {}, burst: 0, follow: false, cors: true });
    else {
      const e: PathPlan = { label: p.label ?? p.path, path: p.path, headers: p.headers, burst: p.burst, follow: false, cors: true };
      if (p.expectStatus !== undefined) e.expectStatus = statusMatcher(p.expectStatus);
      out.push(e);
    }
  }
  return out;
}

function request(ctx: CheckContext, opts: SecurityHeadersOptions, url: string, extra: Record<string, string>, follow: boolean, maxBodyBytes = opts.maxBodyBytes) {
  return ctx.http.request({
    method: 'GET',
    url,
    headers: { accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8', ...opts.headers, ...extra },
    timeoutMs: opts.timeoutMs,
    maxBodyBytes,
    followRedirects: follow,
    signal: ctx.signal,
  });
}

function redirectionRecord(startUrl: string, ex: HttpExchange): RedirectionRecord {
  const hops = ex.redirects.map((r) => ({ status: r.status, location: r.location }));
  if (ex.ok) return { startUrl, hops, final: { url: ex.request.url, status: ex.status } };
  const error = ex.kind === 'tls' ? 'tls' : ex.kind === 'timeout' ? 'timeout' : ex.kind === 'refused' || ex.kind === 'dns' ? 'refused' : 'other';
  return { startUrl, hops, error };
}

function httpsMode(opts: SecurityHeadersOptions): boolean | undefined {
  return opts.https === 'auto' ? undefined : opts.https === 'required';
}

/** The `security-headers` check kind. */
export const securityHeadersCheck = defineCheck<typeof options, SecurityHeadersData>({
  kind: 'security-headers',
  title: 'Security headers',
  description: 'Requires a CSP on / and grades the security headers of /, a 404 and configured paths the way the HTTP Observatory does.',
  options,
  defaultTimeoutMs: 30_000,
  // `/`, the 404 probe and the CORS probes, then each configured path.
  timeoutFor: (o) => sequentialTimeoutMs(30_000, 4 + o.paths.length, o.timeoutMs),
  requestTimeoutOption: 'timeoutMs',
  // Score and grade compare only under the same scoring algorithm (`algorithmVersion`): another version is
  // another scale. Any lower score or grade is a regression: both are deterministic for the same headers.
  metrics: {
    score: { direction: 'higher', tolerance: 0, comparableWhenEqual: ['algorithmVersion'] },
    grade: { direction: 'higher', tolerance: 0, levels: [...GRADES].reverse(), comparableWhenEqual: ['algorithmVersion'] },
  },
  present({ data }) {
    if (!data) return {};
    if (data.grade === undefined) return {};
    const tests = data.tests ?? {};
    // The summary (`grade A+ (105) on /, B on /api`) is the key figure; the score table and findings are tables.
    return {
      tables: [
        {
          id: 'score',
          title: `Score table (HTTP Observatory tests${data.algorithmVersion === undefined ? '' : `, scoring algorithm ${data.algorithmVersion}`})`,
          columns: ['test', 'result', 'modifier', 'pass'],
          rows: Object.entries(tests).map(([name, t]) => [name, t.result, t.modifier, t.pass]),
        },
        {
          id: 'findings',
          title: 'Findings',
          columns: ['path', 'code', 'severity', 'message'],
          rows: (data.findings ?? []).map((f) => [f.path, f.code, f.severity, f.message]),
        },
      ],
    };
  },
  async run(ctx, opts): Promise<CheckOutcome<SecurityHeadersData>> {
    const observations: Observation[] = [];
    const labelled: LabelledAnalysis[] = [];
    const pathsData: Json[] = [];
    let primary: { ex: HttpResponse; analysis: SecurityAnalysis } | undefined;

    for (const p of plan(opts)) {
      for (let i = 0; i < p.burst; i++) {
        await request(ctx, opts, p.path, p.headers, false, 1024);
        ctx.signal.throwIfAborted();
      }
      const ex = await request(ctx, opts, p.path, p.headers, p.follow);
      ctx.signal.throwIfAborted();
      if (!ex.ok) {
        observations.push(networkObservation('SECURITY_HEADERS', ex, `an answer from ${p.label}`, `reachable@${p.label}`));
        if (p.label === '/') {
          return {
            observations,
            metrics: { statusCode: null, grade: null, score: null },
            data: { url: ex.request.url, statusCode: null, cspPresent: false, csp: null, cspReportOnly: null, error: ex.kind },
          };
        }
        continue;
      }
      if (p.expectStatus && !p.expectStatus.matches(ex.status)) {
        observations.push(
          observe(`status@${p.label}`, false, p.expectStatus.text, String(ex.status), {
            severity: 'warn',
            code: 'SECURITY_HEADERS_PATH_STATUS',
            message: `${p.label} was expected to answer ${p.expectStatus.text} (so that answer's headers are analysed): ${describeExchange(ex)}`,
          }),
        );
      }
      let cors: CorsProbeRecord | undefined;
      if (opts.analysis && opts.corsProbe && p.cors) {
        const probe = await request(ctx, opts, ex.request.url, { ...p.headers, origin: opts.probeOrigin }, false, 1024);
        ctx.signal.throwIfAborted();
        if (probe.ok) cors = { origin: opts.probeOrigin, headers: probe.headers };
        if (!probe.ok || headerLines(probe.headers, 'access-control-allow-origin').length === 0) {
          // Many APIs answer CORS only to a preflight: ask as a browser would before a credentialed POST.
          const preflight = await ctx.http.request({
            method: 'OPTIONS',
            url: ex.request.url,
            headers: { ...opts.headers, ...p.headers, origin: opts.probeOrigin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
            timeoutMs: opts.timeoutMs,
            maxBodyBytes: 1024,
            signal: ctx.signal,
          });
          ctx.signal.throwIfAborted();
          if (preflight.ok && headerLines(preflight.headers, 'access-control-allow-origin').length > 0) cors = { origin: opts.probeOrigin, headers: preflight.headers };
        }
      }
      let redirection: RedirectionRecord | undefined;
      const finalUrl = new URL(ex.request.url);
      if (p.label === '/' && opts.analysis) {
        const start = ctx.http.resolve(p.path);
        if (start.protocol === 'http:') redirection = redirectionRecord(start.href, ex);
        else if (opts.redirection && finalUrl.protocol === 'https:') {
          const httpUrl = opts.httpUrl ?? `http://${finalUrl.hostname.includes(':') ? `[${finalUrl.hostname}]` : finalUrl.hostname}/`;
          const rex = await request(ctx, opts, httpUrl, {}, true, 1024);
          ctx.signal.throwIfAborted();
          redirection = redirectionRecord(httpUrl, rex);
        }
      }
      const analysis = analyzeHeaders({
        url: ex.request.url,
        status: ex.status,
        headers: ex.headers,
        body: ex.body,
        ...(cors ? { cors } : {}),
        ...(redirection ? { redirection } : {}),
        ...(httpsMode(opts) === undefined ? {} : { httpsApplicable: httpsMode(opts) }),
        hstsPreloaded: opts.hstsPreloaded,
        hstsMinMaxAgeSeconds: opts.hstsMinMaxAgeSeconds,
      });
      if (p.label === '/') {
        primary = { ex, analysis };
        if (cors) {
          // The probe fetched the same page again: a nonce that did not change is static.
          const reused = staticNonceFinding(headerLines(ex.headers, 'content-security-policy'), headerLines(cors.headers, 'content-security-policy'));
          if (reused) analysis.findings.push(reused);
        }
      }
      const redirected = redirectHeadersObservation(ex, `redirect-headers@${p.label}`);
      if (redirected) observations.push(redirected);
      labelled.push({ label: p.label, analysis });
      pathsData.push({ label: p.label, url: ex.request.url, statusCode: ex.status, grade: analysis.grade, score: analysis.score });
    }
    if (!primary) throw new Error('unreachable: the primary path always yields a result or returns early');

    const { ex, analysis } = primary;
    const csp = headerLines(ex.headers, 'content-security-policy');
    const cspRo = headerLines(ex.headers, 'content-security-policy-report-only');
    const enforced = csp.length > 0 || analysis.csp.meta.length > 0;
    const cspPresent = enforced || cspRo.length > 0;
    const evidence = describeExchange(ex);
    observations.unshift(
      observe('csp-present', cspPresent, 'Content-Security-Policy or Content-Security-Policy-Report-Only', cspPresent ? (csp[0] ?? cspRo[0] ?? 'meta') : 'absent', {
        code: 'CSP_MISSING',
        ...(opts.requireCsp ? {} : { severity: 'warn' as const }),
        message: cspPresent
          ? `CSP on ${ex.request.url}: ${csp.join(', ') || analysis.csp.meta.join(', ') || cspRo.join(', ')}`
          : `no Content-Security-Policy (nor Report-Only, nor <meta>): ${evidence}`,
      }),
    );
    if (cspPresent) {
      observations.splice(
        1,
        0,
        observe('csp-enforced', enforced, 'an enforced Content-Security-Policy', enforced ? 'enforced' : 'report-only', {
          code: 'CSP_REPORT_ONLY_ALONE',
          severity: opts.reportOnlyAlone,
          message: enforced ? 'CSP enforced' : `only Content-Security-Policy-Report-Only ("${cspRo.join(', ')}"): violations are reported, nothing is blocked`,
        }),
      );
    }

    const data: SecurityHeadersData = {
      url: ex.request.url,
      statusCode: ex.status,
      cspPresent,
      csp: csp.length > 0 ? csp.join(', ') : null,
      cspReportOnly: cspRo.length > 0 ? cspRo.join(', ') : null,
    };
    if (!opts.analysis) {
      return { observations, metrics: { statusCode: ex.status }, data, summary: cspPresent ? `CSP present (${ex.status})` : `no CSP on ${ex.request.url}` };
    }

    const items = evaluateGate(labelled, {
      minGrade: opts.minGrade,
      requirements: opts.requirements,
      waivers: opts.waivers,
      severities: opts.rules,
      now: new Date(ctx.clock.now()),
    });
    for (const it of items) {
      // The basic observations above already judge CSP presence on `/`.
      if (it.name === 'csp-missing@/' || it.name === 'csp-report-only-alone@/') continue;
      const extra: { message: string; code?: string; severity?: 'error' | 'warn' } = { message: it.message, severity: it.severity };
      if (it.code) extra.code = it.code;
      observations.push(observe(it.name, it.passed, it.expected, it.actual, extra));
    }

    data.grade = analysis.grade;
    data.score = analysis.score;
    data.minGrade = opts.minGrade;
    data.httpsApplicable = analysis.httpsApplicable;
    const tests: NonNullable<SecurityHeadersData['tests']> = {};
    for (const t of OBSERVATORY_TESTS) {
      const r = analysis.tests[t];
      tests[t] = { result: r.result, modifier: r.modifier, pass: r.pass, applicable: r.applicable, data: r.data };
    }
    data.tests = tests;
    data.algorithmVersion = ALGORITHM_VERSION;
    data.testsPassed = analysis.testsPassed;
    data.testsFailed = analysis.testsFailed;
    data.testsQuantity = analysis.testsQuantity;
    data.paths = pathsData;
    data.findings = labelled.flatMap(({ label, analysis: a }) => a.findings.map((f) => ({ path: label, code: f.code, severity: opts.rules[f.code] ?? f.severity, message: f.message })));
    const worst = labelled.reduce((w, l) => (l.analysis.score < w.analysis.score ? l : w), labelled[0] ?? { label: '/', analysis });
    const failedCount = observations.filter((o) => !o.passed && (o.severity ?? 'error') === 'error').length;
    const artifacts: string[] = [];
    if (opts.observatoryOutput !== false) {
      const path = opts.observatoryOutput === true ? `security/${ctx.id.replace(/[^A-Za-z0-9._-]/g, '_')}.observatory.json` : opts.observatoryOutput;
      const doc = toObservatoryResponse(analysis, new Date(ctx.clock.now()).toISOString());
      try {
        artifacts.push(await ctx.artifacts.write(path, `${JSON.stringify(doc, null, 2)}\n`));
      } catch (e) {
        observations.push(
          observe('observatory-output', false, `${path} written`, 'write failed', {
            severity: 'warn',
            code: 'OBSERVATORY_OUTPUT_WRITE',
            message: `could not write the Observatory-compatible output ${path}: ${ctx.redactor.redact(String((e as Error).message ?? e))}`,
          }),
        );
      }
    }
    return {
      ...(artifacts.length > 0 ? { artifacts } : {}),
      observations,
      // algorithmVersion is a metric too: a baseline compares score and grade only when it is equal on both sides.
      metrics: { statusCode: ex.status, grade: analysis.grade, score: analysis.score, algorithmVersion: ALGORITHM_VERSION, worstGrade: worst.analysis.grade, failedFindings: failedCount },
      data,
      summary: `grade ${analysis.grade} (${analysis.score}) on /${worst.label !== '/' ? `, ${worst.analysis.grade} on ${worst.label}` : ''}${failedCount ? `; ${failedCount} failing` : ''}`,
    };
  },
});
