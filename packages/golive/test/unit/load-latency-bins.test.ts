import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { percentileOf } from '../../src/load/histogram.ts';
import { addSparse, BIN_COUNT, binOf, binRange, mergeRows, rowPercentiles, SecondBins } from '../../src/load/latency-bins.ts';
import { loadPlotData } from '../../src/load/plot-data.ts';
import { mergeResults } from '../../src/load/result.ts';
import { createRandom } from '../../src/load/prng.ts';
import { createHistogram, encodeHistogram } from '../../src/load/histogram.ts';
import { fakeResult } from './load-fixtures.ts';

describe('per-second latency bins', () => {
  test('every value falls inside its bin, bins are contiguous and at most 1/8 wide', () => {
    let prevHi = 0;
    for (let b = 1; b < BIN_COUNT; b++) {
      const [lo, hi] = binRange(b);
      assert.equal(lo, prevHi + 1, `bin ${b} starts where bin ${b - 1} ended`);
      assert.ok(hi - lo + 1 <= Math.max(1, lo / 8), `bin ${b} [${lo}, ${hi}] is at most 1/8 of its lower bound wide`);
      prevHi = hi;
      if (hi >= 0x7fffffff) break;
    }
    const rnd = createRandom('bins');
    for (let i = 0; i < 20_000; i++) {
      const us = 1 + Math.floor(rnd() * 2 ** Math.floor(rnd() * 31));
      const [lo, hi] = binRange(binOf(us));
      assert.ok(lo <= us && us <= hi, `${us} in [${lo}, ${hi}]`);
    }
    assert.equal(binOf(0), 1, 'below 1 µs counts as 1 µs');
    assert.ok(binOf(2 ** 40) < BIN_COUNT, 'beyond 2^31 µs counts in the last bin');
  });

  test('percentiles agree with the HDR histogram (the oracle) within one bin: never below, at most 1/8 above', () => {
    const rnd = createRandom('oracle');
    for (const shape of ['uniform', 'lognormal', 'bimodal']) {
      const values: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const u = rnd();
        const v = shape === 'uniform' ? 100 + u * 50_000 : shape === 'lognormal' ? Math.exp(7 + 1.5 * Math.sqrt(-2 * Math.log(u || 1e-9)) * Math.cos(2 * Math.PI * rnd())) : u < 0.9 ? 800 + rnd() * 200 : 250_000 + rnd() * 1000;
        values.push(Math.max(1, Math.round(v)));
      }
      const h = createHistogram();
      const bins = new SecondBins();
      for (const v of values) {
        h.recordValue(v);
        bins.record(0, v);
      }
      const sorted = [...values].sort((a, b) => a - b);
      const qs = [0.5, 0.9, 0.95, 0.99, 0.999];
      const got = rowPercentiles(bins.toSparse()[0] as number[], qs);
      qs.forEach((q, i) => {
        const oracle = percentileOf(h, q * 100, sorted).ms as number;
        const mine = got[i] as number;
        assert.ok(mine >= oracle * 0.999, `${shape} p${q * 100}: ${mine} ms is not below ${oracle} ms`);
        assert.ok(mine <= oracle * 1.126, `${shape} p${q * 100}: ${mine} ms within 1/8 of ${oracle} ms`);
      });
    }
  });

  test('sparse rows add exactly (shifted), so merged results keep per-second percentiles', () => {
    const a = new SecondBins();
    const b = new SecondBins();
    a.record(0, 1000);
    a.record(1, 2000);
    b.record(0, 1000);
    b.record(0, 50_000);
    const merged = addSparse(a.toSparse(), b.toSparse(), 1);
    assert.deepEqual(merged[0], a.toSparse()[0]);
    assert.deepEqual(mergeRows([merged[1] as number[]]), mergeRows([a.toSparse()[1] as number[], b.toSparse()[0] as number[]]));
    const total = (merged[1] as number[]).filter((_, i) => i % 2 === 1).reduce((x, y) => x + y, 0);
    assert.equal(total, 3);
    assert.deepEqual(rowPercentiles([], [0.5]), [null]);
  });

  test('a second without answers is an empty row, not a missing one', () => {
    const bins = new SecondBins();
    bins.record(2, 500);
    const rows = bins.toSparse();
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0], []);
    assert.deepEqual(rows[1], []);
  });
});

describe('load plot data', () => {
  function timedResult(seconds: number, perSecond: number, latencyAt: (s: number) => number) {
    const bins = new SecondBins();
    const h = createHistogram();
    const responses: number[] = [];
    for (let s = 0; s < seconds; s++) {
      responses.push(perSecond);
      for (let i = 0; i < perSecond; i++) {
        const us = latencyAt(s) + i;
        bins.record(s, us);
        h.recordValue(us);
      }
    }
    return fakeResult([], {
      durationMs: seconds * 1000,
      timeline: { bucketMs: 1000, responses, failed: responses.map(() => 0), status5xx: responses.map((_, i) => (i === 3 ? 7 : 0)), latencyBins: bins.toSparse() },
      histograms: { latency: encodeHistogram(h), uncorrected: null, scheduleLag: null },
      latency: { ...fakeResult([1]).latency, n: seconds * perSecond },
      stalls: [{ atMs: 2500, durationMs: 400 }],
    });
  }

  test('a long run is downsampled to at most maxBuckets with rates and percentiles recomputed from the bins', () => {
    const r = timedResult(1000, 10, (s) => (s >= 500 ? 100_000 : 1000));
    const p = loadPlotData(r, 300);
    assert.ok(p.timeline.startSec.length <= 300, `${p.timeline.startSec.length} buckets`);
    assert.equal(p.timeline.bucketMs, 4000);
    assert.ok(p.timeline.responsesPerSec.every((v) => Math.abs(v - 10) < 1e-9), 'a steady 10 req/s stays 10 req/s');
    const p95 = p.timeline.p95Ms as number[];
    assert.ok(p95[0]! < 2 && p95[p95.length - 1]! > 90, 'the latency step at 500 s is visible');
    assert.deepEqual(p.stalls, [[2.5, 400]]);
  });

  test('the distribution reads the HDR histogram at a percentile ladder ending at the maximum', () => {
    const r = timedResult(10, 100, () => 2000);
    const p = loadPlotData(r);
    assert.equal(p.percentiles[0]![0], 0);
    assert.equal(p.percentiles[p.percentiles.length - 1]![0], 100);
    // 1 000 values: the ladder stops at 99.9 % (beyond it every percentile is the maximum).
    assert.ok(p.percentiles.every(([q]) => q <= 99.9 || q === 100), JSON.stringify(p.percentiles.map(([q]) => q)));
    for (let i = 1; i < p.percentiles.length; i++) assert.ok(p.percentiles[i]![1] >= p.percentiles[i - 1]![1], 'monotonic');
    assert.equal(p.timeline.errorsPerSec[3], 7);
  });

  test('merged results keep per-second bins; a result without bins merges to a timeline without them', () => {
    const a = timedResult(3, 5, () => 1000);
    const b = timedResult(3, 5, () => 3000);
    const merged = mergeResults([a, b]);
    assert.equal(merged.timeline.latencyBins?.length, 3);
    const { latencyBins: _drop, ...old } = b.timeline;
    const mixed = mergeResults([a, { ...b, timeline: old }]);
    assert.equal(mixed.timeline.latencyBins, undefined);
    assert.equal(loadPlotData(mixed).timeline.p95Ms, undefined);
  });
});
