/**
 * Latency recording for the load engine: integer microseconds into an HDR histogram (3 significant digits,
 * so any recorded value is known to within 0.1 %), plus the exact samples while a run is small. Percentiles
 * are nearest rank in both cases: exact samples go through core/percentiles.ts; the histogram's own
 * `getValueAtPercentile` is also nearest rank (count at percentile = ceil(p/100 · n)) and returns the highest
 * value equivalent to the bucket, so a histogram percentile is never lower than the true one and at most
 * 0.1 % above it.
 */
import * as hdr from 'hdr-histogram-js';
import { minSamplesFor, percentileSorted, usToMs } from '../core/percentiles.ts';

/** Significant decimal digits kept by every histogram of the engine (value precision 10^-3 relative). */
export const HISTOGRAM_SIGNIFICANT_DIGITS = 3;

/** Runs of at most this many requests keep every latency sample, so their percentiles are exact. */
export const DEFAULT_EXACT_SAMPLE_LIMIT = 10_000;

/** The percentiles every summary reports. */
export const SUMMARY_PERCENTILES = [50, 75, 90, 95, 99, 99.9] as const;

/** A latency histogram (values in integer microseconds). */
export type LatencyHistogram = hdr.Histogram;

/** Creates an empty auto-resizing histogram for microsecond values. */
export function createHistogram(): LatencyHistogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: HISTOGRAM_SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
}

/** Encodes a histogram as the compressed base64 form of the HdrHistogram V2 format (portable across tools). */
export function encodeHistogram(h: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Decodes a histogram written by `encodeHistogram` (or any HdrHistogram V2 compressed base64 encoder). */
export function decodeHistogram(encoded: string): LatencyHistogram {
  const decoded = hdr.decodeFromCompressedBase64(encoded, 32, false);
  // Decoded histograms may have a fixed range; copy into an auto-resizing one so further adds never throw.
  const h = createHistogram();
  h.add(decoded);
  decoded.destroy();
  return h;
}

/** Keeps every sample up to a limit, then gives up (the histogram alone is used past it). */
export class ExactSamples {
  readonly limit: number;
  #values: number[] | null = [];
  constructor(limit: number = DEFAULT_EXACT_SAMPLE_LIMIT) {
    this.limit = limit;
    if (limit <= 0) this.#values = null;
  }
  /** Records one value (integer µs). */
  push(us: number): void {
    const v = this.#values;
    if (v === null) return;
    if (v.length >= this.limit) {
      this.#values = null;
      return;
    }
    v.push(us);
  }
  /** The samples, or null once more than `limit` were seen. */
  get values(): readonly number[] | null {
    return this.#values;
  }
}

/** Percentile of a summary, in milliseconds. */
export interface PercentileValue {
  /** The percentile (e.g. 95). */
  p: number;
  /** Nearest-rank value in ms (µs resolution); null when there are no samples. */
  ms: number | null;
  /** False when the sample count cannot support p (the value is then the maximum). */
  supported: boolean;
}

/** Distribution summary of one latency series. All times in milliseconds with microsecond resolution. */
export interface LatencySummary {
  /** Number of values. */
  n: number;
  /** `exact`: from every sample; `histogram`: from the HDR histogram (within 0.1 %, never below the truth). */
  source: 'exact' | 'histogram';
  minMs: number | null;
  meanMs: number | null;
  maxMs: number | null;
  stdDevMs: number | null;
  p50Ms: number | null;
  p75Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  /** Percentiles the sample count cannot support (e.g. `["p99", "p99.9"]` for 50 samples). */
  unsupported: string[];
}

/** Label of a percentile: 99.9 → `p99.9`. */
export function percentileLabel(p: number): string {
  return `p${p}`;
}

/**
 * Nearest-rank percentile from exact samples when available, else from the histogram.
 * `sortedExact` must be sorted ascending when given.
 */
export function percentileOf(h: LatencyHistogram, p: number, sortedExact?: readonly number[] | null): PercentileValue {
  if (sortedExact) {
    const r = percentileSorted(sortedExact, p);
    return { p, ms: r.valueUs === undefined ? null : usToMs(r.valueUs), supported: r.supported };
  }
  const n = h.totalCount;
  if (n === 0) return { p, ms: null, supported: false };
  return { p, ms: usToMs(h.getValueAtPercentile(p)), supported: p >= 100 || n >= minSamplesFor(p) };
}

/** Summarises a series from its histogram and, when kept, its exact samples (which then take precedence). */
export function summarize(h: LatencyHistogram, exact?: readonly number[] | null): LatencySummary {
  const sorted = exact && exact.length === h.totalCount ? Array.from(Float64Array.from(exact).sort()) : null;
  const n = h.totalCount;
  const pick = (p: number) => percentileOf(h, p, sorted);
  const ps = SUMMARY_PERCENTILES.map(pick);
  const unsupported = ps.filter((x) => x.ms !== null && !x.supported).map((x) => percentileLabel(x.p));
  const at = (i: number) => ps[i]?.ms ?? null;
  let minMs: number | null = null;
  let maxMs: number | null = null;
  let meanMs: number | null = null;
  let stdDevMs: number | null = null;
  if (n > 0) {
    if (sorted) {
      minMs = usToMs(sorted[0] ?? 0);
      maxMs = usToMs(sorted[sorted.length - 1] ?? 0);
      let sum = 0;
      for (const v of sorted) sum += v;
      const mean = sum / n;
      let sq = 0;
      for (const v of sorted) sq += (v - mean) ** 2;
      meanMs = Math.round(mean) / 1000;
      stdDevMs = Math.round(Math.sqrt(sq / n)) / 1000;
    } else {
      minMs = usToMs(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue);
      maxMs = usToMs(h.maxValue);
      meanMs = Math.round(h.mean) / 1000;
      stdDevMs = Math.round(h.stdDeviation) / 1000;
    }
  }
  return {
    n,
    source: sorted ? 'exact' : 'histogram',
    minMs,
    meanMs,
    maxMs,
    stdDevMs,
    p50Ms: at(0),
    p75Ms: at(1),
    p90Ms: at(2),
    p95Ms: at(3),
    p99Ms: at(4),
    p999Ms: at(5),
    unsupported,
  };
}
