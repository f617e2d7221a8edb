import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { refusedUrl, startServer, type TestServer } from '../helpers/check-servers.ts';
import { runEngine } from '../../src/load/engine.ts';
import { runLoad } from '../../src/load/run.ts';
import { buildPlan, type ScenarioSpec } from '../../src/load/scenario.ts';

const scenario = (path = '/x'): ScenarioSpec => ({ request: { path }, seed: 1, runId: 't', nowSec: Math.floor(Date.now() / 1000) });

describe('closed model', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer((_req, res) => res.end('hello'));
  });
  after(() => srv.close());

  for (const transport of ['native', 'undici'] as const) {
    test(`${transport} transport: sends exactly the total at the concurrency and records every latency`, async () => {
      srv.seen.length = 0;
      const plan = await buildPlan(scenario(), 300);
      const r = await runEngine({ baseUrl: srv.url, plan, transport, model: { type: 'closed', concurrency: 10, total: 300 }, warmup: { requests: 10, path: '/warm' } });
      assert.equal(r.requests.sent, 300);
      assert.equal(r.requests.responses, 300);
      assert.equal(r.statusCodes['200'], 300);
      assert.equal(r.bytes.received, 300 * 5);
      assert.equal(r.latency.n, 300);
      assert.equal(r.latency.source, 'exact');
      assert.equal(r.samplesUs?.latency?.length, 300);
      assert.ok((r.latency.p50Ms ?? 0) > 0);
      assert.equal(r.warmup?.ok, 10);
      assert.equal(srv.seen.filter((s) => s.url === '/warm').length, 10, 'warm-up requests are not part of the timed phase');
      assert.equal(srv.seen.filter((s) => s.url === '/x').length, 300);
    });
  }

  test('a duration-bound run ends on time', async () => {
    const plan = await buildPlan(scenario());
    const r = await runEngine({ baseUrl: srv.url, plan, model: { type: 'closed', concurrency: 4, durationMs: 300 }, warmup: null });
    assert.ok(r.requests.responses > 0);
    assert.equal(r.requests.planned, null);
    assert.ok(r.durationMs >= 290 && r.durationMs < 3000, `${r.durationMs}`);
  });
});

describe('a target that drops connections mid-run', () => {
  let srv: TestServer;
  let n = 0;
  before(async () => {
    srv = await startServer((req, res) => {
      n++;
      // Every 7th request: the socket is destroyed without an answer.
      if (n % 7 === 0) req.socket.destroy();
      else res.end('ok');
    });
  });
  after(() => srv.close());

  test('failures are counted by kind, the run completes, nothing crashes', async () => {
    const plan = await buildPlan(scenario(), 350);
    const r = await runEngine({ baseUrl: srv.url, plan, model: { type: 'closed', concurrency: 5, total: 350 }, warmup: null, abortOnSpike: null });
    assert.equal(r.requests.sent, 350);
    assert.equal(r.requests.responses + r.requests.failed, 350);
    assert.ok(r.requests.failed >= 40, `failed ${r.requests.failed}`);
    const kinds = Object.keys(r.errors);
    assert.ok(kinds.includes('reset'), `error kinds: ${JSON.stringify(r.errors)}`);
    assert.equal(Object.values(r.errors).reduce((a, b) => a + (b ?? 0), 0), r.requests.failed);
    assert.ok(r.errorRate > 0.1);
    assert.ok(r.errorSamples.some((s) => s.kind === 'reset'));
    assert.equal(r.latency.n, r.requests.responses, 'failures are not latencies');
  });
});

describe('open model: latency from the scheduled start', () => {
  let srv: TestServer;
  let stallUntil = 0;
  let stallDone = false;
  before(async () => {
    srv = await startServer((_req, res) => {
      const now = Date.now();
      if (_req.url === '/x' && !stallDone && stallUntil === 0) stallUntil = now + 400;
      // The first timed request opens a 400 ms window during which nothing is answered.
      const wait = stallUntil - now;
      if (wait > 0) setTimeout(() => res.end('late'), wait);
      else {
        if (stallUntil) stallDone = true;
        res.end('ok');
      }
    });
  });
  after(() => srv.close());

  test('a stall shows in the corrected latency and is flagged; the uncorrected view hides the queue', async () => {
    const plan = await buildPlan(scenario(), 200);
    const r = await runEngine({
      baseUrl: srv.url,
      plan,
      model: { type: 'open', ratePerSec: 200, total: 200, maxInFlight: 2 },
      warmup: { requests: 2, path: '/warm' },
    });
    assert.equal(r.requests.responses, 200);
    assert.ok(r.latencyUncorrected && r.scheduleLag);
    // Requests due during the stall waited for a connection: that wait counts from their scheduled start.
    assert.ok((r.latency.p90Ms ?? 0) >= 150, `corrected p90 ${r.latency.p90Ms}`);
    assert.ok((r.scheduleLag.maxMs ?? 0) >= 150, `schedule lag max ${r.scheduleLag.maxMs}`);
    // Sent late, they were answered fast: the send-to-answer view (a closed-loop tool's) misses it.
    assert.ok((r.latencyUncorrected.p90Ms ?? 0) < (r.latency.p90Ms ?? 0) / 2, `uncorrected p90 ${r.latencyUncorrected.p90Ms}`);
    assert.ok(r.requests.queuedMax >= 20, `queue peak ${r.requests.queuedMax}`);
    assert.ok(r.stalls.length >= 1, `stall detected: ${JSON.stringify({ stalls: r.stalls, lat: r.latency, u: r.latencyUncorrected })}`);
    assert.ok(r.stalls.some((s) => s.durationMs >= 300), JSON.stringify(r.stalls));
    assert.ok(r.flags.includes('STALL'));
  });
});

describe('5xx spike', () => {
  let srv: TestServer;
  let n = 0;
  before(async () => {
    srv = await startServer((_req, res) => {
      n++;
      res.statusCode = n > 60 ? 503 : 200;
      res.end(n > 60 ? 'overloaded' : 'ok');
    });
  });
  after(() => srv.close());

  test('stops early with evidence', async () => {
    const plan = await buildPlan(scenario(), 5000);
    const r = await runEngine({ baseUrl: srv.url, plan, model: { type: 'closed', concurrency: 4, total: 5000 }, warmup: null, abortOnSpike: { window: 50, ratio: 0.5 } });
    assert.equal(r.aborted?.reason, '5xx-spike');
    assert.ok(r.requests.sent < 500, `sent ${r.requests.sent}`);
    assert.match(r.aborted?.message ?? '', /of the last 50 requests/);
    assert.ok(r.errorSamples.some((s) => s.status === 503 && /overloaded/.test(s.message)));
    assert.ok(r.flags.includes('ABORTED'));
  });
});

describe('per-request state', () => {
  let srv: TestServer;
  before(async () => {
    // By key: k0 created, k1 replayed, k2 conflict, k3 an error with a body; the answer says which key it was.
    srv = await startServer((req, res) => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const kind = Number(/-(\d+)$/.exec(key)?.[1] ?? 0) % 4;
      if (kind === 0) res.statusCode = 201;
      else if (kind === 1) res.setHeader('idempotent-replayed', 'true');
      else if (kind === 2) res.statusCode = 409;
      else res.statusCode = 500;
      res.end(kind === 3 ? `failed-${key}` : 'x'.repeat(kind + 1));
    });
  });
  after(() => srv.close());

  for (const transport of ['native', 'undici'] as const) {
    test(`${transport} transport: nothing of one answer (status, replay mark, captured body, bytes) carries into the next`, async () => {
      const spec: ScenarioSpec = { ...scenario('/ingest'), request: { method: 'POST', path: '/ingest', body: '{}' }, keys: { total: 400, unique: 8 } };
      const plan = await buildPlan(spec, 400);
      const r = await runEngine({ baseUrl: srv.url, plan, transport, model: { type: 'closed', concurrency: 3, total: 400 }, warmup: null, abortOnSpike: null, keys: { total: 400, unique: 8 } });
      assert.equal(r.requests.responses, 400);
      assert.deepEqual(r.replies, { created: 100, replayed: 100, conflict: 100, other: 100 });
      assert.deepEqual(r.statusCodes, { '200': 100, '201': 100, '409': 100, '500': 100 });
      // Bodies: 1 (201), 2 (200), 3 (409) bytes and "failed-<key>" for the 500s.
      const failedBytes = plan.size === 400 ? [...Array(400).keys()].map((i) => plan.get(i)).filter((q) => Number(/-(\d+)$/.exec(q.headers['idempotency-key'] ?? '')?.[1]) % 4 === 3) : [];
      assert.equal(failedBytes.length, 100);
      const expected = 100 * 1 + 100 * 2 + 100 * 3 + failedBytes.reduce((n, q) => n + `failed-${q.headers['idempotency-key']}`.length, 0);
      assert.equal(r.bytes.received, expected);
      assert.ok(r.errorSamples.length > 0);
      // Only answers ≥ 400 are captured, each with its own body.
      for (const e of r.errorSamples) {
        if (e.status === 409) assert.equal(e.message, 'HTTP 409: xxx');
        else {
          assert.equal(e.status, 500);
          const m = /^HTTP 500: failed-\S+-(\d+)$/.exec(e.message);
          assert.ok(m && Number(m[1]) % 4 === 3, e.message);
        }
      }
      assert.ok(r.errorSamples.some((e) => e.status === 500));
    });
  }
});

describe('unreachable target', () => {
  test('warm-up failure ends the run with evidence, no crash', async () => {
    const url = await refusedUrl();
    const plan = await buildPlan(scenario(), 100);
    const r = await runEngine({ baseUrl: url, plan, model: { type: 'closed', concurrency: 2, total: 100 }, warmup: { requests: 2, path: '/' }, timeoutMs: 2000 });
    assert.equal(r.aborted?.reason, 'warmup-failed');
    assert.match(r.aborted?.message ?? '', /refused/);
    assert.equal(r.requests.sent, 0);
  });
});

describe('workers', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer((_req, res) => res.end('ok'));
  });
  after(() => srv.close());

  test('two worker threads share the plan and merge into one exact result', async () => {
    const r = await runLoad({ baseUrl: srv.url, scenario: scenario(), model: { type: 'closed', concurrency: 4, total: 401 }, workers: 2, warmup: { requests: 2, path: '/warm' } });
    assert.equal(r.workers, 2);
    assert.equal(r.requests.sent, 401);
    assert.equal(r.requests.responses, 401);
    assert.equal(r.model.type === 'closed' && r.model.concurrency, 4);
    assert.equal(r.latency.n, 401);
    assert.equal(r.latency.source, 'exact');
    assert.equal(srv.seen.filter((s) => s.url === '/x').length, 401);
  });
});

describe('a target that never answers', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer((req, res) => {
      if (req.url === '/warm') res.end('ok');
      // Otherwise: never answer (the socket stays open).
    });
  });
  after(() => srv.close());

  test('each request ends at the timeout, counted as a timeout', async () => {
    const plan = await buildPlan(scenario('/hang'), 6);
    const started = Date.now();
    const r = await runEngine({ baseUrl: srv.url, plan, model: { type: 'closed', concurrency: 3, total: 6 }, warmup: { requests: 3, path: '/warm' }, timeoutMs: 300, abortOnSpike: null });
    assert.equal(r.requests.failed, 6);
    assert.equal(r.errors.timeout, 6, JSON.stringify(r.errors));
    assert.ok(Date.now() - started < 5000, 'bounded by the timeout');
  });

  test('a cancellation during a warm-up that gets no answer ends the run at once, as cancelled', async () => {
    for (const transport of ['native', 'undici'] as const) {
      const plan = await buildPlan(scenario('/hang'), 6);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      const r = await runEngine({ baseUrl: srv.url, plan, transport, model: { type: 'closed', concurrency: 2, total: 6 }, warmup: { requests: 2, path: '/hang' }, timeoutMs: 30_000, signal: controller.signal });
      assert.ok(Date.now() - started < 5000, `${transport}: ended ${Date.now() - started} ms after start, not at the 30 s timeout`);
      assert.equal(r.aborted?.reason, 'cancelled', transport);
      assert.equal(r.requests.sent, 0);
    }
  });

  test('a warm-up that gets no answer ends at the timeout with warmup-failed', async () => {
    const plan = await buildPlan(scenario('/hang'), 6);
    const started = Date.now();
    const r = await runEngine({ baseUrl: srv.url, plan, model: { type: 'closed', concurrency: 2, total: 6 }, warmup: { requests: 2, path: '/hang' }, timeoutMs: 300 });
    assert.equal(r.aborted?.reason, 'warmup-failed');
    assert.match(r.aborted?.message ?? '', /timeout/);
    assert.equal(r.requests.sent, 0);
    assert.ok(Date.now() - started < 5000, 'bounded by the timeout');
  });
});
