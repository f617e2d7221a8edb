/**
 * Latency recording for the load engine: integer microseconds into an HDR histogram (3 significant digits,
 * so any recorded value is known to within 0.1 %), plus the exact samples while a run is small. Percentiles
 * are nearest rank in both cases: exact samples go through core/percentiles.ts; the histogram's own
 * `getValueAtPercentile` is also nearest rank (count at percentile = ceil(p/100 · n)) and returns the highest
 * value equivalent to the bucket, so a histogram percentile is never lower than the true one and at most
 * 0.1 % above it.
 */
import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';
import type { JsHistogram } from 'hdr-histogram-js/dist/JsHistogram.js';
import { minSamplesFor, percentileSorted, usToMs } from '../core/percentiles.ts';

// Only the plain JavaScript histogram class is loaded: the package's index also loads a WebAssembly build
// and pako, which cost ~15 MB of resident memory for nothing here (node:zlib does the compression).
const require = createRequire(import.meta.url);
const { default: Int32Histogram } = require('hdr-histogram-js/dist/Int32Histogram.js') as {
  default: new (lowestDiscernibleValue: number, highestTrackableValue: number, significantDigits: number) => JsHistogram;
};

/** Significant decimal digits kept by every histogram of the engine (value precision 10^-3 relative). */
export const HISTOGRAM_SIGNIFICANT_DIGITS = 3;

/** Runs of at most this many requests keep every latency sample, so their percentiles are exact. */
export const DEFAULT_EXACT_SAMPLE_LIMIT = 10_000;

/** The percentiles every summary reports. */
export const SUMMARY_PERCENTILES = [50, 75, 90, 95, 99, 99.9] as const;

/** A latency histogram (values in integer microseconds). */
export type LatencyHistogram = JsHistogram;

/** Creates an empty auto-resizing histogram for microsecond values (32-bit counts). */
export function createHistogram(): LatencyHistogram {
  const h = new Int32Histogram(1, 2, HISTOGRAM_SIGNIFICANT_DIGITS);
  h.autoResize = true;
  return h;
}

/** Values (integer µs) below this are counted in a plain array before they reach the HDR histogram. */
const BUFFERED_BELOW_US = 65_536;

/**
 * Records latencies into an HDR histogram through a plain array of counts for values under 65.536 ms: the
 * hot path is one array increment instead of HdrHistogram's bucket arithmetic, and the counts are folded
 * into the histogram (`recordValueWithCount`: recording a value n times and recording it once with count n
 * give the same histogram) whenever it is read. `histogram()` flushes and returns it.
 */
export class BufferedRecorder {
  readonly #histogram: LatencyHistogram;
  readonly #counts = new Uint32Array(BUFFERED_BELOW_US);
  #low = BUFFERED_BELOW_US;
  #high = -1;
  #pending = 0;
  constructor(histogram: LatencyHistogram = createHistogram()) {
    this.#histogram = histogram;
  }
  /** Records one value (integer µs, ≥ 1). */
  record(us: number): void {
    if (us >= BUFFERED_BELOW_US) {
      this.#histogram.recordValue(us);
      return;
    }
    this.#counts[us] = (this.#counts[us] as number) + 1;
    if (us < this.#low) this.#low = us;
    if (us > this.#high) this.#high = us;
    // A count stays far below 2^32 between two flushes.
    if (++this.#pending === 0x40000000) this.#flush();
  }
  /** Number of values recorded so far. */
  get count(): number {
    return this.#histogram.totalCount + this.#pending;
  }
  /** The histogram with every value recorded so far. */
  histogram(): LatencyHistogram {
    if (this.#pending > 0) this.#flush();
    return this.#histogram;
  }
  #flush(): void {
    const counts = this.#counts;
    for (let v = this.#low; v <= this.#high; v++) {
      const n = counts[v] as number;
      if (n > 0) {
        this.#histogram.recordValueWithCount(v, n);
        counts[v] = 0;
      }
    }
    this.#low = BUFFERED_BELOW_US;
    this.#high = -1;
    this.#pending = 0;
  }
}

// HdrHistogram V2 encoding (the layout hdr-histogram-js and the Java/Go/Rust ports read and write):
// header (cookie, payload length, normalizing offset, digits, lowest, highest, ratio) then the counts as
// ZigZag LEB128 varints, runs of zeros as negative numbers; the compressed form wraps it in zlib.
const V2_COOKIE = 0x1c849303 | 0x10;
const V2_COMPRESSED_COOKIE = 0x1c849304 | 0x10;
const HEADER_BYTES = 40;

function pushVarint(out: number[], value: number): void {
  // ZigZag without 32-bit operators: counts may exceed 2^31.
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  for (let i = 0; i < 8 && v >= 0x80; i++) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function readVarint(buf: Uint8Array, pos: { at: number }): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 9; i++) {
    const b = buf[pos.at++];
    if (b === undefined) throw new RangeError('histogram payload ends inside a number');
    // The 9th byte of LEB128-64b9B carries 8 bits and no continuation flag.
    if (i === 8) {
      v += b * mul;
      break;
    }
    v += (b & 0x7f) * mul;
    mul *= 0x80;
    if ((b & 0x80) === 0) break;
  }
  return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
}

/** Encodes a histogram as HdrHistogram V2 compressed base64 (the form hdr-histogram-js reads). */
export function encodeHistogram(h: LatencyHistogram): string {
  const payload: number[] = [];
  const limit = h.totalCount === 0 ? 0 : h.countsArrayIndex(h.maxValue) + 1;
  let i = 0;
  while (i < limit) {
    const count = h.getCountAtIndex(i++);
    if (count === 0) {
      let zeros = 1;
      while (i < limit && h.getCountAtIndex(i) === 0) {
        zeros++;
        i++;
      }
      pushVarint(payload, zeros > 1 ? -zeros : 0);
    } else pushVarint(payload, count);
  }
  const raw = Buffer.alloc(HEADER_BYTES + payload.length);
  raw.writeInt32BE(V2_COOKIE, 0);
  raw.writeInt32BE(payload.length, 4);
  raw.writeInt32BE(1, 8);
  raw.writeInt32BE(h.numberOfSignificantValueDigits, 12);
  raw.writeBigInt64BE(BigInt(h.lowestDiscernibleValue), 16);
  raw.writeBigInt64BE(BigInt(h.highestTrackableValue), 24);
  raw.writeBigInt64BE(1n, 32);
  Buffer.from(payload).copy(raw, HEADER_BYTES);
  const compressed = deflateSync(raw);
  const out = Buffer.alloc(8 + compressed.length);
  out.writeInt32BE(V2_COMPRESSED_COOKIE, 0);
  out.writeInt32BE(compressed.length, 4);
  compressed.copy(out, 8);
  return out.toString('base64');
}

/** Decodes an HdrHistogram V2 compressed base64 histogram into an auto-resizing one. Throws RangeError on bad input. */
export function decodeHistogram(encoded: string): LatencyHistogram {
  const buf = Buffer.from(encoded, 'base64');
  if (buf.length < 8 || (buf.readInt32BE(0) & ~0xf0) !== (V2_COMPRESSED_COOKIE & ~0xf0)) throw new RangeError('not an HdrHistogram V2 compressed histogram');
  const len = buf.readInt32BE(4);
  let raw: Buffer;
  try {
    raw = inflateSync(buf.subarray(8, 8 + len));
  } catch {
    throw new RangeError('histogram data is not valid zlib');
  }
  if (raw.length < HEADER_BYTES || (raw.readInt32BE(0) & ~0xf0) !== (V2_COOKIE & ~0xf0)) throw new RangeError('not an HdrHistogram V2 histogram');
  const payloadLength = raw.readInt32BE(4);
  const digits = raw.readInt32BE(12);
  const lowest = Number(raw.readBigInt64BE(16));
  const highest = Number(raw.readBigInt64BE(24));
  if (digits < 0 || digits > 5 || lowest < 1 || highest < 2 * lowest) throw new RangeError('histogram header out of range');
  const h = new Int32Histogram(lowest, highest, digits);
  h.autoResize = true;
  const pos = { at: HEADER_BYTES };
  const end = Math.min(raw.length, HEADER_BYTES + payloadLength);
  let index = 0;
  while (pos.at < end) {
    const v = readVarint(raw, pos);
    if (v < 0) index += -v;
    else {
      if (v > 0) h.setCountAtIndex(index, v);
      index++;
    }
  }
  h.establishInternalTackingValues(index);
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
