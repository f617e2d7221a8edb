/**
 * Nearest-rank percentiles over integer microseconds.
 *
 * The seeds computed `sorted[int(n*0.95)-1]`, which is p80 for n=5 and undefined for n=1. Nearest rank is
 * `sorted[ceil(p/100 * n) - 1]`: always a real sample, never interpolated. When n is too small for the
 * rank to differ from the maximum, the result says so (`supported: false`) and the value is the maximum.
 */

/** A percentile of a sample set. */
export interface PercentileResult {
  /** The percentile asked for, 0 < p <= 100. */
  p: number;
  /** Number of samples. */
  n: number;
  /** The nearest-rank value in microseconds; undefined when there are no samples. */
  valueUs: number | undefined;
  /** 1-based rank used. */
  rank: number;
  /**
   * False when the sample count cannot support the percentile: the rank is the maximum although p < 100
   * (e.g. p95 of 5 samples). The value is then the maximum and must be reported as such.
   */
  supported: boolean;
}

/** Converts milliseconds (possibly fractional) to integer microseconds. */
export function msToUs(ms: number): number {
  return Math.round(ms * 1000);
}

/** Converts integer microseconds to milliseconds rounded to 3 decimals (1 µs resolution). */
export function usToMs(us: number): number {
  return Math.round(us) / 1000;
}

/** The smallest sample count for which percentile p is not simply the maximum. */
export function minSamplesFor(p: number): number {
  if (p >= 100) return 1;
  // rank = ceil(p/100*n) < n  <=>  n > 100/(100-p) (up to rounding); search to avoid float traps.
  let n = 1;
  while (Math.ceil((p / 100) * n - 1e-9) >= n) n++;
  return n;
}

/** Nearest-rank percentile of samples that are already sorted ascending (integer microseconds). */
export function percentileSorted(sortedUs: readonly number[], p: number): PercentileResult {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const n = sortedUs.length;
  if (n === 0) return { p, n, valueUs: undefined, rank: 0, supported: false };
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n - 1e-9)));
  return { p, n, valueUs: sortedUs[rank - 1], rank, supported: p === 100 || rank < n };
}

/** Nearest-rank percentile of unsorted samples (integer microseconds). Does not mutate the input. */
export function percentile(samplesUs: readonly number[], p: number): PercentileResult {
  const sorted = Float64Array.from(samplesUs).sort();
  return percentileSorted(Array.from(sorted), p);
}

/** Parses `p95`, `p99.9`, `95` into 95, 99.9; throws RangeError on anything else. */
export function parsePercentile(name: string | number): number {
  const v = typeof name === 'number' ? name : Number(String(name).replace(/^p/i, ''));
  if (!Number.isFinite(v) || v <= 0 || v > 100) throw new RangeError(`not a percentile: ${String(name)}`);
  return v;
}
