/**
 * The load engine of one thread: a pool of keep-alive HTTP/1.1 connections (connections = concurrency, no
 * pipelining; golive's own client in h1.ts, or an undici Pool), requests sent through `dispatch` with a
 * light handler (no streams, bodies counted and dropped as they arrive), latencies in integer microseconds
 * into HDR histograms.
 *
 * `runEngine` wires the named units together: the warm-up (warmup.ts), the recorder of the timed phase
 * (recorder.ts), the sender and its reusable handlers (sender.ts), the closed or open scheduler
 * (schedulers.ts), the timeout sweep (timeout-sweep.ts) and the result assembly (engine-result.ts).
 *
 * Closed model: `concurrency` loops, each sending its next request when the previous one answered.
 * Open model: request i is due at start + i / rate whatever the server does; at most `maxInFlight` are in
 * flight and due requests wait in a queue. Latency is measured from the scheduled start (the wait counts:
 * no coordinated omission); the latency from the actual send and the schedule lag are reported beside it.
 */
import { performance } from 'node:perf_hooks';
import type { Redactor } from '../core/redact.ts';
import { assembleResult } from './engine-result.ts';
import { RunRecorder, type SpikeOptions } from './recorder.ts';
import type { AbortInfo, LoadResult } from './result.ts';
import type { Plan } from './scenario.ts';
import { ClosedScheduler, type ModelOptions, OpenScheduler, planBounds, type Scheduler } from './schedulers.ts';
import { type RequestHandler, RequestSender } from './sender.ts';
import { TimeoutSweep } from './timeout-sweep.ts';
import { createTransport } from './transport.ts';
import { runWarmup, type WarmupSpec } from './warmup.ts';

export type { ModelOptions } from './schedulers.ts';
export type { SpikeOptions } from './recorder.ts';

/** A live view of a running load for progress displays. */
export interface ProgressSnapshot {
  elapsedMs: number;
  /** Completed requests (responses + failures). */
  done: number;
  planned: number | null;
  /** Completions per second over the last interval. */
  currentRps: number;
  /** p95 so far in ms (null before the first response). */
  p95Ms: number | null;
  failed: number;
  status5xx: number;
  queued: number;
}

/** Options of one engine. */
export interface EngineOptions {
  baseUrl: string;
  plan: Plan;
  model: ModelOptions;
  /** Whole-exchange deadline per request, from sending to the last body byte (default 10 s). */
  timeoutMs?: number;
  /** Side-effect-free requests sent (concurrently, on the pool's connections) before the timed phase. */
  warmup?: WarmupSpec | null;
  exactSampleLimit?: number;
  abortOnSpike?: SpikeOptions | null;
  /** A gap without any completion while requests are in flight is a stall when ≥ max(minMs, factor × p50). */
  stall?: { minMs: number; factor: number };
  /** Header marking a stored replay (default `idempotent-replayed`), counted when its value is `true`. */
  replayHeader?: string;
  /** Statuses counted as a first create (default [201]). */
  createdStatus?: number[];
  signal?: AbortSignal;
  onProgress?: (p: ProgressSnapshot) => void;
  progressIntervalMs?: number;
  redactor?: Redactor;
  /** Worker partitioning: this engine sends plan indices offset, offset + step, ... (default 0, 1). */
  partition?: { offset: number; step: number };
  /**
   * Called after the warm-up; may return the epoch ms at which the timed phase starts, so several workers
   * share one schedule. Default: the timed phase starts right after the warm-up.
   */
  beforeStart?: () => Promise<number | undefined>;
  /** Key pool of the whole run (for the result), when the plan has keys. */
  keys?: { total: number; unique: number } | null;
  /** Response body bytes read at most per request (default 16 MiB); past it the request fails as `other`. */
  maxBodyBytes?: number;
  /** TLS trust for an https target: the target's `target.tls` (`--ca`, `--insecure`). */
  tls?: { rejectUnauthorized?: boolean; ca?: string | readonly string[] | undefined };
  /**
   * HTTP client: golive's own HTTP/1.1 connections (`native`, default: about half the CPU per request) or
   * an undici Pool (`undici`).
   */
  transport?: 'native' | 'undici';
  toolVersion?: string;
}

const EPOCH_OFFSET = performance.timeOrigin;

/** Runs one engine to completion and returns its result. Never throws for network trouble. */
export async function runEngine(options: EngineOptions): Promise<LoadResult> {
  const base = new URL(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const partition = options.partition ?? { offset: 0, step: 1 };
  const model = options.model;
  const bounds = planBounds(model, options.plan.size, partition.offset, partition.step);
  const replayHeader = (options.replayHeader ?? 'idempotent-replayed').toLowerCase();
  const keyed = (options.plan.unique ?? null) !== null;
  const pool = createTransport(base, {
    kind: options.transport === 'undici' ? 'undici' : 'native',
    connections: model.type === 'closed' ? model.concurrency : model.maxInFlight,
    connectTimeoutMs: timeoutMs,
    rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
    ca: options.tls?.ca,
    keepHeaders: keyed ? [replayHeader] : [],
  });
  const basePath = base.pathname.replace(/\/$/, '');
  const fullPath = (p: string) => (p.startsWith('/') ? `${basePath}${p}` : `${basePath}/${p}`);
  const redact = (s: string) => (options.redactor ? options.redactor.redact(s) : s);

  let warmup: LoadResult['warmup'] = null;
  let warmupAbort: AbortInfo | null = null;
  if (options.warmup && options.warmup.requests !== 0 && !options.signal?.aborted) {
    const connections = model.type === 'closed' ? model.concurrency : model.maxInFlight;
    const outcome = await runWarmup(options.warmup, { pool, fullPath, origin: base.origin, timeoutMs, connections, signal: options.signal, redact });
    warmup = outcome.warmup;
    warmupAbort = outcome.abort;
  }

  // The scheduler is made after the recorder (whose spike window stops it) and the sender (which it drives).
  let scheduler: Scheduler | null = null;
  const recorder = new RunRecorder({
    open: model.type === 'open',
    keyed,
    exactSampleLimit: options.exactSampleLimit,
    createdStatus: options.createdStatus,
    abortOnSpike: options.abortOnSpike,
    stall: options.stall,
    redactor: options.redactor,
    onSpike: (info) => scheduler?.stop(info),
  });
  const sweep = new TimeoutSweep<RequestHandler>(timeoutMs);
  const sender = new RequestSender({
    pool,
    plan: options.plan,
    partition,
    fullPath,
    recorder,
    sweep,
    replayHeader: keyed ? replayHeader : null,
    reuseHandlers: options.transport !== 'undici',
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
  });
  const sched: Scheduler =
    model.type === 'closed'
      ? new ClosedScheduler(sender, bounds, model.concurrency, warmupAbort)
      : new OpenScheduler(sender, bounds, model, partition, timeoutMs, recorder, warmupAbort);
  scheduler = sched;
  sender.scheduler = sched;

  const onCancel = () => {
    sched.stop({ reason: 'cancelled', atMs: sched.t0 ? performance.now() - sched.t0 : 0, message: 'the run was cancelled (timeout or interrupt)' });
    void pool.destroy().catch(() => {});
    sched.finish();
  };
  if (options.signal) {
    if (options.signal.aborted) onCancel();
    else options.signal.addEventListener('abort', onCancel, { once: true });
  }

  let progressTimer: NodeJS.Timeout | undefined;
  if (!sched.abortInfo) {
    const startAt = options.beforeStart ? await options.beforeStart() : undefined;
    let t0: number;
    if (startAt !== undefined) {
      const waitMs = startAt - (EPOCH_OFFSET + performance.now());
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      t0 = startAt - EPOCH_OFFSET;
    } else {
      t0 = performance.now();
    }
    recorder.start(t0);
    if (options.onProgress) progressTimer = startProgress(options.onProgress, options.progressIntervalMs ?? 250, recorder, sched, t0);
    sched.begin(t0);
    await sched.done;
  } else {
    sched.t0 = performance.now();
    sched.endMs = sched.t0;
  }
  if (!sched.endMs) sched.endMs = performance.now();
  if (progressTimer) clearInterval(progressTimer);
  sweep.stop();
  sched.dispose();
  options.signal?.removeEventListener('abort', onCancel);
  await pool.close().catch(() => pool.destroy().catch(() => {}));

  return assembleResult(recorder, sched, {
    model,
    plan: options.plan,
    partition,
    base,
    basePath,
    fullPath,
    redact,
    keyed,
    keys: options.keys ?? null,
    warmup,
    toolVersion: options.toolVersion ?? '0.0.0',
  });
}

/** Reports progress every `intervalMs` until the returned timer is cleared. */
function startProgress(onProgress: (p: ProgressSnapshot) => void, intervalMs: number, rec: RunRecorder, sched: Scheduler, t0: number): NodeJS.Timeout {
  let lastDone = 0;
  let lastT = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const d = rec.responses + rec.failed;
    const rps = ((d - lastDone) * 1000) / Math.max(1, now - lastT);
    lastDone = d;
    lastT = now;
    onProgress({
      elapsedMs: now - t0,
      done: d,
      planned: Number.isFinite(sched.localTotal) ? sched.localTotal : null,
      currentRps: rps,
      p95Ms: rec.latency.count > 0 ? rec.latency.histogram().getValueAtPercentile(95) / 1000 : null,
      failed: rec.failed,
      status5xx: rec.status5xx(),
      queued: rec.queuedNow,
    });
  }, intervalMs);
  timer.unref();
  return timer;
}
