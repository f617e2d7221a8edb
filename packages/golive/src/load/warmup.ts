/**
 * The warm-up before the timed phase: side-effect-free requests sent concurrently on the transport's
 * connections (they open the connections and warm both JITs), outside every figure of the result.
 *
 * By default it is adaptive: it sends windows of requests (one per connection, at least 20) and stops when the
 * median latency of two consecutive windows differs by less than 10 %, so golive's own JIT and connection
 * set-up stay out of the timed phase; it is bounded by a request count and a time. A fixed `requests` count
 * sends exactly that many, in one go, as before.
 */
import { performance } from 'node:perf_hooks';
import { classifyError } from '../http/errors.ts';
import type { AbortInfo, LoadResult } from './result.ts';
import { dispatchOnce, type Transport } from './transport.ts';

/** Relative change of the window median under which the warm-up counts as stable. */
export const WARMUP_STABLE_CHANGE = 0.1;
/** Default bounds of an adaptive warm-up. */
export const WARMUP_MAX_REQUESTS = 1000;
export const WARMUP_MAX_MS = 3000;
/** Smallest window: a median of fewer answers moves with single hiccups. */
const MIN_WINDOW = 20;
/** Largest window, so an open model's many connections still leave room for several windows. */
const MAX_WINDOW = 250;

/** The warm-up requests as callers give them. */
export interface WarmupSpec {
  /** A fixed count, sent at once; absent: adaptive (windows until the median is stable). */
  requests?: number;
  path: string;
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** Requests per window of an adaptive warm-up (default: the connections, at least 20). */
  window?: number;
  /** Bounds of an adaptive warm-up. */
  maxRequests?: number;
  maxMs?: number;
  /** Said in the result: why this path was warmed (e.g. the scenario's own request is not side-effect free). */
  note?: string;
}

/** How a warm-up went: its summary for the result, and why the run stops before its timed phase, if it does. */
export interface WarmupOutcome {
  warmup: NonNullable<LoadResult['warmup']>;
  /** Set when no warm-up request got an answer (and the run was not cancelled). */
  abort: AbortInfo | null;
}

/** Context of a warm-up: where requests go and how messages are made safe to report. */
export interface WarmupContext {
  pool: Transport;
  /** Base path joined with a plan path. */
  fullPath: (path: string) => string;
  origin: string;
  /** Limit of each warm-up request (the engine's sweep does not cover them). */
  timeoutMs: number;
  /** Connections of the run (the default window). */
  connections?: number;
  signal?: AbortSignal;
  redact: (s: string) => string;
}

/** Median of a list (of latencies in ms); NaN when empty. */
function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Whether two window medians agree within the stable change. */
export function isStable(previousMs: number, currentMs: number): boolean {
  if (!Number.isFinite(previousMs) || !Number.isFinite(currentMs) || previousMs <= 0) return false;
  return Math.abs(currentMs - previousMs) / previousMs < WARMUP_STABLE_CHANGE;
}

/** Sends the warm-up's requests: a fixed count at once, or windows until the median is stable. */
export async function runWarmup(w: WarmupSpec, ctx: WarmupContext): Promise<WarmupOutcome> {
  const t0 = performance.now();
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let lastError = '';
  const req = { method: w.method ?? 'GET', path: ctx.fullPath(w.path), headers: w.headers ?? {}, timeoutMs: ctx.timeoutMs };
  const one = async (latencies: number[]) => {
    sent++;
    const start = performance.now();
    try {
      await dispatchOnce(ctx.pool, req);
      ok++;
      latencies.push(performance.now() - start);
    } catch (err) {
      failed++;
      const c = classifyError(err);
      lastError = `${c.kind}${c.code ? ` (${c.code})` : ''}: ${c.message}`;
    }
  };
  // A cancellation during the warm-up ends it at once (the requests fail as aborted; the run reports why).
  const cancel = () => void ctx.pool.destroy().catch(() => {});
  ctx.signal?.addEventListener('abort', cancel, { once: true });
  const medians: number[] = [];
  let stoppedBy: 'fixed' | 'stable' | 'max-requests' | 'max-time' | 'cancelled' | 'no-answer' = 'fixed';
  try {
    if (w.requests !== undefined) {
      await Promise.all(Array.from({ length: w.requests }, () => one([])));
    } else {
      const window = Math.min(MAX_WINDOW, Math.max(MIN_WINDOW, w.window ?? ctx.connections ?? MIN_WINDOW));
      const maxRequests = w.maxRequests ?? WARMUP_MAX_REQUESTS;
      const maxMs = w.maxMs ?? WARMUP_MAX_MS;
      for (;;) {
        if (ctx.signal?.aborted) {
          stoppedBy = 'cancelled';
          break;
        }
        const latencies: number[] = [];
        const n = Math.min(window, maxRequests - sent);
        await Promise.all(Array.from({ length: n }, () => one(latencies)));
        if (latencies.length === 0) {
          stoppedBy = ctx.signal?.aborted ? 'cancelled' : 'no-answer';
          break;
        }
        medians.push(Math.round(median(latencies) * 1000) / 1000);
        const prev = medians[medians.length - 2];
        if (prev !== undefined && isStable(prev, medians[medians.length - 1] as number)) {
          stoppedBy = 'stable';
          break;
        }
        if (sent >= maxRequests) {
          stoppedBy = 'max-requests';
          break;
        }
        if (performance.now() - t0 >= maxMs) {
          stoppedBy = 'max-time';
          break;
        }
      }
    }
  } finally {
    ctx.signal?.removeEventListener('abort', cancel);
  }
  const warmup: NonNullable<LoadResult['warmup']> = {
    requests: sent,
    ok,
    failed,
    durationMs: performance.now() - t0,
    method: req.method,
    path: w.path,
    stoppedBy,
    ...(medians.length > 0 ? { windowMedianMs: medians } : {}),
    ...(w.note ? { note: w.note } : {}),
  };
  const abort: AbortInfo | null =
    ok === 0 && !ctx.signal?.aborted
      ? {
          reason: 'warmup-failed',
          atMs: 0,
          message: ctx.redact(`no warm-up request to ${req.method} ${ctx.origin}${req.path} got an answer; last error ${lastError}`),
        }
      : null;
  return { warmup, abort };
}

/** One line describing a warm-up, for summaries. */
export function describeWarmup(w: NonNullable<LoadResult['warmup']>): string {
  const what = `${w.requests} ${w.method ?? 'GET'} ${w.path ?? '/'} in ${Math.round(w.durationMs)} ms`;
  const medians = w.windowMedianMs?.length ? `; window medians ${w.windowMedianMs.map((m) => `${m}`).join(' → ')} ms` : '';
  const why =
    w.stoppedBy === 'stable'
      ? 'stable'
      : w.stoppedBy === 'max-requests'
        ? 'not stable within its request bound'
        : w.stoppedBy === 'max-time'
          ? 'not stable within its time bound'
          : w.stoppedBy === 'fixed'
            ? 'fixed count'
            : (w.stoppedBy ?? 'fixed count');
  return `${what} (${why}${medians})${w.failed ? `, ${w.failed} failed` : ''}${w.note ? `; ${w.note}` : ''}`;
}
