/**
 * Entry of a load worker thread (see run.ts): builds the plan, warms up, reports ready, waits for the shared
 * start instant, runs its partition and posts its result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runEngine } from './engine.ts';
import { planSize, type WorkerInit, type WorkerMessage } from './run.ts';
import { buildPlan } from './scenario.ts';

const port = parentPort;
if (!port) throw new Error('worker.ts runs only as a worker thread');
const init = workerData as WorkerInit;
const controller = new AbortController();
let resolveStart: (epochMs: number) => void = () => {};
const started = new Promise<number>((r) => {
  resolveStart = r;
});
port.on('message', (m: { type: 'start'; startAt: number } | { type: 'cancel' }) => {
  if (m.type === 'start') resolveStart(m.startAt);
  else controller.abort();
});
const post = (m: WorkerMessage) => port.postMessage(m);
try {
  const { scenario, ...engine } = init.options;
  const plan = await buildPlan(scenario, planSize(engine.model));
  const result = await runEngine({
    ...engine,
    plan,
    keys: scenario.keys ? { total: scenario.keys.total, unique: scenario.keys.unique } : null,
    partition: { offset: init.offset, step: init.step },
    signal: controller.signal,
    onProgress: (snapshot) => post({ type: 'progress', snapshot }),
    beforeStart: async () => {
      post({ type: 'ready' });
      return started;
    },
  });
  post({ type: 'result', result });
} catch (err) {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
} finally {
  port.close();
}
