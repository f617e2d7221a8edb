import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { percentileKey } from '../../src/checks/canary.ts';
import { msToUs, percentile, usToMs } from '../../src/core/percentiles.ts';

/** The seed's formula, ported as is: `sorted(latencies)[int(len(latencies)*0.95)-1]`. */
function seedP95(latenciesMs: number[]): number | undefined {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const i = Math.trunc(sorted.length * 0.95) - 1;
  return i < 0 ? undefined : sorted.at(i);
}

function ourP95(latenciesMs: number[]): { ms: number | undefined; supported: boolean } {
  const r = percentile(latenciesMs.map(msToUs), 95);
  return { ms: r.valueUs === undefined ? undefined : usToMs(r.valueUs), supported: r.supported };
}

describe('canary p95: the seed formula beside nearest rank', () => {
  const slo = 100;
  const cases: Array<{ name: string; samples: number[]; seed: number | undefined; ours: number; seedPasses: boolean; oursPasses: boolean; supported: boolean }> = [
    { name: 'one 900 ms ping in five', samples: [20, 21, 900, 22, 23], seed: 23, ours: 900, seedPasses: true, oursPasses: false, supported: false },
    { name: 'five fast pings', samples: [20, 21, 22, 23, 24], seed: 23, ours: 24, seedPasses: true, oursPasses: true, supported: false },
    { name: 'a single sample', samples: [50], seed: undefined, ours: 50, seedPasses: false, oursPasses: true, supported: false },
    { name: 'twenty pings, one slow', samples: [...Array.from({ length: 19 }, (_, i) => 10 + i), 900], seed: 28, ours: 28, seedPasses: true, oursPasses: true, supported: true },
    { name: 'twenty pings, two slow', samples: [...Array.from({ length: 18 }, (_, i) => 10 + i), 900, 950], seed: 900, ours: 900, seedPasses: false, oursPasses: false, supported: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const seed = seedP95(c.samples);
      const ours = ourP95(c.samples);
      assert.equal(seed, c.seed);
      assert.equal(ours.ms, c.ours);
      assert.equal(seed !== undefined && seed < slo, c.seedPasses);
      assert.equal(ours.ms !== undefined && ours.ms < slo, c.oursPasses);
      assert.equal(ours.supported, c.supported);
    });
  }

  it('names percentile metrics', () => {
    assert.equal(percentileKey(95), 'p95Ms');
    assert.equal(percentileKey(99.9), 'p99_9Ms');
  });
});
