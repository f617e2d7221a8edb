import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import type { CheckResult, Report } from '../../src/core/result.ts';
import { computeTotals } from '../../src/core/result.ts';
import { compatChecksOf } from '../../src/presets/index.ts';
import { stage3Smoke, stage3Summary } from '../../src/reporters/compat-stage3.ts';
import { stage4Summary, stage4Text } from '../../src/reporters/compat-stage4.ts';
import { renderConsole, renderProgressLine, useColor } from '../../src/reporters/console.ts';
import { writeReports } from '../../src/reporters/index.ts';
import { renderJunit, xmlEscape } from '../../src/reporters/junit.ts';
import { renderMarkdown } from '../../src/reporters/markdown.ts';
import { renderText } from '../../src/reporters/text.ts';

const base = {
  kind: 'http',
  level: 'error' as const,
  stage: 'smoke',
  startedAt: '2026-01-01T12:00:00.000Z',
  durationMs: 12.5,
  warnings: [] as string[],
  metrics: {},
  artifacts: [] as string[],
};
const results: CheckResult[] = [
  {
    ...base,
    id: 'health',
    kind: 'health',
    title: 'Health',
    status: 'pass',
    observations: [{ name: 'status', expected: '2xx', actual: '200', passed: true, message: 'GET /health → 200' }],
    summary: '200 in 3 ms',
    data: { statusCode: 200, latencyMs: 3.456, payload: { status: 'ok' }, url: 'http://svc.test/health' },
  },
  {
    ...base,
    id: 'webhook',
    title: 'Webhook <unsigned> & "quoted" | piped',
    status: 'fail',
    observations: [
      { name: 'status', expected: '400|401|403', actual: '200', passed: false, code: 'HTTP_STATUS', message: 'POST /api/stripe/webhook → 200: accepted an unsigned event \u0007' },
    ],
    summary: 'POST /api/stripe/webhook → 200',
    data: { statusCode: 200 },
  },
  { ...base, id: 'samples', title: 'Samples', status: 'error', observations: [], error: { code: 'GOLIVE_ERR_INSUFFICIENT_SAMPLES', message: 'only 1 sample' }, summary: 'only 1 sample' },
  { ...base, id: 'canary', kind: 'canary', title: 'Canary', stage: 'go-live', status: 'skip', reason: 'dependency "health" did not pass (fail)', observations: [], summary: 'skipped' },
  {
    ...base,
    id: 'headers',
    kind: 'security-headers',
    title: 'Headers',
    level: 'warn',
    stage: 'go-live',
    status: 'fail',
    warnings: ['report-only CSP alone'],
    observations: [{ name: 'csp', expected: 'present', actual: 'absent', passed: false, code: 'CSP_MISSING', message: 'no CSP on /' }],
    summary: 'no CSP on /',
    data: { statusCode: 200, cspPresent: false, csp: null, cspReportOnly: null },
  },
];
const report: Report = {
  schemaVersion: '1.1.0',
  tool: { name: 'golive', version: '0.1.0' },
  runId: 'r1',
  startedAt: '2026-01-01T12:00:00.123Z',
  finishedAt: '2026-01-01T12:00:02.500Z',
  durationMs: 2377,
  target: { baseUrl: 'http://svc.test', managed: false },
  source: 'preset:stage3',
  label: 'preset:stage3',
  release: 'v0.3.0',
  verdict: 'NO-GO',
  exitCode: 1,
  totals: computeTotals(results),
  stages: [
    { name: 'smoke', status: 'fail', failPolicy: 'continue', durationMs: 40, checks: results.slice(0, 3) },
    { name: 'go-live', status: 'fail', failPolicy: 'continue', durationMs: 20, checks: results.slice(3) },
  ],
};

describe('junit', () => {
  it('maps fail → failure, error → error, skip → skipped, with counts per suite', () => {
    const xml = renderJunit(report);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const root = doc.testsuites;
    assert.deepEqual([root.tests, root.failures, root.errors, root.skipped], ['5', '2', '1', '1']);
    const [smoke, golive] = root.testsuite;
    assert.deepEqual([smoke.name, smoke.tests, smoke.failures, smoke.errors, smoke.skipped], ['smoke', '3', '1', '1', '0']);
    const [health, webhook, samples] = smoke.testcase;
    assert.equal(health.failure, undefined);
    assert.equal(webhook.failure.type, 'HTTP_STATUS');
    assert.match(webhook.failure['#text'], /\[HTTP_STATUS\] POST \/api\/stripe\/webhook → 200/);
    assert.equal(webhook.name, 'webhook: Webhook <unsigned> & "quoted" | piped');
    assert.equal(samples.error.type, 'GOLIVE_ERR_INSUFFICIENT_SAMPLES');
    assert.equal(golive.testcase[0].skipped.message, 'dependency "health" did not pass (fail)');
    assert.match(golive.testcase[1].name, /\(warn\)$/);
    assert.doesNotMatch(xml, /\u0007/, 'characters XML forbids are dropped');
  });

  it('escapes markup', () => {
    assert.equal(xmlEscape(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('markdown, text and console', () => {
  it('markdown: verdict heading, one row per check with pipes escaped, evidence of failures', () => {
    const md = renderMarkdown(report);
    assert.match(md, /^## ❌ golive: NO-GO\n/);
    const rows = md.split('\n').filter((l) => /^\| (✅|❌|⚠️|⏭️) \|/.test(l));
    assert.equal(rows.length, 5);
    assert.ok(rows[1]?.includes('piped') && rows[1].includes('\\|'));
    // Evidence is an inert code span; config text (titles) is backslash-escaped Markdown.
    assert.match(md, /### Evidence\n\n- \*\*webhook\*\* \(FAIL\)\n {2}- `\[HTTP_STATUS\] POST \/api\/stripe\/webhook → 200: accepted an unsigned event \\x07`/);
    assert.ok(rows[1]?.includes('Webhook \\<unsigned\\>'), 'HTML in a title is escaped');
  });

  it('text: a line per check with its status and evidence, then Status', () => {
    const text = renderText(report);
    assert.match(text, /^✅ Health \[health\]: PASS — 200 in 3 ms$/m);
    assert.match(text, /^❌ Webhook .* \[webhook\]: FAIL — POST \/api\/stripe\/webhook → 200$/m);
    assert.match(text, /^⚠️ Samples \[samples\]: ERROR — GOLIVE_ERR_INSUFFICIENT_SAMPLES: only 1 sample$/m);
    assert.match(text, /^⏭️ Canary \[canary\]: SKIP — skipped: dependency "health" did not pass \(fail\)$/m);
    assert.match(text, /^ {4}warning: report-only CSP alone$/m);
    // A summary that is a figure rather than the failure leaves the failing observation to the line below it.
    assert.match(text, /^ {4}\[HTTP_STATUS\] POST \/api\/stripe\/webhook → 200: accepted an unsigned event/m);
    assert.doesNotMatch(text, /^ {4}\[CSP_MISSING\] no CSP on \/$/m, 'a failure the summary already shows is not repeated');
    assert.match(text, /\nStatus: FAIL\nVerdict: NO-GO: 1 passed, 2 failed, 1 errors, 1 skipped, 1 warning \(exit 1\)\n$/);
  });

  it('console: table, evidence and verdict; colour only when asked', () => {
    const plain = renderConsole(report, { color: false });
    assert.doesNotMatch(plain, /\u001b\[/);
    assert.match(plain, /^FAIL\s+smoke\s+webhook\s+12\.5 ms\s+POST \/api\/stripe\/webhook → 200$/m);
    assert.match(plain, /^SKIP\s+go-live\s+canary\s+.*skipped: dependency "health"/m);
    assert.match(plain, /^ {2}headers FAIL \(warn, does not gate\)$/m);
    assert.match(plain, /NO-GO: 1 passed, 2 failed/);
    assert.match(renderConsole(report, { color: true }), /\u001b\[31mFAIL/);
    assert.match(renderProgressLine(results[1] as CheckResult, 1, 5, { color: false }), /^\[2\/5\] FAIL {2}webhook {2}POST/);
  });

  it('useColor: never with NO_COLOR, forced with FORCE_COLOR, else only on a TTY', () => {
    const cases: Array<[boolean, Record<string, string>, boolean]> = [
      [true, {}, true],
      [false, {}, false],
      [true, { NO_COLOR: '1' }, false],
      [false, { FORCE_COLOR: '1' }, true],
      [true, { FORCE_COLOR: '1', NO_COLOR: '1' }, false],
      [true, { TERM: 'dumb' }, false],
      [true, { FORCE_COLOR: '0' }, false],
    ];
    for (const [isTTY, env, expected] of cases) assert.equal(useColor({ isTTY }, env), expected, JSON.stringify({ isTTY, env }));
  });
});

describe('seed-compatible renderers', () => {
  it('stage4: missing checks give nulls, not crashes, and FAIL', () => {
    // The report's header check has its own id: the mapping (owned by the preset, overridable) says which.
    const ids = { ...compatChecksOf('stage4'), rootHeaders: 'headers' };
    const s = stage4Summary(report, ids);
    assert.equal(s.timestamp, '2026-01-01T12:00:00Z');
    assert.equal(s.health_url, 'http://svc.test/health');
    assert.deepEqual(s.checks.health, { ok: true, status_code: 200, latency_ms: 3.46, payload: { status: 'ok' } });
    assert.deepEqual(s.checks.canary, { oks: 0, count: 0, p95_ms: null, samples: [] });
    assert.deepEqual(s.checks.root_headers, { ok: false, status_code: 200, csp_present: false, csp: null });
    assert.deepEqual(s.checks.provider_config, {});
    assert.equal(s.status, 'FAIL');
    const text = stage4Text(report, ids, s);
    assert.match(text, /✅ Health Check: PASS \(3\.46ms\)/);
    assert.match(text, /❌ Root Headers: FAIL \(no CSP on \/\)/);
    assert.match(text, /❌ Provider Config: FAIL \(not run\)/);
  });

  it('stage3: smoke entries from the smoke stage, ids in snake case, warn-level failures do not fail smoke', () => {
    const smoke = stage3Smoke(report, compatChecksOf('stage3'));
    assert.deepEqual(
      smoke.checks.map((c) => [c.check, c.status, c.status_code]),
      [
        ['health', 'PASS', 200],
        ['webhook', 'FAIL', 200],
        ['samples', 'FAIL', null],
      ],
    );
    assert.equal(smoke.checks[0]?.body, '{"status":"ok"}');
    assert.equal(smoke.started, '2026-01-01T12:00:00Z');
    const summary = stage3Summary(report, compatChecksOf('stage3'), smoke);
    assert.equal(summary.release_gate_exit_code, null);
    assert.equal(summary.status, 'FAIL');
  });
});

describe('writeReports', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'golive-reporters-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the selected reporters and compat files; failures are collected, never thrown', async () => {
    const ok = await writeReports(report, { dir: join(dir, 'out'), compatDir: dir, reporters: ['json', 'junit'], compat: 'stage3' });
    assert.deepEqual(ok.failures, []);
    assert.deepEqual(
      ok.written.map((p) => p.slice(dir.length + 1)),
      [
        'out/report.json',
        'out/junit.xml',
        'qa/stage3/v0.3.0/smoke_results.json',
        'qa/stage3/v0.3.0/summary.json',
        'qa/stage3/v0.3.0/release_gate_stdout.txt',
        'qa/stage3/v0.3.0/release_gate_stderr.txt',
        'qa/stage3/v0.3.0/tests.txt',
      ],
    );
    assert.equal(JSON.parse(await readFile(join(dir, 'out/report.json'), 'utf8')).runId, 'r1');
    const file = join(dir, 'blocker');
    await writeFile(file, 'x');
    const bad = await writeReports(report, { dir: join(file, 'out'), compatDir: file, reporters: ['json', 'markdown'], compat: 'stage4' });
    assert.deepEqual(bad.written, []);
    assert.equal(bad.failures.length, 4);
    assert.ok(bad.failures.every((f) => f.message === 'ENOTDIR'));
  });
});

describe('workflow annotations', () => {
  it('escape what would end a command or start another, in data and in properties', async () => {
    const { escapeCommandData, escapeCommandProperty, renderAnnotations } = await import('../../src/reporters/annotations.ts');
    assert.equal(escapeCommandData('50% done\r\n::add-mask::x'), '50%25 done%0D%0A::add-mask::x');
    assert.equal(escapeCommandProperty('a:b,c%'), 'a%3Ab%2Cc%25');
    const lines = renderAnnotations(report);
    assert.deepEqual(
      lines.map((l) => l.slice(0, l.indexOf('::', 2))),
      ['::error title=golive webhook (smoke)%3A FAIL', '::error title=golive samples (smoke)%3A ERROR', '::warning title=golive headers (go-live)%3A FAIL'],
    );
    for (const l of lines) assert.doesNotMatch(l, /[\r\n]/);
  });
});
