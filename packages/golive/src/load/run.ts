/**
 * Runs a load, in this thread or split over worker threads. With `workers: N` every worker builds the same
 * plan from the scenario (same seed, same preparation time), sends its share of the indices (i ≡ w mod N)
 * on its own connections (concurrency or rate divided by N), and all start the timed phase at one shared
 * instant after every warm-up is done. The parts are merged exactly (see mergeResults).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Redactor } from '../core/redact.ts';
import { capYoungGeneration, heapTuningDefault, shrinkYoungGeneration, WORKER_YOUNG_GENERATION_MB } from './heap.ts';
import { type EngineOptions, type ModelOptions, type ProgressSnapshot, runEngine } from './engine.ts';
import { type LoadResult, mergeResults } from './result.ts';
import { buildPlan, type ScenarioSpec } from './scenario.ts';

/** Options of a load run; plain data apart from signal, redactor and onProgress. */
export interface LoadRunOptions
  extends Omit<EngineOptions, 'plan' | 'partition' | 'beforeStart' | 'onProgress' | 'signal' | 'redactor' | 'keys'> {
  scenario: ScenarioSpec;
  /** Worker threads to spread the load over (default 1: this thread). */
  workers?: number;
  signal?: AbortSignal;
  redactor?: Redactor;
  onProgress?: (p: ProgressSnapshot) => void;
  /**
   * Tune V8's young generation for the run (heap.ts): process-wide V8 flags and one full GC, so it is for a
   * process golive owns. Default: heapTuningDefault(), off unless the golive CLI turned it on.
   */
  tuneHeap?: boolean;
}

/** Message a worker receives at start (see worker.ts). */
export interface WorkerInit {
  options: Omit<LoadRunOptions, 'signal' | 'redactor' | 'onProgress' | 'workers' | 'tuneHeap'>;
  offset: number;
  step: number;
}

/** Messages between the main thread and a worker. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'progress'; snapshot: ProgressSnapshot }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };

/** Splits a model over N workers: concurrency, connections and rate are divided (at least 1 each). */
export function splitModel(model: ModelOptions, workers: number, index: number): ModelOptions {
  const share = (n: number) => Math.floor(n / workers) + (index < n % workers ? 1 : 0);
  if (model.type === 'closed') return { ...model, concurrency: Math.max(1, share(model.concurrency)) };
  return { ...model, maxInFlight: Math.max(1, share(model.maxInFlight)) };
}

function workerUrl(): URL {
  // Sources run with type stripping (.ts); the build emits .js next to this file.
  return new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
}

/** Runs the load and returns one result (merged over workers). */
export async function runLoad(options: LoadRunOptions): Promise<LoadResult> {
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  const keys = options.scenario.keys ? { total: options.scenario.keys.total, unique: options.scenario.keys.unique } : null;
  if (workers === 1) {
    const plan = await buildPlan(options.scenario, planSize(options.model));
    const tune = options.tuneHeap ?? heapTuningDefault();
    // Shrunk first: a young generation already over the cap (module loading) would be frozen there.
    if (tune) shrinkYoungGeneration();
    const stopWatching = tune ? capYoungGeneration() : () => {};
    const { scenario: _s, workers: _w, tuneHeap: _t, ...engine } = options;
    try {
      return await runEngine({ ...engine, plan, keys });
    } finally {
      stopWatching();
    }
  }
  const { signal, redactor, onProgress, workers: _w, tuneHeap: _t, ...plain } = options;
  const tune = options.tuneHeap ?? heapTuningDefault();
  const parts: Worker[] = [];
  const ready: Promise<void>[] = [];
  const results: Promise<LoadResult>[] = [];
  const snapshots: (ProgressSnapshot | undefined)[] = new Array(workers);
  for (let w = 0; w < workers; w++) {
    const init: WorkerInit = { options: { ...plain, model: splitModel(plain.model, workers, w) }, offset: w, step: workers };
    // A worker's heap is its own: its young generation is capped through the Worker's resource limits.
    const worker = new Worker(workerUrl(), {
      workerData: init,
      ...(tune ? { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } } : {}),
    });
    parts.push(worker);
    let onReady: () => void = () => {};
    ready.push(
      new Promise<void>((resolve) => {
        onReady = resolve;
      }),
    );
    results.push(
      new Promise<LoadResult>((resolve, reject) => {
        worker.on('message', (m: WorkerMessage) => {
          if (m.type === 'ready') onReady();
          else if (m.type === 'progress') {
            snapshots[w] = m.snapshot;
            if (onProgress) onProgress(combineSnapshots(snapshots));
          } else if (m.type === 'result') resolve(m.result);
          else if (m.type === 'error') reject(new Error(`load worker ${w}: ${m.message}`));
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (code !== 0) reject(new Error(`load worker ${w} exited with code ${code}`));
          onReady();
        });
      }),
    );
  }
  const cancel = () => {
    for (const w of parts) w.postMessage({ type: 'cancel' });
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    await Promise.all(ready);
    const startAt = performance.timeOrigin + performance.now() + 20;
    for (const w of parts) w.postMessage({ type: 'start', startAt });
    const merged = mergeResults(await Promise.all(results));
    return redactor ? redactor.redactDeep(merged) : merged;
  } finally {
    signal?.removeEventListener('abort', cancel);
    await Promise.all(parts.map((w) => w.terminate().catch(() => 0)));
  }
}

/** The number of requests a model asks for (Infinity when only a duration bounds it). */
export function planSize(model: ModelOptions): number {
  if (model.total !== undefined) return model.total;
  if (model.type === 'open' && model.durationMs !== undefined) return Math.floor((model.durationMs * model.ratePerSec) / 1000);
  return Number.POSITIVE_INFINITY;
}

function combineSnapshots(list: (ProgressSnapshot | undefined)[]): ProgressSnapshot {
  const s = list.filter((x): x is ProgressSnapshot => x !== undefined);
  const plannedAll = s.every((x) => x.planned !== null) && s.length === list.length;
  return {
    elapsedMs: Math.max(0, ...s.map((x) => x.elapsedMs)),
    done: s.reduce((a, x) => a + x.done, 0),
    planned: plannedAll ? s.reduce((a, x) => a + (x.planned ?? 0), 0) : null,
    currentRps: s.reduce((a, x) => a + x.currentRps, 0),
    // Approximation while running (the final result merges histograms exactly): the worst worker's p95.
    p95Ms: s.reduce<number | null>((a, x) => (x.p95Ms === null ? a : a === null ? x.p95Ms : Math.max(a, x.p95Ms)), null),
    failed: s.reduce((a, x) => a + x.failed, 0),
    status5xx: s.reduce((a, x) => a + x.status5xx, 0),
    queued: s.reduce((a, x) => a + x.queued, 0),
  };
}

/** Worker threads worth using on this machine (one core is left to the rest). */
export function suggestedWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}
