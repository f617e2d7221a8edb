import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { minSamplesFor, msToUs, parsePercentile, percentile, usToMs } from '../../src/core/percentiles.ts';

/** The seed's formula, kept only to show where golive deliberately differs. */
function seedP95(latencies: number[]): number | undefined {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.trunc(sorted.length * 0.95) - 1];
}

describe('nearest-rank percentiles', () => {
  const cases: Array<{ name: string; samples: number[]; p: number; value: number | undefined; rank: number; supported: boolean }> = [
    { name: 'empty', samples: [], p: 95, value: undefined, rank: 0, supported: false },
    { name: 'n=1 p95 is the only sample, unsupported', samples: [7], p: 95, value: 7, rank: 1, supported: false },
    { name: 'n=1 p100 is supported', samples: [7], p: 100, value: 7, rank: 1, supported: true },
    { name: 'n=5 one outlier: p95 is the outlier (max), unsupported', samples: [10, 11, 900, 12, 13], p: 95, value: 900, rank: 5, supported: false },
    { name: 'n=5 p50 is the median', samples: [10, 11, 900, 12, 13], p: 50, value: 12, rank: 3, supported: true },
    { name: 'n=20 p95 is rank 19', samples: Array.from({ length: 20 }, (_, i) => i + 1), p: 95, value: 19, rank: 19, supported: true },
    { name: 'n=100 p99 is rank 99', samples: Array.from({ length: 100 }, (_, i) => 100 - i), p: 99, value: 99, rank: 99, supported: true },
    { name: 'n=10 p90 exact boundary (0.9*10=9)', samples: Array.from({ length: 10 }, (_, i) => i + 1), p: 90, value: 9, rank: 9, supported: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = percentile(c.samples, c.p);
      assert.equal(r.valueUs, c.value);
      assert.equal(r.rank, c.rank);
      assert.equal(r.supported, c.supported);
      assert.equal(r.n, c.samples.length);
    });
  }

  it('does not mutate its input', () => {
    const s = [3, 1, 2];
    percentile(s, 50);
    assert.deepEqual(s, [3, 1, 2]);
  });

  it('differs from the seed formula where the seed is wrong', () => {
    const fiveWithOneSlow = [50, 52, 900, 51, 49];
    assert.equal(seedP95(fiveWithOneSlow), 52, 'the seed reports p80 for n=5 and passes a 100 ms SLO');
    assert.equal(percentile(fiveWithOneSlow, 95).valueUs, 900);
    assert.equal(seedP95([42]), undefined, 'the seed has no value for n=1');
    assert.equal(percentile([42], 95).valueUs, 42);
  });

  it('minSamplesFor gives the first n whose rank is below the maximum', () => {
    assert.equal(minSamplesFor(95), 20);
    assert.equal(minSamplesFor(50), 2);
    assert.equal(minSamplesFor(99), 100);
    assert.equal(minSamplesFor(100), 1);
    for (const p of [50, 90, 95, 99]) {
      const n = minSamplesFor(p);
      assert.equal(percentile(Array.from({ length: n }, (_, i) => i), p).supported, true, `p${p} n=${n}`);
      assert.equal(percentile(Array.from({ length: n - 1 }, (_, i) => i), p).supported, false, `p${p} n=${n - 1}`);
    }
  });

  it('converts units at 1 µs resolution and parses names', () => {
    assert.equal(msToUs(12.3456), 12346);
    assert.equal(usToMs(12346), 12.346);
    assert.equal(parsePercentile('p95'), 95);
    assert.equal(parsePercentile('p99.9'), 99.9);
    assert.equal(parsePercentile(50), 50);
    assert.throws(() => parsePercentile('p0'), RangeError);
    assert.throws(() => parsePercentile('fast'), RangeError);
    assert.throws(() => percentile([1], 0), RangeError);
  });
});
