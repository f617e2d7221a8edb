/**
 * The default warm-up of a load run is adaptive: windows of requests until two consecutive window medians agree
 * within 10 %, bounded in requests and time, on the scenario's own request when it is side-effect free; the
 * result says what it did.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { warmupSpec } from '../../src/checks/load.ts';
import { runLoad } from '../../src/load/run.ts';
import type { ScenarioSpec } from '../../src/load/scenario.ts';
import { isStable } from '../../src/load/warmup.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';

const scenario = (path: string): ScenarioSpec => ({ request: { method: 'GET', path }, seed: 1, runId: 't', nowSec: Math.floor(Date.now() / 1000) });

let srv: TestServer;
let warmRequests = 0;
let slowLeft = 0;
let jitter = false;
const seen: string[] = [];
before(async () => {
  srv = await startServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url?.startsWith('/cold')) {
      warmRequests++;
      // A target (or client) that starts slow and speeds up, like code being compiled, then holds steady.
      const delay = slowLeft > 0 ? slowLeft : 1;
      slowLeft--;
      setTimeout(() => res.end('ok'), delay);
      return;
    }
    if (req.url?.startsWith('/jitter')) {
      setTimeout(() => res.end('ok'), jitter ? (warmRequests++ % 2 === 0 ? 1 : 30) : 1);
      return;
    }
    res.end('ok');
  });
});
after(async () => {
  await srv.close();
});

describe('adaptive warm-up', () => {
  test('keeps warming while the window median moves, then stops once two windows agree', async () => {
    warmRequests = 0;
    slowLeft = 64;
    const r = await runLoad({
      baseUrl: srv.url,
      scenario: scenario('/cold'),
      model: { type: 'closed', concurrency: 4, total: 40 },
      warmup: { path: '/cold', method: 'GET' },
    });
    const w = r.warmup;
    assert.ok(w, 'a warm-up ran');
    assert.ok(w.requests >= 64, `it warmed past the slow answers (${w.requests}): ${JSON.stringify(w)}`);
    assert.ok((w.windowMedianMs?.length ?? 0) >= 3);
    // On a quiet machine it ends `stable`; a loaded one may reach a bound first, but never before the answers settled.
    assert.ok(['stable', 'max-requests', 'max-time'].includes(w.stoppedBy ?? ''), String(w.stoppedBy));
    if (w.stoppedBy === 'stable') {
      const [a, b] = (w.windowMedianMs ?? []).slice(-2) as [number, number];
      assert.ok(isStable(a, b), `${a} → ${b}`);
    }
  });

  test('is bounded when the median never settles', async () => {
    jitter = true;
    const t0 = Date.now();
    const r = await runLoad({
      baseUrl: srv.url,
      scenario: scenario('/jitter'),
      model: { type: 'closed', concurrency: 2, total: 10 },
      warmup: { path: '/jitter', maxRequests: 200, maxMs: 1500 },
    });
    jitter = false;
    assert.ok(r.warmup && ['max-requests', 'max-time', 'stable'].includes(r.warmup.stoppedBy ?? ''), JSON.stringify(r.warmup));
    assert.ok(r.warmup.requests <= 200);
    assert.ok(Date.now() - t0 < 10_000);
  });

  test('a fixed count sends exactly that many', async () => {
    const r = await runLoad({ baseUrl: srv.url, scenario: scenario('/'), model: { type: 'closed', concurrency: 2, total: 10 }, warmup: { requests: 7, path: '/' } });
    assert.deepEqual([r.warmup?.requests, r.warmup?.stoppedBy], [7, 'fixed']);
  });
});

describe('what is warmed', () => {
  test("the scenario's own GET, headers without per-request templates", () => {
    assert.deepEqual(warmupSpec({}, 'get', '/items?x=1', { accept: 'application/json', 'x-id': '{{seq}}' }), { path: '/items?x=1', method: 'GET', headers: { accept: 'application/json' } });
  });
  test('a POST scenario is not warmed: GET / is, and the result says why', () => {
    const w = warmupSpec({}, 'POST', '/v1/events', {});
    assert.equal(w.path, '/');
    assert.equal(w.method, 'GET');
    assert.match(w.note ?? '', /POST \/v1\/events was not warmed \(it is not side-effect free\)/);
    assert.match(warmupSpec({}, 'GET', '/e/{{key}}', {}).note ?? '', /its path changes per request/);
  });
  test('an explicit path and count win', () => {
    assert.deepEqual(warmupSpec({ path: '/ping', requests: 5 }, 'POST', '/v1/events', {}), { requests: 5, path: '/ping', method: 'GET' });
  });
});
