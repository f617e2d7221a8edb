/**
 * What one engine records of its timed phase: latencies (HDR histograms behind plain arrays of counts, exact
 * samples while they fit), status and error counts, replies of keyed plans, the per-second timeline, stalls
 * and the sliding window of the 5xx-spike abort. One instance per run; its methods are called once per sent
 * request and once per completion, so they allocate nothing on the common path (a success answered under
 * 65.536 ms): counters are fields of this one object, the last completion time sits in a typed array.
 */
import { performance } from 'node:perf_hooks';
import type { Redactor } from '../core/redact.ts';
import { classifyError, type NetworkErrorKind } from '../http/errors.ts';
import { BufferedRecorder, DEFAULT_EXACT_SAMPLE_LIMIT, ExactSamples } from './histogram.ts';
import { SecondBins } from './latency-bins.ts';
import { type AbortInfo, type ErrorSample, MAX_ERROR_SAMPLES, MAX_STALLS, type ReplyCounts, type Stall } from './result.ts';

/** Abort the run when too many of the last `window` requests failed with a 5xx or a network error. */
export interface SpikeOptions {
  /** Number of most recent completions looked at. */
  window: number;
  /** Fraction (0..1) of them that must be bad to abort, e.g. 0.5. */
  ratio: number;
}

/** Options of a {@link RunRecorder}. */
export interface RecorderOptions {
  /** Open model: also record the latency from the actual send and the schedule lag. */
  open: boolean;
  /** Count replies (created, replayed, conflict) of a keyed plan. */
  keyed: boolean;
  exactSampleLimit?: number;
  /** Statuses counted as a first create (default [201]). */
  createdStatus?: number[];
  abortOnSpike?: SpikeOptions | null;
  /** A gap without any completion while requests are in flight is a stall when ≥ max(minMs, factor × p50). */
  stall?: { minMs: number; factor: number };
  redactor?: Redactor;
  /** Called once when the spike window trips (the engine stops sending). */
  onSpike: (info: AbortInfo) => void;
}

/**
 * A request as the recorder reads it: the handler itself, so its times reach the recorder as fields, not as
 * arguments (a double passed to a call that is not inlined is boxed: one heap number per request).
 */
export interface Completion {
  /** performance.now() ms when the request was due. */
  scheduledMs: number;
  /** performance.now() ms when it was handed to the transport. */
  sendMs: number;
  /** performance.now() ms when it completed (answered or failed). */
  endMs: number;
  status: number;
  replayed: boolean;
  /** Body bytes received. */
  bytes: number;
  /** The start of an error body, or null. */
  capture: Buffer[] | null;
}

/** Increments arr[b], growing the array with zeros up to b. */
function bump(arr: number[], b: number): void {
  if (b < arr.length) {
    arr[b] = (arr[b] as number) + 1;
    return;
  }
  while (arr.length < b) arr.push(0);
  arr.push(1);
}

/** The counters, histograms and samples of one engine's timed phase. */
export class RunRecorder {
  // HDR histograms behind a plain array of counts (see BufferedRecorder): read them through histogram().
  readonly latency = new BufferedRecorder();
  readonly uncorrected: BufferedRecorder | null;
  readonly lag: BufferedRecorder | null;
  readonly latencySamples: ExactSamples;
  readonly uncorrectedSamples: ExactSamples;
  readonly statusCounts = new Uint32Array(600);
  readonly errors: Partial<Record<NetworkErrorKind, number>> = {};
  readonly replies: ReplyCounts = { created: 0, replayed: 0, conflict: 0, other: 0 };
  readonly errorSamples: ErrorSample[] = [];
  readonly stalls: Stall[] = [];
  readonly timelineResponses: number[] = [];
  readonly timelineFailed: number[] = [];
  readonly timeline5xx: number[] = [];
  /** Per-second latency distributions (log-linear bins) for the timeline's percentiles. */
  readonly timelineLatency = new SecondBins();
  bytesReceived = 0;
  bytesSent = 0;
  sent = 0;
  responses = 0;
  failed = 0;
  dropped = 0;
  queuedMax = 0;
  queuedNow = 0;
  /** Start of the timed phase (performance.now() ms); buckets and stall times count from it. */
  t0 = 0;
  // A typed array, not a field holding a double: no heap number boxed per store.
  private readonly lastCompletion = new Float64Array(1);
  private readonly keyed: boolean;
  private readonly createdStatus: Set<number>;
  private readonly stallMinMs: number;
  private readonly stallFactor: number;
  private readonly redactor: Redactor | undefined;
  private readonly onSpike: (info: AbortInfo) => void;
  private readonly spikeRatio: number;
  private readonly spikeRing: Uint8Array | null;
  private spikeIdx = 0;
  private spikeFilled = 0;
  private spikeBad = 0;

  constructor(options: RecorderOptions) {
    const limit = options.exactSampleLimit ?? DEFAULT_EXACT_SAMPLE_LIMIT;
    this.uncorrected = options.open ? new BufferedRecorder() : null;
    this.lag = options.open ? new BufferedRecorder() : null;
    this.latencySamples = new ExactSamples(limit);
    this.uncorrectedSamples = new ExactSamples(options.open ? limit : 0);
    this.keyed = options.keyed;
    this.createdStatus = new Set(options.createdStatus ?? [201]);
    const stall = options.stall ?? { minMs: 100, factor: 10 };
    this.stallMinMs = stall.minMs;
    this.stallFactor = stall.factor;
    this.redactor = options.redactor;
    this.onSpike = options.onSpike;
    const spike = options.abortOnSpike ?? null;
    this.spikeRatio = spike ? spike.ratio : 0;
    this.spikeRing = spike ? new Uint8Array(Math.max(1, spike.window)) : null;
  }

  /** The timed phase starts at `t0` (performance.now() ms). */
  start(t0: number): void {
    this.t0 = t0;
    this.lastCompletion[0] = t0;
  }

  redact(s: string): string {
    return this.redactor ? this.redactor.redact(s) : s;
  }

  /** Whether an error answer's body should be captured (an error sample is still free). */
  wantsErrorBody(): boolean {
    return this.errorSamples.length < MAX_ERROR_SAMPLES;
  }

  /** Request `r` (its scheduledMs and sendMs set) was handed to the transport with a body of `bodyBytes`. */
  recordSend(bodyBytes: number, r: Completion): void {
    this.sent++;
    this.bytesSent += bodyBytes;
    if (this.lag) this.lag.record(Math.max(1, Math.round((r.sendMs - r.scheduledMs) * 1000)));
  }

  /** Request `r` got a complete answer at r.endMs. */
  recordResponse(r: Completion): void {
    // Before recording: the stall test compares the gap with the typical latency so far.
    this.noteCompletion(r);
    const end = r.endMs;
    const status = r.status;
    const capture = r.capture;
    this.responses++;
    this.bytesReceived += r.bytes;
    const code = status < 600 ? status : 599;
    this.statusCounts[code] = (this.statusCounts[code] as number) + 1;
    const us = Math.max(1, Math.round((end - r.scheduledMs) * 1000));
    this.latency.record(us);
    this.latencySamples.push(us);
    if (this.uncorrected) {
      const u = Math.max(1, Math.round((end - r.sendMs) * 1000));
      this.uncorrected.record(u);
      this.uncorrectedSamples.push(u);
    }
    if (this.keyed) {
      const replies = this.replies;
      if (status === 409) replies.conflict++;
      else if (r.replayed && status < 300) replies.replayed++;
      else if (this.createdStatus.has(status)) replies.created++;
      else replies.other++;
    }
    const b = Math.max(0, Math.floor((end - this.t0) / 1000));
    bump(this.timelineResponses, b);
    this.timelineLatency.record(b, us);
    if (status >= 500) bump(this.timeline5xx, b);
    if (capture && this.errorSamples.length < MAX_ERROR_SAMPLES) {
      const text = Buffer.concat(capture).toString('utf8').slice(0, 200).replace(/\s+/g, ' ');
      this.errorSamples.push({ status, message: this.redact(`HTTP ${status}: ${text}`) });
    }
    if (this.spikeRing) this.trackSpike(status >= 500);
  }

  /** Request `r` failed at r.endMs without a complete answer. */
  recordFailure(r: Completion, err: unknown): void {
    this.failed++;
    const c = classifyError(err);
    this.errors[c.kind] = (this.errors[c.kind] ?? 0) + 1;
    if (this.errorSamples.length < MAX_ERROR_SAMPLES) {
      this.errorSamples.push({ kind: c.kind, message: this.redact(`${c.kind}${c.code ? ` (${c.code})` : ''}: ${c.message}`) });
    }
    bump(this.timelineFailed, Math.max(0, Math.floor((r.endMs - this.t0) / 1000)));
    this.noteCompletion(r);
    if (this.spikeRing) this.trackSpike(true);
  }

  /** Number of 5xx answers so far. */
  status5xx(): number {
    let n = 0;
    for (let code = 500; code < 600; code++) n += this.statusCounts[code] as number;
    return n;
  }

  /** Records a stall when no request completed for long before `r` did. */
  private noteCompletion(r: Completion): void {
    const end = r.endMs;
    const gapStart = Math.max(this.lastCompletion[0] as number, r.sendMs);
    const gap = end - gapStart;
    if (gap >= this.stallMinMs && this.stalls.length < MAX_STALLS) {
      const p50 = this.latency.count > 0 ? this.latency.histogram().getValueAtPercentile(50) / 1000 : 0;
      if (gap >= this.stallFactor * p50) this.stalls.push({ atMs: Math.round(gapStart - this.t0), durationMs: Math.round(gap) });
    }
    this.lastCompletion[0] = end;
  }

  private trackSpike(bad: boolean): void {
    const ring = this.spikeRing as Uint8Array;
    const v = bad ? 1 : 0;
    if (this.spikeFilled === ring.length) this.spikeBad -= ring[this.spikeIdx] ?? 0;
    else this.spikeFilled++;
    ring[this.spikeIdx] = v;
    this.spikeBad += v;
    this.spikeIdx = this.spikeIdx + 1 === ring.length ? 0 : this.spikeIdx + 1;
    if (this.spikeFilled === ring.length && this.spikeBad > this.spikeRatio * ring.length) {
      this.onSpike({
        reason: '5xx-spike',
        atMs: performance.now() - this.t0,
        message: `${this.spikeBad} of the last ${ring.length} requests failed with a 5xx or a network error (limit ${Math.round(this.spikeRatio * 100)} %); stopped after ${this.responses + this.failed} requests`,
      });
    }
  }
}
