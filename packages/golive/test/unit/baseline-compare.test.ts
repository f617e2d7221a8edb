/**
 * The comparison with a baseline: metric directions, tolerances and floors as the kinds declare them, grades
 * only within one algorithm version, new finding codes; and the results the runner adds from it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { compareMetric, compareReports, renderComparison } from '../../src/baseline/compare.ts';
import { baselineResults } from '../../src/baseline/results.ts';
import { builtinChecks } from '../../src/checks/registry.ts';
import { defineCheck, type MetricSpec, observe } from '../../src/checks/types.ts';
import { resolveConfig } from '../../src/config/resolve.ts';
import type { CheckResult, Report } from '../../src/core/result.ts';
import { type RunGateOptions, runGate } from '../../src/runner/run-gate.ts';

type Metrics = CheckResult['metrics'];

function check(id: string, kind: string, metrics: Metrics, failedCodes: string[] = [], status: 'pass' | 'fail' = 'pass'): CheckResult {
  return {
    id,
    kind,
    title: id,
    level: 'error',
    stage: 'go-live',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    observations: failedCodes.map((code) => ({ name: code.toLowerCase(), expected: 'x', actual: 'y', passed: false, code, message: code })),
    warnings: [],
    metrics,
    artifacts: [],
    summary: '',
    status,
  };
}

function report(runId: string, checks: CheckResult[]): Report {
  return {
    schemaVersion: '1.1.0',
    tool: { name: 'golive', version: '0.1.0' },
    runId,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    target: { baseUrl: 'http://127.0.0.1:1', managed: false },
    source: 'test',
    label: 'test',
    release: runId,
    verdict: 'GO',
    exitCode: 0,
    totals: { checks: checks.length, pass: checks.length, fail: 0, error: 0, skip: 0, warnings: 0 },
    stages: [{ name: 'go-live', status: 'pass', failPolicy: 'continue', durationMs: 1, checks }],
  };
}

const canary = (p95Ms: number, oks = 5) => check('canary', 'canary', { p95Ms, oks, count: 5 });
const headers = (grade: string, score: number, algorithmVersion?: number) =>
  check('security-headers', 'security-headers', { grade, score, ...(algorithmVersion !== undefined ? { algorithmVersion } : {}) });
const load = (m: Metrics) => check('load', 'load', m);

describe('compareReports with the built-in kinds', () => {
  it('flags a planted 50 % p95 regression of a canary', () => {
    const cmp = compareReports(report('v1', [canary(40)]), report('v2', [canary(60)]), builtinChecks);
    assert.equal(cmp.regressions, 1);
    const p95 = cmp.checks[0]?.metrics.find((m) => m.metric === 'p95Ms');
    assert.equal(p95?.outcome, 'regressed');
    assert.equal(p95?.change, 0.5);
    assert.match(renderComparison(cmp), /✗ p95Ms 40 ms → 60 ms \(\+50\.0 %\), regressed \(tolerated: \+20 % and more than 5 ms\)/);
  });

  it('flags a dropped grade (and the lower score) under the same algorithm version', () => {
    const cmp = compareReports(report('v1', [headers('A', 90, 6)]), report('v2', [headers('B', 75, 6)]), builtinChecks);
    const byMetric = Object.fromEntries((cmp.checks[0]?.metrics ?? []).map((m) => [m.metric, m.outcome]));
    assert.deepEqual(byMetric, { grade: 'regressed', score: 'regressed' });
    assert.equal(cmp.regressions, 1);
  });

  it('passes an unchanged rerun', () => {
    const checks = [canary(12.5), headers('A+', 105, 6), load({ p95Ms: 30, requestsPerSec: 900, errorRate: 0, p99Ms: 44 })];
    const cmp = compareReports(report('v1', checks), report('v1', structuredClone(checks)), builtinChecks);
    assert.equal(cmp.regressions, 0);
    assert.ok(cmp.checks.every((c) => c.metrics.every((m) => m.outcome === 'unchanged')));
    const results = baselineResults(cmp, { level: 'error', source: 'base.json', now: 0 });
    assert.deepEqual(
      results.map((r) => [r.id, r.status]),
      [
        ['baseline/canary', 'pass'],
        ['baseline/security-headers', 'pass'],
        ['baseline/load', 'pass'],
      ],
    );
  });

  it('flags a finding code the baseline did not have, not one it had', () => {
    const base = report('v1', [check('security-headers', 'security-headers', {}, ['CSP_UNSAFE_INLINE'], 'fail')]);
    const same = report('v2', [check('security-headers', 'security-headers', {}, ['CSP_UNSAFE_INLINE'], 'fail')]);
    assert.equal(compareReports(base, same, builtinChecks).regressions, 0);
    const more = report('v2', [check('security-headers', 'security-headers', {}, ['CSP_UNSAFE_INLINE', 'HSTS_MISSING'], 'fail')]);
    const cmp = compareReports(base, more, builtinChecks);
    assert.deepEqual(cmp.checks[0]?.newFindings, ['HSTS_MISSING']);
    const [result] = baselineResults(cmp, { level: 'warn', source: 'b', now: 0 });
    assert.equal(result?.status, 'fail');
    assert.equal(result?.level, 'warn');
    assert.ok(result?.observations.some((o) => o.code === 'BASELINE_NEW_FINDING' && o.actual === 'HSTS_MISSING'));
  });

  it('respects each direction, tolerance and absolute floor', () => {
    const cases: Array<[string, Metrics, Metrics, Record<string, string>]> = [
      ['p95 +15 % is within 20 %', { p95Ms: 100 }, { p95Ms: 115 }, { p95Ms: 'within' }],
      ['p95 +25 % but 3 ms is under the 5 ms floor', { p95Ms: 12 }, { p95Ms: 15 }, { p95Ms: 'within' }],
      ['p95 -50 % is an improvement', { p95Ms: 100 }, { p95Ms: 50 }, { p95Ms: 'improved' }],
      ['throughput -30 % regresses (higher is better)', { requestsPerSec: 1000 }, { requestsPerSec: 700 }, { requestsPerSec: 'regressed' }],
      ['throughput +30 % improves', { requestsPerSec: 1000 }, { requestsPerSec: 1300 }, { requestsPerSec: 'improved' }],
      ['throughput -10 % is within 20 %', { requestsPerSec: 1000 }, { requestsPerSec: 900 }, { requestsPerSec: 'within' }],
      ['error rate 0 → 0.05 regresses', { errorRate: 0 }, { errorRate: 0.05 }, { errorRate: 'regressed' }],
      ['error rate 0 → 0.0005 is under the floor', { errorRate: 0 }, { errorRate: 0.0005 }, { errorRate: 'within' }],
      ['a metric absent on one side is not compared', { p95Ms: 10 }, { requestsPerSec: 5 }, {}],
      ['a null metric is not compared', { p95Ms: null }, { p95Ms: 10 }, {}],
    ];
    for (const [name, b, c, expected] of cases) {
      const cmp = compareReports(report('a', [load(b)]), report('b', [load(c)]), builtinChecks);
      assert.deepEqual(Object.fromEntries((cmp.checks[0]?.metrics ?? []).map((m) => [m.metric, m.outcome])), expected, name);
    }
  });

  it('compares grades only within one algorithm version, and says so when they differ', () => {
    const cmp = compareReports(report('v1', [headers('A+', 110, 5)]), report('v2', [headers('C', 55, 6)]), builtinChecks);
    assert.equal(cmp.regressions, 0);
    for (const m of cmp.checks[0]?.metrics ?? []) {
      assert.equal(m.outcome, 'not-comparable', m.metric);
      assert.match(m.reason ?? '', /algorithmVersion differs \(baseline 5, run 6\)/);
    }
    const [result] = baselineResults(cmp, { level: 'error', source: 'b', now: 0 });
    assert.equal(result?.status, 'pass');
    assert.equal(result?.warnings.length, 2);
    assert.ok(result?.observations.every((o) => o.name === 'new-findings' || (o.code === 'BASELINE_NOT_COMPARABLE' && o.severity === 'warn')));
    // One side without the version is another version too; both without it compare.
    assert.equal(compareReports(report('v1', [headers('A', 90)]), report('v2', [headers('B', 75, 6)]), builtinChecks).regressions, 0);
    assert.equal(compareReports(report('v1', [headers('A', 90)]), report('v2', [headers('B', 75)]), builtinChecks).regressions, 1);
  });

  it('lists checks it could not compare and compares none of an earlier comparison', () => {
    const base = report('v1', [canary(10), check('gone', 'health', { latencyMs: 1 })]);
    const cur = report('v2', [canary(10), check('new', 'health', { latencyMs: 1 })]);
    cur.stages.push({ name: 'baseline', status: 'pass', failPolicy: 'continue', durationMs: 0, checks: [check('baseline/canary', 'baseline', {})].map((c) => ({ ...c, stage: 'baseline' })) });
    const cmp = compareReports(base, cur, builtinChecks);
    assert.deepEqual(
      cmp.uncompared.map((u) => `${u.id}: ${u.reason}`),
      ['new: not in the baseline', 'gone: not in the run'],
    );
  });
});

describe('compareMetric from the spec alone', () => {
  const grade: MetricSpec = { direction: 'higher', tolerance: 0, levels: ['F', 'C', 'B', 'A'] };
  it('orders word values by their levels and ignores words outside them', () => {
    assert.equal(compareMetric('g', grade, { g: 'A' }, { g: 'B' })?.outcome, 'regressed');
    assert.equal(compareMetric('g', grade, { g: 'B' }, { g: 'A' })?.outcome, 'improved');
    assert.equal(compareMetric('g', grade, { g: 'A' }, { g: 'Z' }), undefined);
  });
  it('an equal-direction word metric regresses when it changes', () => {
    assert.equal(compareMetric('mode', { direction: 'equal', tolerance: 0 }, { mode: 'live' }, { mode: 'test' })?.outcome, 'regressed');
  });
  it('an equal-direction number regresses past its tolerance either way', () => {
    const spec: MetricSpec = { direction: 'equal', tolerance: 0.2 };
    assert.equal(compareMetric('n', spec, { n: 100 }, { n: 115 })?.outcome, 'within');
    assert.equal(compareMetric('n', spec, { n: 100 }, { n: 70 })?.outcome, 'regressed');
    assert.equal(compareMetric('n', spec, { n: 100 }, { n: 130 })?.outcome, 'regressed');
  });
});

// A kind that exists only here: the comparison reads its specs from its definition, never from a list of kinds.
const widget = defineCheck({
  kind: 't-widget',
  title: 'Widget',
  description: 'Reports a count given by option.',
  options: z.object({ widgets: z.number().default(10), code: z.string().optional() }).strict(),
  metrics: { widgets: { direction: 'higher', tolerance: 0.1 } },
  async run(_ctx, o) {
    return {
      observations: [observe('code', o.code === undefined, 'none', o.code ?? 'none', { severity: 'warn', ...(o.code ? { code: o.code } : {}) })],
      metrics: { widgets: o.widgets },
    };
  },
});

describe('runGate with a baseline', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'golive-baseline-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const run = async (widgets: number, level: 'error' | 'warn' | 'off', baseline?: RunGateOptions['baseline'], code?: string) => {
    const config = resolveConfig({
      file: { target: { baseUrl: 'http://127.0.0.1:9' }, checks: { w: { kind: 't-widget', options: { widgets, ...(code ? { code } : {}) } } }, baseline: { level } },
      kinds: [widget],
    });
    return runGate(config, { env: {}, out: dir, kinds: [widget], release: `r${widgets}`, ...(baseline ? { baseline } : {}) });
  };

  it('adds a baseline stage whose regression gates at level error and is reported at level warn', async () => {
    const base = await run(100, 'error');
    assert.equal(base.release, 'r100');
    assert.equal(base.label, 'inline config');
    assert.ok(!base.stages.some((s) => s.name === 'baseline'), 'no baseline asked for, none compared');

    const worse = await run(50, 'error', { report: base, source: 'base.json' });
    const stage = worse.stages.at(-1);
    assert.equal(stage?.name, 'baseline');
    assert.deepEqual(stage?.checks.map((c) => [c.id, c.status, c.level]), [['baseline/w', 'fail', 'error']]);
    assert.equal(worse.verdict, 'NO-GO');
    assert.equal(worse.exitCode, 1);

    const warned = await run(50, 'warn', { report: base, source: 'base.json' });
    assert.equal(warned.stages.at(-1)?.checks[0]?.status, 'fail');
    assert.equal(warned.verdict, 'GO');

    const same = await run(100, 'error', { report: base, source: 'base.json' });
    assert.equal(same.stages.at(-1)?.checks[0]?.status, 'pass');
    assert.equal(same.verdict, 'GO');

    const newCode = await run(100, 'error', { report: base, source: 'base.json' }, 'WIDGET_LOOSE');
    assert.equal(newCode.verdict, 'NO-GO');
    assert.match(newCode.stages.at(-1)?.checks[0]?.summary ?? '', /WIDGET_LOOSE/);

    const off = await run(50, 'off', { report: base, source: 'base.json' });
    assert.ok(!off.stages.some((s) => s.name === 'baseline'));
  });

  it('a missing baseline is a warning, not a failure', async () => {
    const r = await run(10, 'error', { missing: 'no baseline: history/ has no GO run yet', source: 'history' });
    const [result] = r.stages.at(-1)?.checks ?? [];
    assert.equal(result?.id, 'baseline');
    assert.equal(result?.status, 'pass');
    assert.deepEqual(result?.warnings, ['no baseline: history/ has no GO run yet']);
    assert.equal(r.verdict, 'GO');
    assert.equal(r.totals.warnings, 1);
  });
});

describe('docs/history.md', () => {
  it('states the tolerances the kinds declare', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../../../../docs/history.md', import.meta.url), 'utf8');
    const rows = [...text.matchAll(/^\s*\| `([a-z-]+)`(?:, `([a-z-]+)`)? \| `(\w+)`(?: \/ `(\w+)`)? \| (.+) \|$/gm)];
    assert.ok(rows.length >= 7, `found ${rows.length} rows`);
    for (const [, kindA, kindB, metricA, metricB, said] of rows) {
      for (const kind of [kindA, kindB].filter((k): k is string => k !== undefined)) {
        const def = builtinChecks.find((k) => k.kind === kind);
        assert.ok(def, kind);
        for (const metric of [metricA, metricB].filter((m): m is string => m !== undefined)) {
          const spec = def.metrics?.[metric];
          assert.ok(spec, `${kind}.${metric} is declared`);
          if (spec.tolerance > 0) assert.ok(said?.includes(`${Math.round(spec.tolerance * 100)} %`), `${kind}.${metric}: ${said} states ${spec.tolerance}`);
          if (spec.minDelta) assert.ok(said?.includes(`more than ${spec.minDelta}`), `${kind}.${metric}: ${said} states the floor ${spec.minDelta}`);
          if (spec.comparableWhenEqual?.length) assert.ok(said?.includes('same scoring algorithm'), `${kind}.${metric}`);
        }
      }
    }
  });
});
