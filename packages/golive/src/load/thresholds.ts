/**
 * Thresholds in the style of k6: `p95 < 1000`, `p(99) <= 1.5s`, `error_rate < 0.01` (or `< 1%`),
 * `rps >= 200`, `dedup == exact`. Parsed when config loads (bad expressions name what was expected) and
 * evaluated against a load result. A percentile the sample count cannot support is never passed: it
 * raises GOLIVE_ERR_INSUFFICIENT_SAMPLES.
 */
import { CheckError } from '../core/errors.ts';
import { minSamplesFor } from '../core/percentiles.ts';
import type { LoadResult } from './result.ts';

/** Comparison operators. */
export const THRESHOLD_OPS = ['<', '<=', '>', '>=', '==', '!='] as const;
/** A comparison operator. */
export type ThresholdOp = (typeof THRESHOLD_OPS)[number];

/** What a threshold measures. */
export type ThresholdMetric =
  | { kind: 'percentile'; p: number }
  | { kind: 'latency'; stat: 'avg' | 'min' | 'max' }
  | { kind: 'rate'; name: 'error_rate' | 'status_5xx_rate' | 'non_2xx_rate' | 'dedup_ratio' }
  | { kind: 'count'; name: 'failed' | 'dropped' | 'stalls' | 'responses' | 'status_5xx' }
  | { kind: 'rps' }
  | { kind: 'dedup' };

/** A parsed threshold. Latencies are held in ms, rates as fractions. */
export interface Threshold {
  /** The expression as written. */
  source: string;
  metric: ThresholdMetric;
  op: ThresholdOp;
  /** Right-hand side (ms for latencies, a fraction for rates); NaN for `dedup == exact`. */
  value: number;
  /** Human form of the limit, e.g. `< 1000 ms`. */
  expected: string;
}

const RATE_NAMES = new Set(['error_rate', 'status_5xx_rate', 'non_2xx_rate', 'dedup_ratio']);
const COUNT_NAMES = new Set(['failed', 'dropped', 'stalls', 'responses', 'status_5xx']);

/** Metric names accepted on the left-hand side (for messages and docs). */
export const THRESHOLD_METRICS = [
  'p50 … p99.99 (or p(95))',
  'avg',
  'min',
  'max',
  'med',
  'error_rate',
  'status_5xx_rate',
  'non_2xx_rate',
  'dedup_ratio',
  'rps',
  'failed',
  'dropped',
  'stalls',
  'responses',
  'status_5xx',
  'dedup',
] as const;

function parseMetric(name: string): ThresholdMetric | undefined {
  const n = name.toLowerCase();
  const p = /^p\(?(\d{1,2}(?:\.\d+)?|100)\)?$/.exec(n);
  if (p) {
    const v = Number(p[1]);
    if (v > 0 && v <= 100) return { kind: 'percentile', p: v };
    return undefined;
  }
  if (n === 'med') return { kind: 'percentile', p: 50 };
  if (n === 'avg' || n === 'mean') return { kind: 'latency', stat: 'avg' };
  if (n === 'min' || n === 'max') return { kind: 'latency', stat: n };
  if (RATE_NAMES.has(n)) return { kind: 'rate', name: n as 'error_rate' };
  if (COUNT_NAMES.has(n)) return { kind: 'count', name: n as 'failed' };
  if (n === 'rps' || n === 'throughput') return { kind: 'rps' };
  if (n === 'dedup') return { kind: 'dedup' };
  return undefined;
}

/** Parses one threshold expression; throws RangeError with what was expected. */
export function parseThreshold(expr: string): Threshold {
  const m = /^\s*([A-Za-z_][\w]*(?:\(\d+(?:\.\d+)?\))?|p\d+(?:\.\d+)?)\s*(<=|>=|==|!=|<|>)\s*(.+?)\s*$/.exec(expr);
  if (!m) throw new RangeError(`threshold "${expr}": expected "<metric> <op> <value>", e.g. "p95 < 1000" or "error_rate < 0.01"`);
  const [, name = '', op = '<', rhsRaw = ''] = m;
  const metric = parseMetric(name);
  if (!metric) throw new RangeError(`threshold "${expr}": unknown metric "${name}" (known: ${THRESHOLD_METRICS.join(', ')})`);
  const rhs = rhsRaw.trim();
  if (metric.kind === 'dedup') {
    if (!/^exact$/i.test(rhs) || (op !== '==' && op !== '!=')) throw new RangeError(`threshold "${expr}": dedup takes only "== exact"`);
    return { source: expr.trim(), metric, op: op as ThresholdOp, value: Number.NaN, expected: `${op} exact (created == unique keys)` };
  }
  const num = /^(-?\d+(?:\.\d+)?)\s*(ms|s|us|µs|%)?$/i.exec(rhs);
  if (!num) throw new RangeError(`threshold "${expr}": "${rhs}" is not a number (units: ms, s, us for latencies; % for rates)`);
  let value = Number(num[1]);
  const unit = (num[2] ?? '').toLowerCase();
  if (metric.kind === 'percentile' || metric.kind === 'latency') {
    if (unit === '%') throw new RangeError(`threshold "${expr}": a latency takes ms, s or us, not %`);
    if (unit === 's') value *= 1000;
    else if (unit === 'us' || unit === 'µs') value /= 1000;
    return { source: expr.trim(), metric, op: op as ThresholdOp, value, expected: `${op} ${value} ms` };
  }
  if (unit && unit !== '%') throw new RangeError(`threshold "${expr}": "${name}" takes no time unit`);
  if (metric.kind === 'rate') {
    if (unit === '%') value /= 100;
    if (value < 0 || value > 1) throw new RangeError(`threshold "${expr}": a rate is between 0 and 1 (or 0% and 100%)`);
    return { source: expr.trim(), metric, op: op as ThresholdOp, value, expected: `${op} ${value}` };
  }
  if (unit === '%') throw new RangeError(`threshold "${expr}": "${name}" is not a rate`);
  return { source: expr.trim(), metric, op: op as ThresholdOp, value, expected: `${op} ${value}${metric.kind === 'rps' ? ' req/s' : ''}` };
}

/** Compares with an operator. */
export function compare(actual: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

/** The outcome of one threshold. */
export interface ThresholdOutcome {
  threshold: Threshold;
  passed: boolean;
  /** Observed value (ms, fraction, count), null for dedup without a count. */
  actual: number | null;
  /** Human form of the observed value. */
  actualText: string;
}

/** A percentile from the summary when it holds that one (else undefined: compute it from the histogram). */
function summaryPercentile(r: LoadResult, p: number): number | null | undefined {
  const map: Record<number, number | null> = {
    50: r.latency.p50Ms,
    75: r.latency.p75Ms,
    90: r.latency.p90Ms,
    95: r.latency.p95Ms,
    99: r.latency.p99Ms,
    99.9: r.latency.p999Ms,
  };
  return p in map ? map[p] : undefined;
}

/**
 * Evaluates a threshold. `percentileMs` computes percentiles not in the summary (from the result's
 * histogram). Throws CheckError GOLIVE_ERR_INSUFFICIENT_SAMPLES when a percentile cannot be supported.
 */
export function evaluateThreshold(t: Threshold, r: LoadResult, percentileMs: (p: number) => number | null): ThresholdOutcome {
  const m = t.metric;
  const attempts = r.requests.responses + r.requests.failed;
  let actual: number | null;
  let text: string;
  switch (m.kind) {
    case 'percentile': {
      const n = r.latency.n;
      const need = minSamplesFor(m.p);
      if (n < need) {
        throw new CheckError(
          'GOLIVE_ERR_INSUFFICIENT_SAMPLES',
          `threshold "${t.source}": ${n} response(s) cannot support p${m.p} (nearest rank needs at least ${need})`,
        );
      }
      actual = summaryPercentile(r, m.p) ?? percentileMs(m.p);
      text = actual === null ? 'no responses' : `${actual} ms`;
      break;
    }
    case 'latency':
      actual = m.stat === 'avg' ? r.latency.meanMs : m.stat === 'min' ? r.latency.minMs : r.latency.maxMs;
      text = actual === null ? 'no responses' : `${actual} ms`;
      break;
    case 'rate': {
      if (m.name === 'error_rate') actual = r.errorRate;
      else if (m.name === 'status_5xx_rate') actual = attempts === 0 ? 0 : r.statusClasses['5xx'] / attempts;
      else if (m.name === 'non_2xx_rate') actual = attempts === 0 ? 0 : (attempts - r.statusClasses['2xx']) / attempts;
      else actual = dedupCreated(r) === null || !r.keys ? null : (dedupCreated(r) ?? 0) / r.keys.total;
      text = actual === null ? 'unknown' : `${Math.round(actual * 1e6) / 1e6}`;
      break;
    }
    case 'count':
      actual =
        m.name === 'failed'
          ? r.requests.failed
          : m.name === 'dropped'
            ? r.requests.dropped
            : m.name === 'stalls'
              ? r.stalls.length
              : m.name === 'responses'
                ? r.requests.responses
                : r.statusClasses['5xx'];
      text = String(actual);
      break;
    case 'rps':
      actual = Math.round(r.throughput.requestsPerSec * 10) / 10;
      text = `${actual} req/s`;
      break;
    case 'dedup': {
      if (!r.keys) throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `threshold "${t.source}" needs a key pool (keys.total / keys.unique)`);
      const created = dedupCreated(r);
      const exact = created !== null && created === r.keys.unique;
      const passed = t.op === '==' ? exact : !exact;
      return {
        threshold: t,
        passed,
        actual: created,
        actualText: created === null ? `unknown (${r.dedup?.error ?? 'no read-back'})` : `${created} created for ${r.keys.unique} unique keys`,
      };
    }
  }
  return { threshold: t, passed: actual !== null && compare(actual, t.op, t.value), actual, actualText: text };
}

/** Records created by the run: the read-back when there is one, else the first-create replies. */
export function dedupCreated(r: LoadResult): number | null {
  if (r.dedup) return r.dedup.created;
  return r.replies ? r.replies.created : null;
}
