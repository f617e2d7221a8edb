/**
 * Reading and checking load result files: the replacement of the seed's
 * `check-loadtest-result.mjs result.json <total> <ratio>`, plus named limits (p95, error rate, any threshold).
 */
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import { decodeHistogram, percentileOf } from './histogram.ts';
import { LOAD_RESULT_FORMAT, LOAD_RESULT_VERSION, type LoadResult } from './result.ts';
import { dedupCreated, evaluateThreshold, parseThreshold, type Threshold } from './thresholds.ts';

const nullableNumber = z.number().nullable();
const summarySchema = z.looseObject({
  n: z.number().int().nonnegative(),
  source: z.enum(['exact', 'histogram']),
  minMs: nullableNumber,
  meanMs: nullableNumber,
  maxMs: nullableNumber,
  p50Ms: nullableNumber,
  p90Ms: nullableNumber,
  p95Ms: nullableNumber,
  p99Ms: nullableNumber,
  unsupported: z.array(z.string()),
});

/** Structural schema of a result file (unknown extra fields are kept, so newer minor additions load). */
export const loadResultFileSchema = z.looseObject({
  format: z.literal(LOAD_RESULT_FORMAT),
  version: z.literal(LOAD_RESULT_VERSION),
  target: z.string(),
  method: z.string(),
  model: z.looseObject({ type: z.enum(['closed', 'open']) }),
  workers: z.number().int().positive(),
  startMs: z.number(),
  endMs: z.number(),
  durationMs: z.number().nonnegative(),
  requests: z.looseObject({
    planned: z.number().int().nonnegative().nullable(),
    sent: z.number().int().nonnegative(),
    responses: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    dropped: z.number().int().nonnegative(),
  }),
  statusClasses: z.looseObject({ '2xx': z.number(), '4xx': z.number(), '5xx': z.number() }),
  statusCodes: z.record(z.string(), z.number()),
  errors: z.record(z.string(), z.number()),
  errorRate: z.number().min(0).max(1),
  replies: z.looseObject({ created: z.number(), replayed: z.number(), conflict: z.number(), other: z.number() }).nullable(),
  keys: z.looseObject({ total: z.number().int().positive(), unique: z.number().int().positive() }).nullable(),
  throughput: z.looseObject({ requestsPerSec: z.number() }),
  latency: summarySchema,
  stalls: z.array(z.looseObject({ atMs: z.number(), durationMs: z.number() })),
  flags: z.array(z.string()),
  aborted: z.looseObject({ reason: z.string(), message: z.string() }).nullable(),
  dedup: z.looseObject({ created: nullableNumber, unique: z.number(), exact: z.boolean(), error: z.string().nullable() }).nullable(),
  histograms: z.looseObject({ latency: z.string().min(1) }),
});

/** Why a result file could not be used. */
export class ResultFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResultFileError';
  }
}

/** Parses and validates a result file's text; throws ResultFileError naming the first bad fields. */
export function parseResultFile(text: string, name = 'result file'): LoadResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ResultFileError(`${name} is not JSON: ${(err as Error).message}`);
  }
  if (raw && typeof raw === 'object' && (raw as { format?: unknown }).format !== LOAD_RESULT_FORMAT) {
    throw new ResultFileError(`${name} is not a golive load result (format is ${JSON.stringify((raw as { format?: unknown }).format) ?? 'missing'}, expected "${LOAD_RESULT_FORMAT}")`);
  }
  const parsed = loadResultFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ResultFileError(`${name} does not match golive-load-result v${LOAD_RESULT_VERSION}: ${issues.join('; ')}`);
  }
  return parsed.data as unknown as LoadResult;
}

/** Limits a result file is checked against. */
export interface ResultLimits {
  /** Requests expected (every one sent and answered: no network failure, no drop). */
  total?: number;
  /** Expected dedup ratio: created / total (= unique / total of the plan). */
  ratio?: number;
  /** Maximum p95 in ms (strict: p95 < limit). */
  p95Ms?: number;
  /** Maximum error rate (strict: rate < limit). */
  maxErrorRate?: number;
  /** Further thresholds (`p99 < 2000`, `dedup == exact`, ...). */
  thresholds?: Threshold[];
  /** Allow 5xx answers (default false: any 5xx fails). */
  allow5xx?: boolean;
}

/** One line of a result check. */
export interface ResultCheckLine {
  name: string;
  passed: boolean;
  expected: string;
  actual: string;
  /** The limit could not be judged (too few samples for a percentile): never a pass. */
  inconclusive?: boolean;
}

/** Percentile of a result from its exact samples or its encoded histogram. */
export function resultPercentile(r: LoadResult, p: number): number | null {
  const exact = r.samplesUs?.latency;
  const sorted = exact && exact.length === r.latency.n ? Array.from(Float64Array.from(exact).sort()) : null;
  return percentileOf(decodeHistogram(r.histograms.latency), p, sorted).ms;
}

/**
 * Checks a result against limits. A limit that cannot be judged (too few samples for a percentile) is a
 * line with `inconclusive: true` and `passed: false`: the caller reports it as "cannot be evaluated"
 * (exit 3) unless another limit plainly failed, and never as a pass.
 */
export function checkResult(r: LoadResult, limits: ResultLimits): ResultCheckLine[] {
  const lines: ResultCheckLine[] = [];
  if (r.aborted) lines.push({ name: 'completed', passed: false, expected: 'run not aborted', actual: `${r.aborted.reason}: ${r.aborted.message}` });
  if (limits.total !== undefined) {
    const t = limits.total;
    lines.push({ name: 'requests-sent', passed: r.requests.sent === t, expected: `${t}`, actual: `${r.requests.sent} sent (${r.requests.dropped} dropped)` });
    const errs = Object.entries(r.errors)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push({
      name: 'requests-answered',
      passed: r.requests.responses === t,
      expected: `${t} responses`,
      actual: `${r.requests.responses} responses, ${r.requests.failed} network failures${errs ? ` (${errs})` : ''}`,
    });
  }
  if (limits.ratio !== undefined) {
    const total = limits.total ?? r.keys?.total ?? r.requests.sent;
    const expectedCreated = Math.round(total * limits.ratio);
    const created = dedupCreated(r);
    const via = r.dedup ? `read back via ${r.dedup.source}` : 'counted from first-create replies';
    lines.push({
      name: 'dedup-ratio',
      passed: created !== null && created === expectedCreated,
      expected: `${limits.ratio} (${expectedCreated} created of ${total})`,
      actual:
        created === null
          ? `unknown (${r.dedup?.error ?? 'no keys in this run'})`
          : `${Math.round((created / total) * 1e6) / 1e6} (${created} created, ${via}; replies: ${formatReplies(r)})`,
    });
  }
  if (!limits.allow5xx) {
    const n = r.statusClasses['5xx'];
    lines.push({ name: 'no-5xx', passed: n === 0, expected: '0 responses with 5xx', actual: `${n}` });
  }
  const named: Threshold[] = [];
  if (limits.p95Ms !== undefined) named.push(parseThreshold(`p95 < ${limits.p95Ms}`));
  if (limits.maxErrorRate !== undefined) named.push(parseThreshold(`error_rate < ${limits.maxErrorRate}`));
  for (const t of [...named, ...(limits.thresholds ?? [])]) lines.push(lineOf(t, r));
  return lines;
}

function lineOf(t: Threshold, r: LoadResult): ResultCheckLine {
  try {
    const o = evaluateThreshold(t, r, (p) => resultPercentile(r, p));
    return { name: t.source, passed: o.passed, expected: t.expected, actual: o.actualText };
  } catch (err) {
    if (err instanceof CheckError) return { name: t.source, passed: false, expected: t.expected, actual: `cannot be judged: ${err.message}`, inconclusive: true };
    throw err;
  }
}

/** `created 200, replayed 790, conflict 10, other 0` or `none`. */
export function formatReplies(r: LoadResult): string {
  if (!r.replies) return 'none';
  const x = r.replies;
  return `created ${x.created}, replayed ${x.replayed}, 409 in flight ${x.conflict}, other ${x.other}`;
}
