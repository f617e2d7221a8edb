/**
 * The engine's hot path: plan requests handed to the transport, each with a light handler (no streams,
 * bodies counted and dropped as they arrive) that records its completion and lets the scheduler send the
 * next one.
 */
import { performance } from 'node:perf_hooks';
import type { H1Controller, H1Handler, H1Request } from './h1.ts';
import type { Completion, RunRecorder } from './recorder.ts';
import type { Plan } from './scenario.ts';
import type { Scheduler, Sender } from './schedulers.ts';
import type { TimeoutSweep } from './timeout-sweep.ts';
import type { Transport } from './transport.ts';

/** The handler of one request in flight; reused for later requests on golive's own client. */
class RequestHandler implements H1Handler, Completion {
  readonly sender: RequestSender;
  scheduledMs: number;
  sendMs: number;
  endMs = 0;
  /** Index in the timeout sweep's slots while tracked, else -1. */
  slot = -1;
  status = 0;
  replayed = false;
  bytes = 0;
  capture: Buffer[] | null = null;
  controller: H1Controller | null = null;
  constructor(sender: RequestSender, scheduledMs: number, sendMs: number) {
    this.sender = sender;
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
  onRequestStart(controller: H1Controller): void {
    this.controller = controller;
  }
  onResponseStart(_c: H1Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    const s = this.sender;
    if (s.replayHeader !== null) {
      const v = headers[s.replayHeader];
      this.replayed = v === 'true' || (Array.isArray(v) && v.includes('true'));
    }
    if (statusCode >= 400 && s.recorder.wantsErrorBody()) this.capture = [];
  }
  /** undici's delivery. */
  onResponseData(_c: H1Controller, chunk: Buffer): void {
    this.onResponseBody(_c, chunk, 0, chunk.length);
  }
  /** golive's client: bytes [start, end) of its read buffer, copied only when kept (an error body's start). */
  onResponseBody(_c: H1Controller, buf: Buffer, start: number, end: number): void {
    this.bytes += end - start;
    // A target that streams without end must not cost unbounded time, memory or bandwidth: past the cap the
    // exchange fails (and its connection closes), reported with the cap.
    if (this.bytes > this.sender.maxBodyBytes) {
      _c.abort(bodyTooLarge(this.sender.maxBodyBytes));
      return;
    }
    if (this.capture && this.bytes <= 512) this.capture.push(Buffer.from(buf.subarray(start, end)));
  }
  onResponseEnd(): void {
    const end = performance.now();
    this.endMs = end;
    const s = this.sender;
    s.sweep.untrack(this);
    if (!s.scheduler.ignoreCompletions) s.recorder.recordResponse(this);
    s.release(this);
    s.scheduler.completed(end);
  }
  onResponseError(_c: H1Controller | null, err: Error): void {
    const end = performance.now();
    this.endMs = end;
    const s = this.sender;
    s.sweep.untrack(this);
    if (!s.scheduler.ignoreCompletions) s.recorder.recordFailure(this, err);
    s.release(this);
    s.scheduler.completed(end);
  }
}

/** Default cap of one response body in a load run (16 MiB). */
export const DEFAULT_LOAD_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Code of a request failed because its body passed the cap. */
export const BODY_TOO_LARGE = 'GOLIVE_BODY_TOO_LARGE';

function bodyTooLarge(cap: number): Error {
  return Object.assign(new Error(`response body over the ${cap}-byte cap (maxBodyBytes); the rest was not read and the connection was closed`), { code: BODY_TOO_LARGE });
}

/** Options of a {@link RequestSender}. */
export interface SenderOptions {
  pool: Transport;
  plan: Plan;
  partition: { offset: number; step: number };
  /** Base path joined with a plan path. */
  fullPath: (path: string) => string;
  recorder: RunRecorder;
  sweep: TimeoutSweep<RequestHandler>;
  /** Lower-case header whose value `true` marks a stored replay; null when replies are not counted. */
  replayHeader: string | null;
  /** Response body bytes read at most per request; past it the request fails (default {@link DEFAULT_LOAD_MAX_BODY_BYTES}). */
  maxBodyBytes?: number;
  /**
   * Reuse handlers of finished requests: only on golive's own client, which never calls a handler after its
   * onResponseEnd / onResponseError (no object, and no boxed timestamps, allocated per request).
   */
  reuseHandlers: boolean;
}

/** Sends plan requests through the transport (see {@link Sender}); the scheduler is attached once made. */
export class RequestSender implements Sender {
  readonly recorder: RunRecorder;
  readonly sweep: TimeoutSweep<RequestHandler>;
  readonly replayHeader: string | null;
  readonly maxBodyBytes: number;
  /** Set by the engine before the first send. */
  scheduler!: Scheduler;
  private readonly pool: Transport;
  private readonly plan: Plan;
  private readonly offset: number;
  private readonly step: number;
  private readonly fullPath: (path: string) => string;
  private readonly reuseHandlers: boolean;
  private readonly spareHandlers: RequestHandler[] = [];
  // The request handed to the transport, rebuilt only when the plan gives another request object (a plan
  // without per-request variables repeats one).
  private lastReq: ReturnType<Plan['get']> | null = null;
  private lastPath = '';
  private lastFullPath = '';
  private wire: H1Request = { method: 'GET', path: '/', headers: null };

  constructor(options: SenderOptions) {
    this.pool = options.pool;
    this.plan = options.plan;
    this.offset = options.partition.offset;
    this.step = options.partition.step;
    this.fullPath = options.fullPath;
    this.recorder = options.recorder;
    this.sweep = options.sweep;
    this.replayHeader = options.replayHeader;
    this.reuseHandlers = options.reuseHandlers;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_LOAD_MAX_BODY_BYTES;
  }

  send(local: number, scheduledMs: number, sendMs: number): void {
    const req = this.plan.get(this.offset + local * this.step);
    const h = this.spareHandlers.pop()?.reset(scheduledMs, sendMs) ?? new RequestHandler(this, scheduledMs, sendMs);
    this.sweep.track(h);
    if (req !== this.lastReq) {
      this.lastReq = req;
      if (req.path !== this.lastPath) {
        this.lastPath = req.path;
        this.lastFullPath = this.fullPath(req.path);
      }
      this.wire = { method: req.method, path: this.lastFullPath, headers: req.headers, body: req.body ?? null };
    }
    this.recorder.recordSend(req.body ? req.body.length : 0, h);
    try {
      this.pool.dispatch(this.wire, h);
    } catch (err) {
      // Invalid requests (a header value with CR/LF) are refused synchronously: counted like any failure, in
      // a microtask so that a plan of refused requests does not recurse once per request.
      queueMicrotask(() => h.onResponseError(null, err as Error));
    }
  }

  /** A handler's request completed: kept for the next request when handlers are reused. */
  release(h: RequestHandler): void {
    if (this.reuseHandlers) this.spareHandlers.push(h);
  }
}

export type { RequestHandler };
