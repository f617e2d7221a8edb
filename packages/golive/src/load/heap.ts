/**
 * Heap tuning of a load run: V8's young generation capped so a long run does not grow the process by hundreds
 * of megabytes. It changes process-wide V8 flags and forces a full GC, which a library must not do to a host
 * it does not own: it is off unless asked for, per run (`tuneHeap`) or for the process (setHeapTuningDefault,
 * which golive's CLI calls, so `golive load` and the load checks of `golive run` are tuned). docs/load.md.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let processDefault = false;

/** Whether runs that do not say tune the heap (false unless setHeapTuningDefault(true) was called). */
export function heapTuningDefault(): boolean {
  return processDefault;
}

/**
 * Makes heap tuning the default of every later run in this process. For the owner of the process (golive's
 * CLI entry): the flags it sets stay for the life of the process.
 */
export function setHeapTuningDefault(on: boolean): void {
  processDefault = on;
}

let heapTuned = false;

/** V8's young generation (new space, as getHeapSpaceStatistics reports it) a run lets grow to: 4 MB. */
export const YOUNG_GENERATION_CAP_BYTES = 4 * 1024 * 1024;
/** The same cap for a worker thread, as V8's young generation size (semispaces and new large objects). */
export const WORKER_YOUNG_GENERATION_MB = 6;

function newSpaceBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

function freezeYoungGeneration(): void {
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
    heapTuned = true;
  } catch {
    // A V8 that refuses the flag leaves the run as it is.
  }
}

/**
 * Caps V8's young generation for the whole process at YOUNG_GENERATION_CAP_BYTES: it may grow to the cap
 * under the run's allocation rate, then `--semi-space-growth-factor=1` freezes it there (once; the flag
 * stays set). Uncapped, V8 grows it towards its maximum (about 50 MB of semispaces) although almost nothing
 * survives, and a million-request run peaked near 240 MB RSS; held at its initial 1 MB, scavenges run so
 * often that they cost the client ~0.5 µs of CPU per request (5 % of its throughput); 4 MB costs ~3 MB of
 * RSS. Returns a function that stops watching (the growth stays capped if the cap was reached).
 */
export function capYoungGeneration(): () => void {
  if (heapTuned) return () => {};
  if (newSpaceBytes() >= YOUNG_GENERATION_CAP_BYTES) {
    freezeYoungGeneration();
    return () => {};
  }
  const watch = setInterval(() => {
    if (newSpaceBytes() >= YOUNG_GENERATION_CAP_BYTES) {
      clearInterval(watch);
      freezeYoungGeneration();
    }
  }, 10);
  watch.unref();
  return () => clearInterval(watch);
}

/** V8's young generation (both semispaces) at process start; a run shrinks a larger one back to it. */
const YOUNG_GENERATION_INITIAL_BYTES = 1024 * 1024;

/**
 * Shrinks V8's young generation back to its initial size when the code loaded before the run grew it (module
 * loading takes it to 4 MB for the engine alone and further for the CLI with its option schemas;
 * capYoungGeneration only stops further growth). One memory-reducing full GC before
 * the timed phase (tens of ms) saves ~2 MB of peak RSS for the engine alone and ~20 MB for `golive load`.
 * `gc` is taken from a fresh context, so the process's global object gains nothing. Returns whether it ran.
 */
export function shrinkYoungGeneration(): boolean {
  if (newSpaceBytes() <= YOUNG_GENERATION_INITIAL_BYTES) return false;
  try {
    const own = (globalThis as { gc?: unknown }).gc;
    let gc = typeof own === 'function' ? (own as (o: object) => void) : undefined;
    if (!gc) {
      setFlagsFromString('--expose-gc');
      try {
        gc = runInNewContext('gc') as (o: object) => void;
      } finally {
        setFlagsFromString('--no-expose-gc');
      }
    }
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    return true;
  } catch {
    return false;
  }
}
