/** The result document of one engine, assembled from its recorder and scheduler once the run is over. */
import { performance } from 'node:perf_hooks';
import { encodeHistogram, summarize } from './histogram.ts';
import type { RunRecorder } from './recorder.ts';
import { deriveFlags, LOAD_RESULT_FORMAT, LOAD_RESULT_VERSION, type LoadModel, type LoadResult } from './result.ts';
import type { Plan } from './scenario.ts';
import type { ModelOptions, Scheduler } from './schedulers.ts';

const EPOCH_OFFSET = performance.timeOrigin;

/** What the result says beyond the recorder's and the scheduler's figures. */
export interface ResultContext {
  model: ModelOptions;
  plan: Plan;
  partition: { offset: number; step: number };
  base: URL;
  /** Base path without its trailing slash. */
  basePath: string;
  fullPath: (path: string) => string;
  redact: (s: string) => string;
  keyed: boolean;
  keys: { total: number; unique: number } | null;
  warmup: LoadResult['warmup'];
  toolVersion: string;
}

/** Builds the result of a finished run (scheduler.t0 and endMs set). */
export function assembleResult(rec: RunRecorder, sched: Scheduler, ctx: ResultContext): LoadResult {
  const { model, partition } = ctx;
  const localTotal = sched.localTotal;
  const t0 = sched.t0;
  const endMs = sched.endMs;
  const statusCodes: Record<string, number> = {};
  const statusClasses = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  rec.statusCounts.forEach((n, code) => {
    if (!n) return;
    statusCodes[String(code)] = n;
    const cls = code < 200 ? '1xx' : code < 300 ? '2xx' : code < 400 ? '3xx' : code < 500 ? '4xx' : '5xx';
    statusClasses[cls] += n;
  });
  const elapsed = Math.max(0, endMs - t0);
  const first = ctx.plan.size > 0 ? ctx.plan.get(partition.offset) : undefined;
  const resultModel: LoadModel =
    model.type === 'closed'
      ? { type: 'closed', concurrency: model.concurrency, total: Number.isFinite(localTotal) ? localTotal : null, durationMs: model.durationMs ?? null }
      : {
          type: 'open',
          ratePerSec: model.ratePerSec / partition.step,
          total: localTotal,
          durationMs: sched.durationMs ?? 0,
          maxInFlight: model.maxInFlight,
          maxQueue: model.maxQueue ?? null,
        };
  const { responses, failed, latency, uncorrected, lag, latencySamples, uncorrectedSamples } = rec;
  const attempts = responses + failed;
  const keys = ctx.keys;
  const startEpoch = EPOCH_OFFSET + t0;
  const endEpoch = EPOCH_OFFSET + endMs;
  const result: LoadResult = {
    format: LOAD_RESULT_FORMAT,
    version: LOAD_RESULT_VERSION,
    tool: { name: 'golive', version: ctx.toolVersion },
    target: ctx.redact(`${ctx.base.origin}${first ? ctx.fullPath(first.path).split('?')[0] : ctx.basePath || '/'}`),
    method: first?.method ?? 'GET',
    model: resultModel,
    workers: 1,
    startMs: startEpoch,
    endMs: endEpoch,
    startedAt: new Date(startEpoch).toISOString(),
    finishedAt: new Date(endEpoch).toISOString(),
    durationMs: elapsed,
    requests: {
      planned: Number.isFinite(localTotal) ? localTotal : null,
      sent: rec.sent,
      responses,
      failed,
      dropped: rec.dropped,
      queuedMax: rec.queuedMax,
    },
    statusClasses,
    statusCodes,
    errors: rec.errors,
    errorRate: attempts === 0 ? 0 : (failed + statusClasses['5xx']) / attempts,
    replies: ctx.keyed ? rec.replies : null,
    keys: keys ? { total: keys.total, unique: keys.unique, expectedRatio: keys.unique / keys.total } : null,
    bytes: { received: rec.bytesReceived, sentBody: rec.bytesSent },
    throughput: {
      requestsPerSec: elapsed > 0 ? responses / (elapsed / 1000) : 0,
      bytesPerSec: elapsed > 0 ? rec.bytesReceived / (elapsed / 1000) : 0,
    },
    latency: summarize(latency.histogram(), latencySamples.values),
    latencyUncorrected: uncorrected ? summarize(uncorrected.histogram(), uncorrectedSamples.values) : null,
    scheduleLag: lag ? summarize(lag.histogram(), null) : null,
    stalls: rec.stalls,
    flags: [],
    aborted: sched.abortInfo,
    warmup: ctx.warmup,
    timeline: {
      bucketMs: 1000,
      responses: rec.timelineResponses,
      failed: rec.timelineFailed,
      status5xx: rec.timeline5xx,
      latencyBins: rec.timelineLatency.toSparse(),
    },
    errorSamples: rec.errorSamples,
    dedup: null,
    histograms: {
      latency: encodeHistogram(latency.histogram()),
      uncorrected: uncorrected ? encodeHistogram(uncorrected.histogram()) : null,
      scheduleLag: lag ? encodeHistogram(lag.histogram()) : null,
    },
    samplesUs: {
      latency: latencySamples.values ? [...latencySamples.values] : null,
      uncorrected: uncorrected && uncorrectedSamples.values ? [...uncorrectedSamples.values] : null,
    },
  };
  result.flags = deriveFlags(result);
  return result;
}
