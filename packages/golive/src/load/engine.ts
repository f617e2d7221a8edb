/**
 * The load engine of one thread: a pool of keep-alive HTTP/1.1 connections (connections = concurrency, no
 * pipelining; golive's own client in h1.ts, or an undici Pool), requests sent through `dispatch` with a light
 * handler (no streams, bodies counted and dropped as they arrive), latencies
 * in integer microseconds into HDR histograms.
 *
 * Closed model: `concurrency` loops, each sending its next request when the previous one answered.
 * Open model: request i is due at start + i / rate whatever the server does; at most `maxInFlight` are in
 * flight and due requests wait in a queue. Latency is measured from the scheduled start (the wait counts:
 * no coordinated omission); the latency from the actual send and the schedule lag are reported beside it.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import type { Redactor } from '../core/redact.ts';
import { classifyError, type NetworkErrorKind } from '../http/errors.ts';
import { BufferedRecorder, DEFAULT_EXACT_SAMPLE_LIMIT, ExactSamples, encodeHistogram, summarize } from './histogram.ts';
import {
  type AbortInfo,
  deriveFlags,
  type ErrorSample,
  LOAD_RESULT_FORMAT,
  LOAD_RESULT_VERSION,
  type LoadModel,
  type LoadResult,
  MAX_ERROR_SAMPLES,
  MAX_STALLS,
  type ReplyCounts,
  type Stall,
} from './result.ts';
import { type H1Controller, type H1Handler, H1Pool, type H1Request } from './h1.ts';
import type { Plan } from './scenario.ts';

/** Model options as callers give them. */
export type ModelOptions =
  | { type: 'closed'; concurrency: number; total?: number; durationMs?: number }
  | { type: 'open'; ratePerSec: number; total?: number; durationMs?: number; maxInFlight: number; maxQueue?: number | null };

/** Abort the run when too many of the last `window` requests failed with a 5xx or a network error. */
export interface SpikeOptions {
  /** Number of most recent completions looked at. */
  window: number;
  /** Fraction (0..1) of them that must be bad to abort, e.g. 0.5. */
  ratio: number;
}

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
  /** Headers and body inactivity timeout per request (default 10 s). */
  timeoutMs?: number;
  /** Side-effect-free requests sent (concurrently, on the pool's connections) before the timed phase. */
  warmup?: { requests: number; path: string; method?: 'GET' | 'HEAD'; headers?: Record<string, string> } | null;
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
  tls?: { rejectUnauthorized?: boolean };
  /**
   * HTTP client: golive's own HTTP/1.1 connections (`native`, default: about half the CPU per request) or
   * an undici Pool (`undici`).
   */
  transport?: 'native' | 'undici';
  toolVersion?: string;
}

const EPOCH_OFFSET = performance.timeOrigin;

/** The engine's view of a transport: golive's own HTTP/1.1 client (default) or an undici Pool. */
interface Transport {
  dispatch(req: H1Request, handler: H1Handler): void;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

// Only undici's Pool is loaded, not its index (fetch, WebSocket, caches, mocks...), and only for
// `transport: 'undici'`: ~14 MB less resident memory otherwise.
const require = createRequire(import.meta.url);
function loadPool(): typeof UndiciPool {
  try {
    return require('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
  } catch {
    return (require('undici') as { Pool: typeof UndiciPool }).Pool;
  }
}

/** undici's Pool behind the transport interface. */
class UndiciTransport implements Transport {
  private readonly pool: UndiciPool;
  constructor(origin: string, connections: number, timeoutMs: number, rejectUnauthorized: boolean) {
    const Pool = loadPool();
    // undici's per-request timers (headers, body) cost more than the rest of the engine's bookkeeping at
    // tens of thousands of requests per second; the engine's sweep over requests in flight does that job.
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
      connect: { timeout: timeoutMs, rejectUnauthorized },
    });
  }
  dispatch(req: H1Request, handler: H1Handler): void {
    const t = req.timeoutMs ?? 0;
    this.pool.dispatch(
      { method: req.method as Dispatcher.HttpMethod, path: req.path, headers: req.headers ?? {}, body: req.body ?? null, headersTimeout: t, bodyTimeout: t },
      handler as unknown as Dispatcher.DispatchHandler,
    );
  }
  close(): Promise<void> {
    return this.pool.close();
  }
  destroy(): Promise<void> {
    return this.pool.destroy();
  }
}

/** One request; resolves with the status once the body is drained. */
function dispatchOnce(pool: Transport, req: H1Request): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    try {
      pool.dispatch(req, {
        // undici recognises its current handler interface by onRequestStart.
        onRequestStart() {},
        onResponseStart(_c, statusCode) {
          status = statusCode;
        },
        onResponseData() {},
        onResponseEnd() {
          resolve(status);
        },
        onResponseError(_c, err) {
          reject(err);
        },
      });
    } catch (err) {
      reject(err);
    }
  });
}

function nowMs(): number {
  return performance.now();
}

/** Number of indices i < total with i ≡ offset (mod step). */
function partitionCount(total: number, offset: number, step: number): number {
  if (!Number.isFinite(total)) return total;
  return offset >= total ? 0 : Math.floor((total - 1 - offset) / step) + 1;
}

/** Runs one engine to completion and returns its result. Never throws for network trouble. */
export async function runEngine(options: EngineOptions): Promise<LoadResult> {
  const base = new URL(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { offset, step } = options.partition ?? { offset: 0, step: 1 };
  const model = options.model;
  const connections = model.type === 'closed' ? model.concurrency : model.maxInFlight;
  const rejectUnauthorized = options.tls?.rejectUnauthorized ?? true;
  const replayHeader = (options.replayHeader ?? 'idempotent-replayed').toLowerCase();
  const keyed = (options.plan.unique ?? null) !== null;
  const pool: Transport =
    options.transport === 'undici'
      ? new UndiciTransport(base.origin, connections, timeoutMs, rejectUnauthorized)
      : new H1Pool(base, { connections, connectTimeoutMs: timeoutMs, rejectUnauthorized, keepHeaders: keyed ? [replayHeader] : [] });
  const basePath = base.pathname.replace(/\/$/, '');
  const fullPath = (p: string) => (p.startsWith('/') ? `${basePath}${p}` : `${basePath}/${p}`);
  const redact = (s: string) => (options.redactor ? options.redactor.redact(s) : s);

  // ---- warm-up
  let warmup: LoadResult['warmup'] = null;
  let warmupAbort: AbortInfo | null = null;
  if (options.warmup && options.warmup.requests > 0 && !options.signal?.aborted) {
    const w = options.warmup;
    const t0 = nowMs();
    let ok = 0;
    let failed = 0;
    let lastError = '';
    const one = async () => {
      try {
        // The sweep does not cover warm-up: these carry their own timeout.
        await dispatchOnce(pool, { method: w.method ?? 'GET', path: fullPath(w.path), headers: w.headers ?? {}, timeoutMs });
        ok++;
      } catch (err) {
        failed++;
        const c = classifyError(err);
        lastError = `${c.kind}${c.code ? ` (${c.code})` : ''}: ${c.message}`;
      }
    };
    // A cancellation during the warm-up ends it at once (the requests fail as aborted; the run reports why).
    const cancelWarmup = () => void pool.destroy().catch(() => {});
    options.signal?.addEventListener('abort', cancelWarmup, { once: true });
    try {
      await Promise.all(Array.from({ length: w.requests }, one));
    } finally {
      options.signal?.removeEventListener('abort', cancelWarmup);
    }
    warmup = { requests: w.requests, ok, failed, durationMs: nowMs() - t0 };
    if (ok === 0 && !options.signal?.aborted) {
      warmupAbort = {
        reason: 'warmup-failed',
        atMs: 0,
        message: redact(`no warm-up request to ${w.method ?? 'GET'} ${base.origin}${fullPath(w.path)} got an answer; last error ${lastError}`),
      };
    }
  }

  // ---- recording state
  // HDR histograms behind a plain array of counts (see BufferedRecorder): read them through histogram().
  const latency = new BufferedRecorder();
  const uncorrected: BufferedRecorder | null = model.type === 'open' ? new BufferedRecorder() : null;
  const lag: BufferedRecorder | null = model.type === 'open' ? new BufferedRecorder() : null;
  const limit = options.exactSampleLimit ?? DEFAULT_EXACT_SAMPLE_LIMIT;
  const latencySamples = new ExactSamples(limit);
  const uncorrectedSamples = new ExactSamples(model.type === 'open' ? limit : 0);
  const statusCounts = new Uint32Array(600);
  const errors: Partial<Record<NetworkErrorKind, number>> = {};
  const replies: ReplyCounts = { created: 0, replayed: 0, conflict: 0, other: 0 };
  const createdStatus = new Set(options.createdStatus ?? [201]);
  const errorSamples: ErrorSample[] = [];
  const stalls: Stall[] = [];
  const timelineResponses: number[] = [];
  const timelineFailed: number[] = [];
  const timeline5xx: number[] = [];
  let bytesReceived = 0;
  let bytesSent = 0;
  let sent = 0;
  let responses = 0;
  let failed = 0;
  let dropped = 0;
  let queuedMax = 0;
  let queuedNow = 0;
  let inflight = 0;
  // A typed array, not a `let`: a double stored in a closure variable is boxed anew on every store.
  const lastCompletion = new Float64Array(1);
  const spike = options.abortOnSpike ?? null;
  const spikeRing = spike ? new Uint8Array(Math.max(1, spike.window)) : null;
  let spikeIdx = 0;
  let spikeFilled = 0;
  let spikeBad = 0;
  const stallOpt = options.stall ?? { minMs: 100, factor: 10 };

  // ---- plan bounds for this partition
  const planned = options.plan.size;
  let localTotal: number;
  let durationMs: number | null;
  let intervalMs = 0;
  if (model.type === 'closed') {
    const total = model.total ?? planned;
    localTotal = partitionCount(Math.min(total, planned), offset, step);
    durationMs = model.durationMs ?? null;
    if (!Number.isFinite(localTotal) && durationMs === null) throw new RangeError('closed model needs a total or a duration');
  } else {
    intervalMs = 1000 / model.ratePerSec;
    const total = model.total ?? (model.durationMs !== undefined ? Math.floor((model.durationMs * model.ratePerSec) / 1000) : Number.NaN);
    if (!Number.isFinite(total)) throw new RangeError('open model needs a total or a duration');
    localTotal = partitionCount(Math.min(total, planned), offset, step);
    durationMs = model.durationMs ?? total * intervalMs;
  }

  let stopped = false;
  let abortInfo: AbortInfo | null = warmupAbort;
  let t0 = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const bucket = (tMs: number) => Math.max(0, Math.floor((tMs - t0) / 1000));
  const bump = (arr: number[], b: number) => {
    if (b < arr.length) {
      arr[b] = (arr[b] as number) + 1;
      return;
    }
    while (arr.length < b) arr.push(0);
    arr.push(1);
  };

  const stop = (info: AbortInfo | null) => {
    if (stopped) return;
    stopped = true;
    if (info && !abortInfo) abortInfo = info;
  };

  const onCancel = () => {
    stop({ reason: 'cancelled', atMs: t0 ? nowMs() - t0 : 0, message: 'the run was cancelled (timeout or interrupt)' });
    void pool.destroy().catch(() => {});
    finish();
  };
  if (options.signal) {
    if (options.signal.aborted) onCancel();
    else options.signal.addEventListener('abort', onCancel, { once: true });
  }

  const trackSpike = (bad: boolean) => {
    if (!spike || !spikeRing) return;
    const v = bad ? 1 : 0;
    if (spikeFilled === spikeRing.length) spikeBad -= spikeRing[spikeIdx] ?? 0;
    else spikeFilled++;
    spikeRing[spikeIdx] = v;
    spikeBad += v;
    spikeIdx = spikeIdx + 1 === spikeRing.length ? 0 : spikeIdx + 1;
    if (spikeFilled === spikeRing.length && spikeBad > spike.ratio * spikeRing.length) {
      stop({
        reason: '5xx-spike',
        atMs: nowMs() - t0,
        message: `${spikeBad} of the last ${spikeRing.length} requests failed with a 5xx or a network error (limit ${Math.round(spike.ratio * 100)} %); stopped after ${responses + failed} requests`,
      });
    }
  };

  const noteCompletion = (end: number, sendMs: number) => {
    const gapStart = Math.max(lastCompletion[0] as number, sendMs);
    const gap = end - gapStart;
    if (gap >= stallOpt.minMs && stalls.length < MAX_STALLS) {
      const p50 = latency.count > 0 ? latency.histogram().getValueAtPercentile(50) / 1000 : 0;
      if (gap >= stallOpt.factor * p50) stalls.push({ atMs: Math.round(gapStart - t0), durationMs: Math.round(gap) });
    }
    lastCompletion[0] = end;
  };

  const countError = (err: unknown) => {
    const c = classifyError(err);
    errors[c.kind] = (errors[c.kind] ?? 0) + 1;
    if (errorSamples.length < MAX_ERROR_SAMPLES) {
      errorSamples.push({ kind: c.kind, message: redact(`${c.kind}${c.code ? ` (${c.code})` : ''}: ${c.message}`) });
    }
  };

  // Requests in flight, for the timeout sweep: fixed slots reused through a free list, not a Set. A Set that
  // takes and drops one entry per request is rehashed every few dozen requests, and each obsolete table keeps
  // a link to its successor; once a full GC has promoted one table (and the requests it points to), every
  // dead old table keeps the next one alive through each scavenge, so all per-request garbage is promoted
  // until the next full GC. In a process that loaded more code before the run (the CLI) that chain set in
  // and a million-request run peaked at 134-189 MB instead of ~100 MB.
  const inFlightSlots: (Handler | null)[] = [];
  const freeSlots: number[] = [];
  const track = (h: Handler) => {
    const slot = freeSlots.pop() ?? inFlightSlots.length;
    h.slot = slot;
    inFlightSlots[slot] = h;
  };
  const untrack = (h: Handler) => {
    if (h.slot >= 0 && inFlightSlots[h.slot] === h) {
      inFlightSlots[h.slot] = null;
      freeSlots.push(h.slot);
    }
    h.slot = -1;
  };
  const sweep = setInterval(
    () => {
      const limit = nowMs() - timeoutMs;
      for (const h of inFlightSlots) {
        if (h === null || h.sendMs > limit) continue;
        untrack(h);
        const err = Object.assign(new Error(`no complete answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
        if (h.controller) h.controller.abort(err);
      }
    },
    Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4))),
  );
  sweep.unref();

  let next = 0; // local index of the next request to send
  let launchNext: (now: number) => void = () => {};

  // Handlers of finished requests are reused on golive's own client, which never calls a handler after its
  // onResponseEnd / onResponseError: no object (and no boxed timestamps) allocated per request.
  const reuseHandlers = options.transport !== 'undici';
  const spareHandlers: Handler[] = [];

  class Handler implements H1Handler {
    scheduledMs: number;
    sendMs: number;
    /** Index in inFlightSlots while tracked, else -1. */
    slot = -1;
    status = 0;
    replayed = false;
    bytes = 0;
    capture: Buffer[] | null = null;
    controller: H1Controller | null = null;
    constructor(scheduledMs: number, sendMs: number) {
      this.scheduledMs = scheduledMs;
      this.sendMs = sendMs;
    }
    /** Makes a finished handler new for the next request. */
    reset(scheduledMs: number, sendMs: number): this {
      this.scheduledMs = scheduledMs;
      this.sendMs = sendMs;
      this.slot = -1;
      this.status = 0;
      this.replayed = false;
      this.bytes = 0;
      this.capture = null;
      this.controller = null;
      return this;
    }
    private release(): void {
      if (reuseHandlers) spareHandlers.push(this);
    }
    onRequestStart(controller: H1Controller): void {
      this.controller = controller;
    }
    onResponseStart(_c: H1Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
      this.status = statusCode;
      if (keyed) {
        const v = headers[replayHeader];
        this.replayed = v === 'true' || (Array.isArray(v) && v.includes('true'));
      }
      if (statusCode >= 400 && errorSamples.length < MAX_ERROR_SAMPLES) this.capture = [];
    }
    /** undici's delivery. */
    onResponseData(_c: H1Controller, chunk: Buffer): void {
      this.onResponseBody(_c, chunk, 0, chunk.length);
    }
    /** golive's client: bytes [start, end) of its read buffer, copied only when kept (an error body's start). */
    onResponseBody(_c: H1Controller, buf: Buffer, start: number, end: number): void {
      this.bytes += end - start;
      if (this.capture && this.bytes <= 512) this.capture.push(Buffer.from(buf.subarray(start, end)));
    }
    onResponseEnd(): void {
      const end = nowMs();
      inflight--;
      untrack(this);
      if (!stopped || abortInfo?.reason !== 'cancelled') {
        // Before recording: the stall test compares the gap with the typical latency so far.
        noteCompletion(end, this.sendMs);
        responses++;
        bytesReceived += this.bytes;
        const status = this.status;
        const code = status < 600 ? status : 599;
        statusCounts[code] = (statusCounts[code] as number) + 1;
        const us = Math.max(1, Math.round((end - this.scheduledMs) * 1000));
        latency.record(us);
        latencySamples.push(us);
        if (uncorrected) {
          const u = Math.max(1, Math.round((end - this.sendMs) * 1000));
          uncorrected.record(u);
          uncorrectedSamples.push(u);
        }
        if (keyed) {
          if (status === 409) replies.conflict++;
          else if (this.replayed && status < 300) replies.replayed++;
          else if (createdStatus.has(status)) replies.created++;
          else replies.other++;
        }
        const b = bucket(end);
        bump(timelineResponses, b);
        if (status >= 500) bump(timeline5xx, b);
        if (this.capture && errorSamples.length < MAX_ERROR_SAMPLES) {
          const text = Buffer.concat(this.capture).toString('utf8').slice(0, 200).replace(/\s+/g, ' ');
          errorSamples.push({ status, message: redact(`HTTP ${status}: ${text}`) });
        }
        trackSpike(status >= 500);
      }
      this.release();
      launchNext(end);
    }
    onResponseError(_c: H1Controller | null, err: Error): void {
      const end = nowMs();
      inflight--;
      untrack(this);
      if (!stopped || abortInfo?.reason !== 'cancelled') {
        failed++;
        countError(err);
        bump(timelineFailed, bucket(end));
        noteCompletion(end, this.sendMs);
        trackSpike(true);
      }
      this.release();
      launchNext(end);
    }
  }

  // The request handed to the transport, rebuilt only when the plan gives another request object (a plan
  // without per-request variables repeats one).
  let lastReq: ReturnType<Plan['get']> | null = null;
  let lastPath = '';
  let lastFullPath = '';
  let wire: H1Request = { method: 'GET', path: '/', headers: null };
  /** Sends local request `local`, due at `scheduledMs`, at `sendMs` (now). */
  const send = (local: number, scheduledMs: number, sendMs: number) => {
    const req = options.plan.get(offset + local * step);
    const h = spareHandlers.pop()?.reset(scheduledMs, sendMs) ?? new Handler(scheduledMs, sendMs);
    inflight++;
    track(h);
    if (req !== lastReq) {
      lastReq = req;
      if (req.path !== lastPath) {
        lastPath = req.path;
        lastFullPath = fullPath(req.path);
      }
      wire = { method: req.method, path: lastFullPath, headers: req.headers, body: req.body ?? null };
    }
    sent++;
    if (req.body) bytesSent += req.body.length;
    if (lag) lag.record(Math.max(1, Math.round((sendMs - scheduledMs) * 1000)));
    try {
      pool.dispatch(wire, h);
    } catch (err) {
      // Invalid requests (a header value with CR/LF) are refused synchronously: counted like any failure, in
      // a microtask so that a plan of refused requests does not recurse once per request.
      queueMicrotask(() => h.onResponseError(null, err as Error));
    }
  };

  let endMs = 0;
  const maybeFinish = () => {
    if (inflight === 0 && (stopped || next >= localTotal || (durationMs !== null && model.type === 'closed' && nowMs() - t0 >= durationMs))) {
      if (!endMs) endMs = nowMs();
      finish();
    }
  };

  let pumpTimer: NodeJS.Timeout | undefined;
  let startOpen: () => void = () => {};
  if (model.type === 'closed') {
    const deadline = () => (durationMs === null ? Number.POSITIVE_INFINITY : t0 + durationMs);
    // The closed model's next request is due when the previous one ended: `now` is its start.
    launchNext = (now) => {
      if (!stopped && next < localTotal && now < deadline()) {
        send(next++, now, now);
        return;
      }
      maybeFinish();
    };
  } else {
    const maxQueue = model.maxQueue ?? null;
    const maxInFlight = model.maxInFlight;
    // Local request j is global index offset + j·step, due at t0 + (offset + j·step) · interval.
    const dueAt = (j: number) => t0 + (offset + j * step) * intervalMs;
    const dueCount = (now: number) => {
      const g = Math.floor((now - t0) / intervalMs); // global indices 0..g are due
      if (g < offset) return 0;
      return Math.min(localTotal, Math.floor((g - offset) / step) + 1);
    };
    const scheduleEnd = () => t0 + (durationMs ?? 0);
    const drain = (now: number) => {
      const due = dueCount(now);
      while (!stopped && next < due && inflight < maxInFlight) {
        const j = next++;
        send(j, dueAt(j), nowMs());
      }
      let queued = due - next;
      if (maxQueue !== null && queued > maxQueue) {
        dropped += queued - maxQueue;
        next += queued - maxQueue;
        queued = maxQueue;
      }
      if (queued > queuedMax) queuedMax = queued;
      queuedNow = queued;
      return due;
    };
    launchNext = (now) => {
      if (!stopped) drain(now);
      maybeFinish();
    };
    const pump = () => {
      pumpTimer = undefined;
      if (stopped) return maybeFinish();
      const now = nowMs();
      const due = drain(now);
      if (due >= localTotal) {
        // Everything is due. Requests still queued after the schedule ended plus the timeout are dropped.
        if (next < localTotal && now > scheduleEnd() + timeoutMs) {
          dropped += localTotal - next;
          next = localTotal;
        }
        if (next < localTotal) pumpTimer = setTimeout(pump, 5);
        maybeFinish();
        return;
      }
      pumpTimer = setTimeout(pump, Math.max(0, dueAt(due) - nowMs()));
    };
    startOpen = pump;
  }

  // ---- progress
  let progressTimer: NodeJS.Timeout | undefined;
  const startProgress = () => {
    if (!options.onProgress) return;
    let lastDone = 0;
    let lastT = nowMs();
    progressTimer = setInterval(() => {
      const now = nowMs();
      const d = responses + failed;
      const rps = ((d - lastDone) * 1000) / Math.max(1, now - lastT);
      lastDone = d;
      lastT = now;
      options.onProgress?.({
        elapsedMs: now - t0,
        done: d,
        planned: Number.isFinite(localTotal) ? localTotal : null,
        currentRps: rps,
        p95Ms: latency.count > 0 ? latency.histogram().getValueAtPercentile(95) / 1000 : null,
        failed,
        status5xx: statusCounts.slice(500).reduce((a, b) => a + b, 0),
        queued: queuedNow,
      });
    }, options.progressIntervalMs ?? 250);
    progressTimer.unref();
  };

  // ---- timed phase
  if (!abortInfo) {
    const startAt = options.beforeStart ? await options.beforeStart() : undefined;
    if (startAt !== undefined) {
      const waitMs = startAt - (EPOCH_OFFSET + nowMs());
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      t0 = startAt - EPOCH_OFFSET;
    } else {
      t0 = nowMs();
    }
    lastCompletion[0] = t0;
    startProgress();
    if (localTotal === 0) finish();
    else if (model.type === 'closed') {
      const n = Math.min(model.concurrency, Number.isFinite(localTotal) ? localTotal : model.concurrency);
      for (let c = 0; c < n && !stopped; c++) {
        const now = nowMs();
        send(next++, now, now);
      }
      if (durationMs !== null) {
        // A duration-bound run with no completions (a silent server) still ends: in-flight requests time out.
        pumpTimer = setTimeout(() => maybeFinish(), durationMs + 1);
      }
    } else {
      startOpen();
    }
    await done;
  } else {
    t0 = nowMs();
    endMs = t0;
  }
  if (!endMs) endMs = nowMs();
  if (progressTimer) clearInterval(progressTimer);
  clearInterval(sweep);
  if (pumpTimer) clearTimeout(pumpTimer);
  options.signal?.removeEventListener('abort', onCancel);
  await pool.close().catch(() => pool.destroy().catch(() => {}));

  // ---- result
  const statusCodes: Record<string, number> = {};
  const statusClasses = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  statusCounts.forEach((n, code) => {
    if (!n) return;
    statusCodes[String(code)] = n;
    const cls = code < 200 ? '1xx' : code < 300 ? '2xx' : code < 400 ? '3xx' : code < 500 ? '4xx' : '5xx';
    statusClasses[cls] += n;
  });
  const elapsed = Math.max(0, endMs - t0);
  const first = options.plan.size > 0 ? options.plan.get(offset) : undefined;
  const resultModel: LoadModel =
    model.type === 'closed'
      ? { type: 'closed', concurrency: model.concurrency, total: Number.isFinite(localTotal) ? localTotal : null, durationMs: model.durationMs ?? null }
      : {
          type: 'open',
          ratePerSec: model.ratePerSec / step,
          total: localTotal,
          durationMs: durationMs ?? 0,
          maxInFlight: model.maxInFlight,
          maxQueue: model.maxQueue ?? null,
        };
  const attempts = responses + failed;
  const keys = options.keys ?? null;
  const startEpoch = EPOCH_OFFSET + t0;
  const endEpoch = EPOCH_OFFSET + endMs;
  const result: LoadResult = {
    format: LOAD_RESULT_FORMAT,
    version: LOAD_RESULT_VERSION,
    tool: { name: 'golive', version: options.toolVersion ?? '0.0.0' },
    target: redact(`${base.origin}${first ? fullPath(first.path).split('?')[0] : basePath || '/'}`),
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
      sent,
      responses,
      failed,
      dropped,
      queuedMax,
    },
    statusClasses,
    statusCodes,
    errors,
    errorRate: attempts === 0 ? 0 : (failed + statusClasses['5xx']) / attempts,
    replies: keyed ? replies : null,
    keys: keys ? { total: keys.total, unique: keys.unique, expectedRatio: keys.unique / keys.total } : null,
    bytes: { received: bytesReceived, sentBody: bytesSent },
    throughput: {
      requestsPerSec: elapsed > 0 ? responses / (elapsed / 1000) : 0,
      bytesPerSec: elapsed > 0 ? bytesReceived / (elapsed / 1000) : 0,
    },
    latency: summarize(latency.histogram(), latencySamples.values),
    latencyUncorrected: uncorrected ? summarize(uncorrected.histogram(), uncorrectedSamples.values) : null,
    scheduleLag: lag ? summarize(lag.histogram(), null) : null,
    stalls,
    flags: [],
    aborted: abortInfo,
    warmup,
    timeline: { bucketMs: 1000, responses: timelineResponses, failed: timelineFailed, status5xx: timeline5xx },
    errorSamples,
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
