/**
 * The load result file: a versioned JSON document (`format: "golive-load-result"`, `version: 1`, described
 * in docs/load.md) holding counters, summaries for humans and checkers, and the encoded HDR histograms and
 * (for small runs) the exact samples, so results of several workers or processes merge exactly.
 */
import type { NetworkErrorKind } from '../http/client.ts';
import { type LatencySummary, createHistogram, decodeHistogram, encodeHistogram, summarize } from './histogram.ts';
import { DEFAULT_EXACT_SAMPLE_LIMIT } from './histogram.ts';
import { addSparse } from './latency-bins.ts';

/** Name of the result file format. */
export const LOAD_RESULT_FORMAT = 'golive-load-result';
/** Version of the result file format; bumped on incompatible changes. */
export const LOAD_RESULT_VERSION = 1;

/** Closed model: a fixed number of connections, each sending its next request when the previous answered. */
export interface ClosedModel {
  type: 'closed';
  concurrency: number;
  /** Requests to send (null when only the duration bounds the run). */
  total: number | null;
  durationMs: number | null;
}

/** Open model: requests start on a fixed schedule (constant arrival rate), whatever the server does. */
export interface OpenModel {
  type: 'open';
  ratePerSec: number;
  /** Requests scheduled (rate × duration when given as a duration). */
  total: number;
  durationMs: number;
  /** Connections: at most this many requests in flight; later ones wait in the queue (their wait counts). */
  maxInFlight: number;
  /** Due requests beyond this many waiting are dropped (counted); null = never drop while the schedule runs. */
  maxQueue: number | null;
}

/** A load model. */
export type LoadModel = ClosedModel | OpenModel;

/** Why a run stopped before its plan was done. */
export interface AbortInfo {
  reason: '5xx-spike' | 'cancelled' | 'warmup-failed';
  /** Milliseconds after the timed phase started. */
  atMs: number;
  /** One sentence with the evidence. */
  message: string;
}

/** A period during which requests were in flight but none completed. */
export interface Stall {
  /** Start, in ms after the timed phase started. */
  atMs: number;
  durationMs: number;
}

/** Replies of a dedup scenario, classified. */
export interface ReplyCounts {
  /** First creates (status in `createdStatus`, default 201, without the replay header). */
  created: number;
  /** Stored replays (2xx with the replay header, e.g. `Idempotent-Replayed: true`). */
  replayed: number;
  /** 409: the same key was still in flight. */
  conflict: number;
  /** Anything else (other statuses; network failures are counted in `errors`). */
  other: number;
}

/** The outcome of reading back what the server stored (see dedup.ts). */
export interface DedupVerification {
  /** How the count was read, e.g. `GET /v1/events → count` or `/metrics events_created_total`. */
  source: string;
  before: number | null;
  after: number | null;
  /** after − before (what this run created), or null when a read failed. */
  created: number | null;
  /** Unique keys sent. */
  unique: number;
  /** Requests sent with keys. */
  total: number;
  /** created === unique. */
  exact: boolean;
  /** created / total, the observed dedup ratio (expected unique / total). */
  ratio: number | null;
  /** Why the verification could not be made, when it could not. */
  error: string | null;
}

/** A short, redacted sample of a failed request for evidence. */
export interface ErrorSample {
  status?: number;
  kind?: NetworkErrorKind;
  message: string;
}

/** Per-second counts over the timed phase. */
export interface Timeline {
  bucketMs: number;
  responses: number[];
  failed: number[];
  status5xx: number[];
  /**
   * Per second, the latencies of its responses as sparse log-linear bins `[bin, count, …]` (load/latency-bins.ts;
   * 8 bins per power of two of µs). Absent in results of earlier versions (merging
   * them with newer ones drops it).
   */
  latencyBins?: number[][];
}

/** One load result (of one run, one worker, or several merged). */
export interface LoadResult {
  format: typeof LOAD_RESULT_FORMAT;
  version: typeof LOAD_RESULT_VERSION;
  tool: { name: 'golive'; version: string };
  /** Origin and path of the request template (redacted, no query). */
  target: string;
  method: string;
  model: LoadModel;
  /** Number of worker results merged into this one (1 for a single engine). */
  workers: number;
  /** Epoch milliseconds (fractional) of the timed phase's start and end. */
  startMs: number;
  endMs: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  requests: {
    planned: number | null;
    sent: number;
    /** Requests that got a complete response (any status). */
    responses: number;
    /** Requests that ended in a network failure (see `errors`). */
    failed: number;
    /** Open model: due requests never sent (queue full, or the schedule ended). */
    dropped: number;
    /** Open model: the most requests waiting for a connection at once. */
    queuedMax: number;
  };
  statusClasses: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  statusCodes: Record<string, number>;
  errors: Partial<Record<NetworkErrorKind, number>>;
  /** (network failures + 5xx) / (responses + failures); 4xx are answers, not errors (409 is part of dedup). */
  errorRate: number;
  replies: ReplyCounts | null;
  keys: { total: number; unique: number; expectedRatio: number } | null;
  bytes: { received: number; sentBody: number };
  throughput: { requestsPerSec: number; bytesPerSec: number };
  /**
   * Latency of responses (network failures excluded). Closed model: from send to the end of the body.
   * Open model: from each request's scheduled start (coordinated omission corrected).
   */
  latency: LatencySummary;
  /** Open model only: from the actual send, as a closed-loop tool would measure. */
  latencyUncorrected: LatencySummary | null;
  /** Open model only: actual send − scheduled start. */
  scheduleLag: LatencySummary | null;
  stalls: Stall[];
  /** Notable conditions: STALL, DROPPED, COORDINATED_OMISSION, ABORTED, LOW_SAMPLES, BODY_CAP. */
  flags: string[];
  aborted: AbortInfo | null;
  /**
   * What the warm-up did: requests sent, answered and failed, its time, the request it warmed, why it stopped
   * (`stable`: two consecutive window medians within 10 %; `max-requests` / `max-time`: its bounds; `fixed`: a
   * set count) and each window's median latency. `note` says when the scenario's own request was not warmed.
   */
  warmup: {
    requests: number;
    ok: number;
    failed: number;
    durationMs: number;
    method?: string;
    path?: string;
    stoppedBy?: 'fixed' | 'stable' | 'max-requests' | 'max-time' | 'cancelled' | 'no-answer';
    windowMedianMs?: number[];
    note?: string;
  } | null;
  timeline: Timeline;
  errorSamples: ErrorSample[];
  dedup: DedupVerification | null;
  /** HdrHistogram V2 compressed base64, values in µs. */
  histograms: { latency: string; uncorrected: string | null; scheduleLag: string | null };
  /** Every latency in µs while the run was small enough (null past the limit); same order as recorded. */
  samplesUs: { latency: number[] | null; uncorrected: number[] | null } | null;
}

/** Maximum stalls and error samples kept in a result. */
export const MAX_STALLS = 100;
export const MAX_ERROR_SAMPLES = 5;

/** Classes of a status code. */
export function statusClass(status: number): keyof LoadResult['statusClasses'] {
  if (status < 200) return '1xx';
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}

function addRecords(a: Record<string, number>, b: Record<string, number | undefined>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if (v) out[k] = (out[k] ?? 0) + v;
  return out;
}

function addArrays(a: number[], b: number[], shift: number): number[] {
  const out = a.slice();
  b.forEach((v, i) => {
    const j = i + shift;
    if (j < 0) return;
    while (out.length <= j) out.push(0);
    out[j] = (out[j] ?? 0) + v;
  });
  return out;
}

/** Flags derived from a result's figures (recomputed after merging). */
export function deriveFlags(r: Pick<LoadResult, 'stalls' | 'requests' | 'latency' | 'latencyUncorrected' | 'aborted' | 'model' | 'errorSamples'>): string[] {
  const flags: string[] = [];
  if (r.stalls.length > 0) flags.push('STALL');
  if (r.requests.dropped > 0) flags.push('DROPPED');
  const c = r.latency.p99Ms;
  const u = r.latencyUncorrected?.p99Ms;
  // The schedule saw much worse latency than the requests themselves: the server held requests back.
  if (r.model.type === 'open' && c !== null && u !== null && u !== undefined && c > 2 * u && c - u > 10) flags.push('COORDINATED_OMISSION');
  if (r.aborted) flags.push('ABORTED');
  if (r.latency.unsupported.length > 0) flags.push('LOW_SAMPLES');
  if (r.errorSamples.some((e) => e.message.includes('GOLIVE_BODY_TOO_LARGE'))) flags.push('BODY_CAP');
  return flags;
}

function mergeSamples(lists: (number[] | null | undefined)[], limit: number): number[] | null {
  const out: number[] = [];
  for (const l of lists) {
    if (!l) return null;
    for (const v of l) out.push(v);
    if (out.length > limit) return null;
  }
  return out;
}

/**
 * Merges results of workers or processes exactly: histograms are decoded and added, counters summed,
 * throughput taken over the global time span (earliest start to latest end). Exact samples survive while
 * every part kept them and the union stays within the limit; the summaries are recomputed.
 */
export function mergeResults(parts: readonly LoadResult[], exactSampleLimit = DEFAULT_EXACT_SAMPLE_LIMIT): LoadResult {
  const first = parts[0];
  if (!first) throw new RangeError('mergeResults needs at least one result');
  if (parts.length === 1) return first;
  for (const p of parts) {
    if (p.model.type !== first.model.type) throw new RangeError('cannot merge results of different load models');
  }
  const latency = createHistogram();
  const uncorrected = first.histograms.uncorrected === null ? null : createHistogram();
  const lag = first.histograms.scheduleLag === null ? null : createHistogram();
  for (const p of parts) {
    latency.add(decodeHistogram(p.histograms.latency));
    if (uncorrected && p.histograms.uncorrected) uncorrected.add(decodeHistogram(p.histograms.uncorrected));
    if (lag && p.histograms.scheduleLag) lag.add(decodeHistogram(p.histograms.scheduleLag));
  }
  const latencySamples = mergeSamples(parts.map((p) => p.samplesUs?.latency), exactSampleLimit);
  const uncorrectedSamples = uncorrected ? mergeSamples(parts.map((p) => p.samplesUs?.uncorrected), exactSampleLimit) : null;
  const startMs = Math.min(...parts.map((p) => p.startMs));
  const endMs = Math.max(...parts.map((p) => p.endMs));
  const durationMs = Math.max(0, endMs - startMs);
  const sum = (f: (r: LoadResult) => number) => parts.reduce((a, p) => a + f(p), 0);
  const requests = {
    planned: parts.every((p) => p.requests.planned !== null) ? sum((p) => p.requests.planned ?? 0) : null,
    sent: sum((p) => p.requests.sent),
    responses: sum((p) => p.requests.responses),
    failed: sum((p) => p.requests.failed),
    dropped: sum((p) => p.requests.dropped),
    queuedMax: sum((p) => p.requests.queuedMax),
  };
  const statusClasses = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  for (const p of parts) for (const k of Object.keys(statusClasses) as (keyof typeof statusClasses)[]) statusClasses[k] += p.statusClasses[k];
  let statusCodes: Record<string, number> = {};
  let errors: Record<string, number> = {};
  for (const p of parts) {
    statusCodes = addRecords(statusCodes, p.statusCodes);
    errors = addRecords(errors, p.errors);
  }
  const replies = first.replies
    ? {
        created: sum((p) => p.replies?.created ?? 0),
        replayed: sum((p) => p.replies?.replayed ?? 0),
        conflict: sum((p) => p.replies?.conflict ?? 0),
        other: sum((p) => p.replies?.other ?? 0),
      }
    : null;
  const binned = parts.every((p) => p.timeline.latencyBins !== undefined);
  let timeline: Timeline = { bucketMs: first.timeline.bucketMs, responses: [], failed: [], status5xx: [], ...(binned ? { latencyBins: [] } : {}) };
  for (const p of parts) {
    const shift = Math.round((p.startMs - startMs) / timeline.bucketMs);
    timeline = {
      bucketMs: timeline.bucketMs,
      responses: addArrays(timeline.responses, p.timeline.responses, shift),
      failed: addArrays(timeline.failed, p.timeline.failed, shift),
      status5xx: addArrays(timeline.status5xx, p.timeline.status5xx, shift),
      ...(binned ? { latencyBins: addSparse(timeline.latencyBins ?? [], p.timeline.latencyBins ?? [], shift) } : {}),
    };
  }
  const stalls = parts
    .flatMap((p) => p.stalls.map((s) => ({ atMs: s.atMs + (p.startMs - startMs), durationMs: s.durationMs })))
    .sort((a, b) => a.atMs - b.atMs)
    .slice(0, MAX_STALLS);
  const model: LoadModel =
    first.model.type === 'closed'
      ? {
          type: 'closed',
          concurrency: sum((p) => (p.model.type === 'closed' ? p.model.concurrency : 0)),
          total: parts.every((p) => p.model.type === 'closed' && p.model.total !== null) ? sum((p) => (p.model.type === 'closed' ? (p.model.total ?? 0) : 0)) : null,
          durationMs: first.model.durationMs,
        }
      : {
          type: 'open',
          ratePerSec: sum((p) => (p.model.type === 'open' ? p.model.ratePerSec : 0)),
          total: sum((p) => (p.model.type === 'open' ? p.model.total : 0)),
          durationMs: first.model.durationMs,
          maxInFlight: sum((p) => (p.model.type === 'open' ? p.model.maxInFlight : 0)),
          maxQueue: first.model.maxQueue === null ? null : sum((p) => (p.model.type === 'open' ? (p.model.maxQueue ?? 0) : 0)),
        };
  const bytes = { received: sum((p) => p.bytes.received), sentBody: sum((p) => p.bytes.sentBody) };
  const attempts = requests.responses + requests.failed;
  const aborted = parts.map((p) => p.aborted).find((a) => a !== null) ?? null;
  const warmups = parts.map((p) => p.warmup).filter((w) => w !== null);
  const merged: LoadResult = {
    format: LOAD_RESULT_FORMAT,
    version: LOAD_RESULT_VERSION,
    tool: first.tool,
    target: first.target,
    method: first.method,
    model,
    workers: sum((p) => p.workers),
    startMs,
    endMs,
    startedAt: new Date(startMs).toISOString(),
    finishedAt: new Date(endMs).toISOString(),
    durationMs,
    requests,
    statusClasses,
    statusCodes,
    errors,
    errorRate: attempts === 0 ? 0 : (requests.failed + statusClasses['5xx']) / attempts,
    replies,
    keys: first.keys,
    bytes,
    throughput: {
      requestsPerSec: durationMs > 0 ? requests.responses / (durationMs / 1000) : 0,
      bytesPerSec: durationMs > 0 ? bytes.received / (durationMs / 1000) : 0,
    },
    latency: summarize(latency, latencySamples),
    latencyUncorrected: uncorrected ? summarize(uncorrected, uncorrectedSamples) : null,
    scheduleLag: lag ? summarize(lag, null) : null,
    stalls,
    flags: [],
    aborted,
    warmup:
      warmups.length === 0
        ? null
        : {
            requests: warmups.reduce((a, w) => a + w.requests, 0),
            ok: warmups.reduce((a, w) => a + w.ok, 0),
            failed: warmups.reduce((a, w) => a + w.failed, 0),
            durationMs: Math.max(...warmups.map((w) => w.durationMs)),
            ...(first.warmup?.method ? { method: first.warmup.method } : {}),
            ...(first.warmup?.path ? { path: first.warmup.path } : {}),
          },
    timeline,
    errorSamples: parts.flatMap((p) => p.errorSamples).slice(0, MAX_ERROR_SAMPLES),
    dedup: first.dedup,
    histograms: {
      latency: encodeHistogram(latency),
      uncorrected: uncorrected ? encodeHistogram(uncorrected) : null,
      scheduleLag: lag ? encodeHistogram(lag) : null,
    },
    samplesUs: { latency: latencySamples, uncorrected: uncorrectedSamples },
  };
  merged.flags = deriveFlags(merged);
  return merged;
}
