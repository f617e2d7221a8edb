/**
 * The figures a load result is drawn from, small whatever the run's length: the latency distribution read
 * from the HDR histogram at percentiles spaced evenly on a 1/(1 − q) log scale (the classic HdrHistogram
 * plot: 0 %, 50 %, 90 %, 99 %, 99.9 %, … as far as the count reaches), and the timeline downsampled to at most
 * `maxBuckets` buckets (counts added, percentiles recomputed from the merged per-second bins, never averaged).
 * Raw samples never feed a plot.
 */
import { decodeHistogram } from './histogram.ts';
import { mergeRows, rowPercentiles } from './latency-bins.ts';
import type { LoadResult } from './result.ts';

/** What the load check keeps for its plots (in its report data). */
export interface LoadPlotData {
  /** `[percentile (0..100), latency ms]` from the HDR histogram. */
  percentiles: Array<[number, number]>;
  timeline: {
    /** Width of one bucket in ms (a multiple of the result's 1 s when downsampled). */
    bucketMs: number;
    /** Start of each bucket, in seconds from the start of the timed phase. */
    startSec: number[];
    /** Responses per second in each bucket. */
    responsesPerSec: number[];
    /** Network failures and 5xx answers per second. */
    errorsPerSec: number[];
    /** Latency percentiles of each bucket's responses, ms (null: no response); absent without per-second bins. */
    p50Ms?: Array<number | null>;
    p95Ms?: Array<number | null>;
    p99Ms?: Array<number | null>;
  };
  /** Stalls: when (s from the start) and how long (ms). */
  stalls: Array<[number, number]>;
}

/** Default most buckets in a drawn timeline. */
export const MAX_PLOT_BUCKETS = 300;

/** Percentiles of the distribution plot: 1 − 10^(−k/8) for k = 0, 1, … up to 99.999 %. */
function ladder(count: number): number[] {
  const qs = [0];
  for (let k = 1; k <= 40; k++) {
    const q = 1 - 10 ** (-k / 8);
    // Past the count, higher percentiles all read the maximum: stop there (and add the maximum once).
    if (1 - q < 1 / count) break;
    qs.push(q);
  }
  return qs;
}

/** The plot figures of a load result. */
export function loadPlotData(r: LoadResult, maxBuckets = MAX_PLOT_BUCKETS): LoadPlotData {
  const percentiles: Array<[number, number]> = [];
  if (r.latency.n > 0 && r.histograms.latency) {
    const h = decodeHistogram(r.histograms.latency);
    for (const q of ladder(h.totalCount)) percentiles.push([q * 100, h.getValueAtPercentile(q * 100) / 1000]);
    percentiles.push([100, h.maxValue / 1000]);
  }
  const tl = r.timeline;
  const n = Math.max(tl.responses.length, tl.failed.length, tl.status5xx.length);
  const group = Math.max(1, Math.ceil(n / maxBuckets));
  const bucketSec = tl.bucketMs / 1000;
  const startSec: number[] = [];
  const responsesPerSec: number[] = [];
  const errorsPerSec: number[] = [];
  const p50: Array<number | null> = [];
  const p95: Array<number | null> = [];
  const p99: Array<number | null> = [];
  const bins = tl.latencyBins;
  for (let i = 0; i < n; i += group) {
    const end = Math.min(n, i + group);
    let resp = 0;
    let errs = 0;
    for (let j = i; j < end; j++) {
      resp += tl.responses[j] ?? 0;
      errs += (tl.failed[j] ?? 0) + (tl.status5xx[j] ?? 0);
    }
    // The last bucket may be partial (the run's end): its rate is over the time it covers.
    const span = Math.max(bucketSec, Math.min(end * bucketSec, r.durationMs / 1000) - i * bucketSec);
    startSec.push(i * bucketSec);
    responsesPerSec.push(resp / span);
    errorsPerSec.push(errs / span);
    if (bins) {
      const [a, b, c] = rowPercentiles(mergeRows(bins.slice(i, end)), [0.5, 0.95, 0.99]);
      p50.push(a ?? null);
      p95.push(b ?? null);
      p99.push(c ?? null);
    }
  }
  return {
    percentiles,
    timeline: {
      bucketMs: tl.bucketMs * group,
      startSec,
      responsesPerSec,
      errorsPerSec,
      ...(bins ? { p50Ms: p50, p95Ms: p95, p99Ms: p99 } : {}),
    },
    stalls: r.stalls.map((s) => [s.atMs / 1000, s.durationMs]),
  };
}
