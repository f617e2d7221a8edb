/**
 * When the engine sends its requests, and when its timed phase ends.
 *
 * Closed model ({@link ClosedScheduler}): `concurrency` loops, each sending its next request when the previous
 * one answered. Open model ({@link OpenScheduler}): request i is due at start + i / rate whatever the server
 * does; at most `maxInFlight` are in flight and due requests wait in a queue (dropped beyond `maxQueue`, and
 * once the schedule ended more than a timeout ago). Latency counts from the scheduled start (no coordinated
 * omission).
 *
 * A scheduler also holds the run's control state (stopped, why, requests in flight), since every path that
 * ends a run goes through it: the last completion, the duration, a spike, a cancellation.
 */
import { performance } from 'node:perf_hooks';
import type { RunRecorder } from './recorder.ts';
import type { AbortInfo } from './result.ts';

/** Model options as callers give them. */
export type ModelOptions =
  | { type: 'closed'; concurrency: number; total?: number; durationMs?: number }
  | { type: 'open'; ratePerSec: number; total?: number; durationMs?: number; maxInFlight: number; maxQueue?: number | null };

/** What a scheduler sends through: the engine's request sender. */
export interface Sender {
  /** Sends local request `local`, due at `scheduledMs`, at `sendMs` (now). */
  send(local: number, scheduledMs: number, sendMs: number): void;
}

/** A partition's share of a plan and model: this engine sends plan indices offset, offset + step, ... */
export interface PlanBounds {
  /** Requests this engine sends (Infinity when only a duration bounds a closed run). */
  localTotal: number;
  durationMs: number | null;
  /** Open model: ms between two requests of the whole run (0 for the closed model). */
  intervalMs: number;
}

/** Number of indices i < total with i ≡ offset (mod step). */
function partitionCount(total: number, offset: number, step: number): number {
  if (!Number.isFinite(total)) return total;
  return offset >= total ? 0 : Math.floor((total - 1 - offset) / step) + 1;
}

/** The requests and duration of partition (offset, step) of a plan of `planned` requests under `model`. */
export function planBounds(model: ModelOptions, planned: number, offset: number, step: number): PlanBounds {
  if (model.type === 'closed') {
    const total = model.total ?? planned;
    const localTotal = partitionCount(Math.min(total, planned), offset, step);
    const durationMs = model.durationMs ?? null;
    if (!Number.isFinite(localTotal) && durationMs === null) throw new RangeError('closed model needs a total or a duration');
    return { localTotal, durationMs, intervalMs: 0 };
  }
  const intervalMs = 1000 / model.ratePerSec;
  const total = model.total ?? (model.durationMs !== undefined ? Math.floor((model.durationMs * model.ratePerSec) / 1000) : Number.NaN);
  if (!Number.isFinite(total)) throw new RangeError('open model needs a total or a duration');
  const localTotal = partitionCount(Math.min(total, planned), offset, step);
  return { localTotal, durationMs: model.durationMs ?? total * intervalMs, intervalMs };
}

/** The run's control state and the part of scheduling both models share. */
export abstract class Scheduler {
  stopped = false;
  /** Set when a cancellation stopped the run: completions after it are not counted. */
  ignoreCompletions = false;
  abortInfo: AbortInfo | null;
  /** Requests handed to the transport and not yet completed. */
  inflight = 0;
  /** Local index of the next request to send. */
  next = 0;
  /** Start of the timed phase (performance.now() ms). */
  t0 = 0;
  /** When the last request completed after the run ended (0 while it runs). */
  endMs = 0;
  readonly localTotal: number;
  readonly durationMs: number | null;
  /** Resolves when the run is over. */
  readonly done: Promise<void>;
  protected readonly sender: Sender;
  protected timer: NodeJS.Timeout | undefined;
  /** Closed model with a duration: the run ends once it has passed and nothing is in flight. */
  private readonly durationEnds: boolean;
  private resolveDone: () => void = () => {};

  constructor(sender: Sender, bounds: PlanBounds, durationEnds: boolean, abortInfo: AbortInfo | null) {
    this.sender = sender;
    this.localTotal = bounds.localTotal;
    this.durationMs = bounds.durationMs;
    this.durationEnds = durationEnds && bounds.durationMs !== null;
    this.abortInfo = abortInfo;
    this.done = new Promise<void>((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** Stops sending; the first reason given is the run's. */
  stop(info: AbortInfo | null): void {
    if (this.stopped) return;
    this.stopped = true;
    if (info && !this.abortInfo) {
      this.abortInfo = info;
      this.ignoreCompletions = info.reason === 'cancelled';
    }
  }

  /** Ends the run now (whatever is still in flight is not waited for). */
  finish(): void {
    this.resolveDone();
  }

  /** Starts the timed phase at `t0`. */
  begin(t0: number): void {
    this.t0 = t0;
    if (this.localTotal === 0) this.finish();
    else this.launch();
  }

  /** A request completed at `end` (answered or failed): the next one may go. */
  completed(end: number): void {
    this.inflight--;
    this.launchNext(end);
  }

  /** Clears the scheduler's timer. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** First sends of the timed phase. */
  protected abstract launch(): void;
  /** After a completion at `now`. */
  protected abstract launchNext(now: number): void;

  protected sendOne(local: number, scheduledMs: number, sendMs: number): void {
    this.inflight++;
    this.sender.send(local, scheduledMs, sendMs);
  }

  protected maybeFinish(): void {
    if (this.inflight === 0 && (this.stopped || this.next >= this.localTotal || (this.durationEnds && performance.now() - this.t0 >= (this.durationMs as number)))) {
      if (!this.endMs) this.endMs = performance.now();
      this.finish();
    }
  }
}

/** Closed model: each of `concurrency` loops sends its next request when the previous one completed. */
export class ClosedScheduler extends Scheduler {
  private readonly concurrency: number;
  private deadline = Number.POSITIVE_INFINITY;

  constructor(sender: Sender, bounds: PlanBounds, concurrency: number, abortInfo: AbortInfo | null) {
    super(sender, bounds, true, abortInfo);
    this.concurrency = concurrency;
  }

  protected launch(): void {
    if (this.durationMs !== null) this.deadline = this.t0 + this.durationMs;
    const n = Math.min(this.concurrency, Number.isFinite(this.localTotal) ? this.localTotal : this.concurrency);
    for (let c = 0; c < n && !this.stopped; c++) {
      const now = performance.now();
      this.sendOne(this.next++, now, now);
    }
    if (this.durationMs !== null) {
      // A duration-bound run with no completions (a silent server) still ends: in-flight requests time out.
      this.timer = setTimeout(() => this.maybeFinish(), this.durationMs + 1);
    }
  }

  // The closed model's next request is due when the previous one ended: `now` is its start.
  protected launchNext(now: number): void {
    if (!this.stopped && this.next < this.localTotal && now < this.deadline) {
      this.sendOne(this.next++, now, now);
      return;
    }
    this.maybeFinish();
  }
}

/** Open model: local request j is global index offset + j·step, due at t0 + (offset + j·step) · interval. */
export class OpenScheduler extends Scheduler {
  private readonly recorder: RunRecorder;
  private readonly offset: number;
  private readonly step: number;
  private readonly intervalMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueue: number | null;
  private readonly timeoutMs: number;
  // Made once: the pump re-arms its timer up to once per scheduled request.
  private readonly pumpBound = () => this.pump();

  constructor(
    sender: Sender,
    bounds: PlanBounds,
    model: { maxInFlight: number; maxQueue?: number | null },
    partition: { offset: number; step: number },
    timeoutMs: number,
    recorder: RunRecorder,
    abortInfo: AbortInfo | null,
  ) {
    super(sender, bounds, false, abortInfo);
    this.recorder = recorder;
    this.offset = partition.offset;
    this.step = partition.step;
    this.intervalMs = bounds.intervalMs;
    this.maxInFlight = model.maxInFlight;
    this.maxQueue = model.maxQueue ?? null;
    this.timeoutMs = timeoutMs;
  }

  protected launch(): void {
    this.pump();
  }

  protected launchNext(now: number): void {
    if (!this.stopped) this.drain(now);
    this.maybeFinish();
  }

  private dueAt(j: number): number {
    return this.t0 + (this.offset + j * this.step) * this.intervalMs;
  }

  /** Local requests due by `now`. */
  private dueCount(now: number): number {
    const g = Math.floor((now - this.t0) / this.intervalMs); // global indices 0..g are due
    if (g < this.offset) return 0;
    return Math.min(this.localTotal, Math.floor((g - this.offset) / this.step) + 1);
  }

  /** Sends what is due while a connection is free; counts (and drops beyond maxQueue) what waits. */
  private drain(now: number): number {
    const due = this.dueCount(now);
    while (!this.stopped && this.next < due && this.inflight < this.maxInFlight) {
      const j = this.next++;
      this.sendOne(j, this.dueAt(j), performance.now());
    }
    let queued = due - this.next;
    const rec = this.recorder;
    if (this.maxQueue !== null && queued > this.maxQueue) {
      rec.dropped += queued - this.maxQueue;
      this.next += queued - this.maxQueue;
      queued = this.maxQueue;
    }
    if (queued > rec.queuedMax) rec.queuedMax = queued;
    rec.queuedNow = queued;
    return due;
  }

  private pump(): void {
    this.timer = undefined;
    if (this.stopped) {
      this.maybeFinish();
      return;
    }
    const now = performance.now();
    const due = this.drain(now);
    const total = this.localTotal;
    if (due >= total) {
      // Everything is due. Requests still queued after the schedule ended plus the timeout are dropped.
      if (this.next < total && now > this.t0 + (this.durationMs ?? 0) + this.timeoutMs) {
        this.recorder.dropped += total - this.next;
        this.next = total;
      }
      if (this.next < total) this.timer = setTimeout(this.pumpBound, 5);
      this.maybeFinish();
      return;
    }
    this.timer = setTimeout(this.pumpBound, Math.max(0, this.dueAt(due) - performance.now()));
  }
}
