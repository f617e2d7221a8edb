import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BufferedRecorder,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  ExactSamples,
  percentileOf,
  summarize,
} from '../../src/load/histogram.ts';
import { createRandom } from '../../src/load/prng.ts';

function histogramOf(values: number[]) {
  const h = createHistogram();
  for (const v of values) h.recordValue(v);
  return h;
}

describe('load percentiles (nearest rank)', () => {
  test('empty: no value, nothing supported', () => {
    const s = summarize(createHistogram(), []);
    assert.equal(s.n, 0);
    assert.equal(s.p50Ms, null);
    assert.equal(s.p99Ms, null);
    assert.equal(s.maxMs, null);
    assert.deepEqual(s.unsupported, []);
  });

  test('n = 1: every percentile is the one sample, and p50+ above it are flagged unsupported', () => {
    const s = summarize(histogramOf([12_345]), [12_345]);
    assert.equal(s.source, 'exact');
    assert.equal(s.p50Ms, 12.345);
    assert.equal(s.p99Ms, 12.345);
    assert.ok(s.unsupported.includes('p95'));
    assert.ok(s.unsupported.includes('p50'));
  });

  test('n = 5 with one outlier: p95 is the outlier (the seed formula would say p80) and is flagged', () => {
    const us = [10_000, 11_000, 12_000, 13_000, 900_000];
    const s = summarize(histogramOf(us), us);
    assert.equal(s.p50Ms, 12);
    assert.equal(s.p75Ms, 13);
    assert.equal(s.p95Ms, 900);
    assert.ok(s.unsupported.includes('p95'));
    assert.ok(!s.unsupported.includes('p50'));
  });

  test('n = 100: rank ceil(p·n), exact and histogram agree within 0.1 %', () => {
    const us = Array.from({ length: 100 }, (_, i) => (i + 1) * 1000 + 7); // 1.007 ms .. 100.007 ms
    const h = histogramOf(us);
    const sorted = [...us].sort((a, b) => a - b);
    for (const p of [50, 90, 95, 99]) {
      const exact = percentileOf(h, p, sorted).ms;
      assert.equal(exact, (Math.ceil(p) * 1000 + 7) / 1000);
      const approx = percentileOf(h, p, null).ms;
      assert.ok(approx !== null && exact !== null);
      // HDR returns the highest value equivalent to the bucket: never below the truth, at most 0.1 % above.
      assert.ok(approx >= exact, `p${p}: ${approx} >= ${exact}`);
      assert.ok(approx <= exact * 1.001 + 0.001, `p${p}: ${approx} within 0.1 % of ${exact}`);
    }
  });

  test('past the exact-sample limit the histogram is the source', () => {
    const e = new ExactSamples(3);
    for (const v of [1, 2, 3]) e.push(v);
    assert.deepEqual(e.values, [1, 2, 3]);
    e.push(4);
    assert.equal(e.values, null);
    const s = summarize(histogramOf([1000, 2000, 3000, 4000]), e.values);
    assert.equal(s.source, 'histogram');
  });
});

describe('merged histograms', () => {
  test('encoded parts added together equal one histogram of every value', () => {
    const random = createRandom(42);
    const all: number[] = [];
    const parts = [createHistogram(), createHistogram(), createHistogram()];
    for (let i = 0; i < 30_000; i++) {
      // A long-tailed latency mix from 50 µs to ~2 s.
      const v = Math.round(50 + random() ** 6 * 2_000_000);
      all.push(v);
      parts[i % 3]?.recordValue(v);
    }
    const single = histogramOf(all);
    const merged = createHistogram();
    for (const p of parts) merged.add(decodeHistogram(encodeHistogram(p)));
    assert.equal(merged.totalCount, single.totalCount);
    // Bucket-exact: every percentile, the maximum bucket (p100) included, is the same value.
    for (const p of [1, 10, 50, 75, 90, 95, 99, 99.9, 99.99, 100]) {
      assert.equal(merged.getValueAtPercentile(p), single.getValueAtPercentile(p), `p${p}`);
    }
    // Every bucket holds the same count.
    const last = single.countsArrayIndex(single.maxValue);
    assert.equal(merged.countsArrayIndex(merged.maxValue), last);
    for (let i = 0; i <= last; i++) assert.equal(merged.getCountAtIndex(i), single.getCountAtIndex(i), `bucket ${i}`);
  });
});

describe('HdrHistogram V2 codec', () => {
  test('reads and writes the same bytes as hdr-histogram-js, both ways', async () => {
    const hdr = await import('hdr-histogram-js');
    const random = createRandom(3);
    const ours = createHistogram();
    const theirs = hdr.build({ bitBucketSize: 32, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
    for (let i = 0; i < 5000; i++) {
      const v = Math.round(1 + random() ** 4 * 5_000_000);
      ours.recordValue(v);
      theirs.recordValue(v);
    }
    ours.recordValueWithCount(42, 3_000_000_000); // a count past 2^31 survives the varint
    theirs.recordValueWithCount(42, 3_000_000_000);
    const fromUs = hdr.decodeFromCompressedBase64(encodeHistogram(ours), 64);
    const fromThem = decodeHistogram(hdr.encodeIntoCompressedBase64(theirs));
    for (const p of [0.1, 50, 90, 99, 99.99, 100]) {
      assert.equal(fromUs.getValueAtPercentile(p), theirs.getValueAtPercentile(p), `theirs p${p}`);
      assert.equal(fromThem.getValueAtPercentile(p), ours.getValueAtPercentile(p), `ours p${p}`);
    }
    assert.equal(fromUs.totalCount, 5000 + 3_000_000_000);
  });

  test('an empty histogram round-trips; garbage is a RangeError', () => {
    const back = decodeHistogram(encodeHistogram(createHistogram()));
    assert.equal(back.totalCount, 0);
    assert.throws(() => decodeHistogram('bm90IGEgaGlzdG9ncmFt'), RangeError);
    assert.throws(() => decodeHistogram(''), RangeError);
  });
});

describe('buffered recording', () => {
  test('equals recording every value into the histogram, across flushes and values past the buffer', () => {
    const rnd = createRandom(7);
    const direct = createHistogram();
    const buffered = new BufferedRecorder();
    let reads = 0;
    for (let i = 0; i < 50_000; i++) {
      // Mostly sub-millisecond, some tens of ms, a few seconds (past the 65.536 ms buffer).
      const r = rnd();
      const v = r < 0.9 ? 1 + Math.floor(rnd() * 900) : r < 0.99 ? 1_000 + Math.floor(rnd() * 60_000) : 65_000 + Math.floor(rnd() * 3_000_000);
      direct.recordValue(v);
      buffered.record(v);
      if (i % 7_919 === 0) {
        // A read in the middle (progress, stall test) flushes; recording goes on after it.
        assert.equal(buffered.histogram().getValueAtPercentile(95), direct.getValueAtPercentile(95));
        reads++;
      }
      assert.equal(buffered.count, i + 1);
    }
    assert.ok(reads > 3);
    const h = buffered.histogram();
    assert.equal(h.totalCount, direct.totalCount);
    assert.equal(encodeHistogram(h), encodeHistogram(direct));
    for (const p of [50, 90, 99, 99.9, 100]) assert.equal(h.getValueAtPercentile(p), direct.getValueAtPercentile(p));
    assert.equal(h.minNonZeroValue, direct.minNonZeroValue);
    assert.equal(h.maxValue, direct.maxValue);
  });

  test('an empty recorder gives an empty histogram; the edge of the buffer goes to the right place', () => {
    const empty = new BufferedRecorder();
    assert.equal(empty.count, 0);
    assert.equal(empty.histogram().totalCount, 0);
    const edge = new BufferedRecorder();
    for (const v of [1, 65_535, 65_536, 65_537]) edge.record(v);
    const h = edge.histogram();
    assert.equal(h.totalCount, 4);
    assert.equal(encodeHistogram(h), encodeHistogram(histogramOf([1, 65_535, 65_536, 65_537])));
  });
});
