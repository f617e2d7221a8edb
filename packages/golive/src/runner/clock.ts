/** The real clock given to checks (tests may pass their own). */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../checks/types.ts';

/** Wall clock, monotonic microseconds and an abortable sleep. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monoUs: () => Number(process.hrtime.bigint() / 1000n),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : undefined),
};
