/**
 * Per-second latency distributions for the load timeline: each second of the timed phase counts its latencies
 * in log-linear bins (8 per power of two: a value's bin is its most significant bit and the three bits after
 * it), so a bin's width is at most 1/8 of its lower bound. Recording is a few integer operations, with no
 * allocation but one 256-count array per second; the bins of several workers add up exactly, so merged
 * results keep their per-second percentiles. A percentile read from the bins is the bin's highest value (the
 * HDR histogram's convention: never below the true value, at most 1/8 above it).
 */

/** Sub-bins per power of two, as bits. */
export const SUB_BITS = 3;
const SUB = 1 << SUB_BITS;
/** Bins per second (values up to 2^31 µs). */
export const BIN_COUNT = (32 - SUB_BITS + 1) * SUB;

/** The bin of a latency in integer microseconds (≥ 1; larger than 2^31 − 1 counts in the last bin). */
export function binOf(us: number): number {
  const v = us >= 0x7fffffff ? 0x7fffffff : us < 1 ? 1 : us | 0;
  if (v < SUB) return v;
  const msb = 31 - Math.clz32(v);
  return (msb - SUB_BITS + 1) * SUB + ((v >>> (msb - SUB_BITS)) & (SUB - 1));
}

/** The lowest and highest microsecond value of a bin. */
export function binRange(bin: number): [number, number] {
  if (bin < SUB) return [bin, bin];
  const e = Math.floor(bin / SUB);
  const m = bin % SUB;
  const lo = (SUB + m) * 2 ** (e - 1);
  return [lo, lo + 2 ** (e - 1) - 1];
}

/** Per-second bins as the recorder keeps them (one array of counts per second, allocated on first use). */
export class SecondBins {
  readonly seconds: Array<Uint32Array | undefined> = [];

  record(second: number, us: number): void {
    let bins = this.seconds[second];
    if (bins === undefined) {
      bins = new Uint32Array(BIN_COUNT);
      while (this.seconds.length < second) this.seconds.push(undefined);
      this.seconds[second] = bins;
    }
    const b = binOf(us);
    bins[b] = (bins[b] as number) + 1;
  }

  /** Sparse form for results: per second `[bin, count, bin, count, …]` (empty for a second without answers). */
  toSparse(): number[][] {
    const out: number[][] = [];
    for (let s = 0; s < this.seconds.length; s++) {
      const bins = this.seconds[s];
      const row: number[] = [];
      if (bins) for (let b = 0; b < bins.length; b++) if (bins[b]) row.push(b, bins[b] as number);
      out.push(row);
    }
    return out;
  }
}

/** Adds sparse rows `b` into `a` (shifted by `shift` seconds), returning a new array. */
export function addSparse(a: readonly number[][], b: readonly number[][], shift: number): number[][] {
  const out = a.map((row) => row.slice());
  b.forEach((row, i) => {
    const j = i + shift;
    if (j < 0) return;
    while (out.length <= j) out.push([]);
    out[j] = mergeRows([out[j] as number[], row]);
  });
  return out;
}

/** Merges sparse rows into one (counts of equal bins added). */
export function mergeRows(rows: readonly (readonly number[])[]): number[] {
  const counts = new Map<number, number>();
  for (const row of rows) for (let i = 0; i + 1 < row.length; i += 2) counts.set(row[i] as number, (counts.get(row[i] as number) ?? 0) + (row[i + 1] as number));
  return [...counts.entries()].sort((x, y) => x[0] - y[0]).flat();
}

/** Percentiles (0 < q ≤ 1) of a sparse row in ms, or null when it holds no value. */
export function rowPercentiles(row: readonly number[], qs: readonly number[]): Array<number | null> {
  let total = 0;
  for (let i = 1; i < row.length; i += 2) total += row[i] as number;
  if (total === 0) return qs.map(() => null);
  return qs.map((q) => {
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (let i = 0; i + 1 < row.length; i += 2) {
      seen += row[i + 1] as number;
      if (seen >= rank) return binRange(row[i] as number)[1] / 1000;
    }
    return binRange(row[row.length - 2] as number)[1] / 1000;
  });
}
