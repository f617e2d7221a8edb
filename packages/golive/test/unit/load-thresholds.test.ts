import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CheckError } from '../../src/core/errors.ts';
import { loadCheck } from '../../src/checks/load.ts';
import { evaluateThreshold, parseThreshold } from '../../src/load/thresholds.ts';
import { fakeResult } from './load-fixtures.ts';

describe('threshold parsing', () => {
  const ok: Array<[string, string, string, number]> = [
    ['p95 < 1000', 'percentile', '<', 1000],
    ['p(99) <= 1.5s', 'percentile', '<=', 1500],
    ['p99.9<250ms', 'percentile', '<', 250],
    ['avg < 800us', 'latency', '<', 0.8],
    ['med < 20', 'percentile', '<', 20],
    ['error_rate < 0.01', 'rate', '<', 0.01],
    ['error_rate < 1%', 'rate', '<', 0.01],
    ['rps >= 200', 'rps', '>=', 200],
    ['dropped == 0', 'count', '==', 0],
    ['dedup == exact', 'dedup', '==', Number.NaN],
  ];
  for (const [expr, kind, op, value] of ok) {
    test(`accepts "${expr}"`, () => {
      const t = parseThreshold(expr);
      assert.equal(t.metric.kind, kind);
      assert.equal(t.op, op);
      if (Number.isNaN(value)) assert.ok(Number.isNaN(t.value));
      else assert.ok(Math.abs(t.value - value) < 1e-9, `${t.value} vs ${value}`);
    });
  }
  const bad: Array<[string, RegExp]> = [
    ['p95', /expected "<metric> <op> <value>"/],
    ['p95 < fast', /not a number/],
    ['latency < 10', /unknown metric/],
    ['p101 < 10', /unknown metric/],
    ['error_rate < 2', /between 0 and 1/],
    ['p95 < 10%', /not %/],
    ['dedup < 3', /== exact/],
    ['rps > 10ms', /no time unit/],
  ];
  for (const [expr, re] of bad) {
    test(`rejects "${expr}"`, () => assert.throws(() => parseThreshold(expr), re));
  }

  test('the load check schema rejects a bad threshold and names the field', () => {
    const r = loadCheck.options.safeParse({ total: 10, thresholds: ['p95 < soon'] });
    assert.equal(r.success, false);
    assert.deepEqual(r.error?.issues[0]?.path, ['thresholds', 0]);
    assert.match(r.error?.issues[0]?.message ?? '', /not a number/);
  });

  test('the load check schema validates the read-back JSON path with the one dialect (core/json-path)', () => {
    const verify = (jsonPath: string) => loadCheck.options.safeParse({ total: 10, verify: { type: 'json', path: '/events', jsonPath } });
    for (const good of ['count', '$.count', 'data.total', 'items.length', 'meta["x-count"]']) assert.equal(verify(good).success, true, good);
    const bad = verify('data..total');
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['verify', 'jsonPath']);
    assert.match(bad.error?.issues[0]?.message ?? '', /bad JSON path/);
  });

  test('the load check schema checks the model and the key pool', () => {
    assert.equal(loadCheck.options.safeParse({ model: 'open', total: 10 }).success, false);
    assert.equal(loadCheck.options.safeParse({ concurrency: 2 }).success, false);
    assert.equal(loadCheck.options.safeParse({ total: 1000, keys: { unique: 300 } }).success, false);
    assert.equal(loadCheck.options.safeParse({ total: 1000, keys: { unique: 200 } }).success, true);
    assert.equal(loadCheck.options.safeParse({ total: 10, concurency: 5 }).success, false, 'typo caught by strict()');
  });
});

describe('threshold evaluation', () => {
  const pct = () => null;
  test('p95 over 100 samples: pass and fail', () => {
    const r = fakeResult(Array.from({ length: 100 }, (_, i) => (i + 1) * 1000));
    assert.equal(evaluateThreshold(parseThreshold('p95 < 96'), r, pct).passed, true);
    assert.equal(evaluateThreshold(parseThreshold('p95 < 95'), r, pct).passed, false);
    assert.equal(evaluateThreshold(parseThreshold('p95 <= 95'), r, pct).actual, 95);
  });

  test('a percentile with too few samples is an error, never a pass', () => {
    const r = fakeResult([1000, 1000, 1000, 1000, 1000]);
    assert.throws(
      () => evaluateThreshold(parseThreshold('p95 < 1000'), r, pct),
      (e: unknown) => e instanceof CheckError && e.code === 'GOLIVE_ERR_INSUFFICIENT_SAMPLES',
    );
    // p50 is supported by 5 samples.
    assert.equal(evaluateThreshold(parseThreshold('p50 < 2'), r, pct).passed, true);
  });

  test('error rate and dedup', () => {
    const r = fakeResult(
      Array.from({ length: 100 }, () => 1000),
      {
        errorRate: 0.02,
        keys: { total: 100, unique: 20, expectedRatio: 0.2 },
        replies: { created: 21, replayed: 79, conflict: 0, other: 0 },
      },
    );
    assert.equal(evaluateThreshold(parseThreshold('error_rate < 1%'), r, pct).passed, false);
    assert.equal(evaluateThreshold(parseThreshold('error_rate < 0.05'), r, pct).passed, true);
    const d = evaluateThreshold(parseThreshold('dedup == exact'), r, pct);
    assert.equal(d.passed, false);
    assert.equal(d.actual, 21);
  });
});
