/**
 * The warm-up before the timed phase: side-effect-free requests sent concurrently on the transport's
 * connections (they open the connections and warm both JITs), outside every figure of the result.
 */
import { performance } from 'node:perf_hooks';
import { classifyError } from '../http/errors.ts';
import type { AbortInfo, LoadResult } from './result.ts';
import { dispatchOnce, type Transport } from './transport.ts';

/** The warm-up requests as callers give them. */
export interface WarmupSpec {
  requests: number;
  path: string;
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
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
  signal?: AbortSignal;
  redact: (s: string) => string;
}

/** Sends the warm-up's requests, all at once (the transport queues what its connections cannot take). */
export async function runWarmup(w: WarmupSpec, ctx: WarmupContext): Promise<WarmupOutcome> {
  const t0 = performance.now();
  let ok = 0;
  let failed = 0;
  let lastError = '';
  const req = { method: w.method ?? 'GET', path: ctx.fullPath(w.path), headers: w.headers ?? {}, timeoutMs: ctx.timeoutMs };
  const one = async () => {
    try {
      await dispatchOnce(ctx.pool, req);
      ok++;
    } catch (err) {
      failed++;
      const c = classifyError(err);
      lastError = `${c.kind}${c.code ? ` (${c.code})` : ''}: ${c.message}`;
    }
  };
  // A cancellation during the warm-up ends it at once (the requests fail as aborted; the run reports why).
  const cancel = () => void ctx.pool.destroy().catch(() => {});
  ctx.signal?.addEventListener('abort', cancel, { once: true });
  try {
    await Promise.all(Array.from({ length: w.requests }, one));
  } finally {
    ctx.signal?.removeEventListener('abort', cancel);
  }
  const warmup = { requests: w.requests, ok, failed, durationMs: performance.now() - t0 };
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
