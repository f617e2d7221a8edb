/**
 * The engine's request timeout: one interval timer sweeping the requests in flight, instead of a timer per
 * request (undici's per-request header and body timers cost more than the rest of the engine's bookkeeping
 * at tens of thousands of requests per second).
 */
import { performance } from 'node:perf_hooks';
import type { H1Controller } from './h1.ts';

/** What the sweep needs of a request in flight. */
export interface Sweepable {
  /** Index in the sweep's slots while tracked, else -1 (owned by the sweep). */
  slot: number;
  /** performance.now() ms when the request was handed to the transport. */
  sendMs: number;
  controller: H1Controller | null;
}

/**
 * Requests in flight in fixed slots reused through a free list, not a Set. A Set that takes and drops one entry
 * per request is rehashed every few dozen requests, and each obsolete table keeps a link to its successor;
 * once a full GC has promoted one table (and the requests it points to), every dead old table keeps the next
 * one alive through each scavenge, so all per-request garbage is promoted until the next full GC. In a
 * process that loaded more code before the run (the CLI) that chain set in and a million-request run peaked
 * at 134-189 MB instead of ~100 MB.
 */
export class TimeoutSweep<H extends Sweepable> {
  private readonly slots: (H | null)[] = [];
  private readonly free: number[] = [];
  private readonly timer: NodeJS.Timeout;

  /** Starts sweeping: a request in flight for `timeoutMs` or longer is aborted with an ETIMEDOUT error. */
  constructor(timeoutMs: number) {
    this.timer = setInterval(
      () => {
        const limit = performance.now() - timeoutMs;
        for (const h of this.slots) {
          if (h === null || h.sendMs > limit) continue;
          this.untrack(h);
          const err = Object.assign(new Error(`no complete answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
          if (h.controller) h.controller.abort(err);
        }
      },
      Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4))),
    );
    this.timer.unref();
  }

  track(h: H): void {
    const slot = this.free.pop() ?? this.slots.length;
    h.slot = slot;
    this.slots[slot] = h;
  }

  /** Stops watching `h` (a no-op when the sweep already let it go). */
  untrack(h: H): void {
    if (h.slot >= 0 && this.slots[h.slot] === h) {
      this.slots[h.slot] = null;
      this.free.push(h.slot);
    }
    h.slot = -1;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
