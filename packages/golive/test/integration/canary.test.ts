import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { canaryCheck } from '../../src/checks/canary.ts';
import type { CheckOutcome } from '../../src/checks/types.ts';
import { isGoliveError } from '../../src/core/errors.ts';
import { type TestServer, refusedUrl, sendJson, startServer } from '../helpers/check-servers.ts';
import { codes, failed, makeContext, runCheck } from '../helpers/context.ts';

async function runCanary(baseUrl: string, opts: Record<string, unknown>, signal?: AbortSignal): Promise<CheckOutcome> {
  const t = await makeContext(signal ? { baseUrl, signal } : { baseUrl });
  try {
    return await runCheck(canaryCheck, t.ctx, opts);
  } finally {
    await t.close();
  }
}

type Sample = { code: number | null; latencyMs: number; error?: string };

describe('canary check against real servers', () => {
  let srv: TestServer;
  const hits = new Map<string, number>();
  before(async () => {
    srv = await startServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const n = (hits.get(path) ?? 0) + 1;
      hits.set(path, n);
      if (path === '/health') return sendJson(res, 200, { status: 'ok' });
      // The third ping of five takes 300 ms: the seed's formula reads the 4th fastest and passes it.
      if (path === '/one-slow') return void setTimeout(() => sendJson(res, 200, { status: 'ok' }), n === 3 ? 300 : 0);
      if (path === '/one-500') return sendJson(res, n === 2 ? 500 : 200, { status: n === 2 ? 'fail' : 'ok' });
      if (path === '/hang') return;
      sendJson(res, 404, {});
    });
  });
  after(() => srv.close());

  it('passes five fast pings, records every sample and notes that p95 of 5 is the maximum', async () => {
    const out = await runCanary(srv.url, { intervalMs: 10 });
    assert.equal(failed(out), false, JSON.stringify(out.observations));
    assert.equal(out.data?.oks, 5);
    assert.equal(out.data?.count, 5);
    const samples = out.data?.samples as Sample[];
    assert.equal(samples.length, 5);
    assert.ok(samples.every((s) => s.code === 200 && s.latencyMs > 0));
    assert.equal(out.data?.percentileSupported, false);
    assert.equal(out.data?.p95Ms, Math.max(...samples.map((s) => s.latencyMs)));
    const note = out.observations.find((o) => o.code === 'CANARY_PERCENTILE_IS_MAX');
    assert.equal(note?.severity, 'warn');
    assert.match(note?.message ?? '', /p95 of 5 sample\(s\) is the maximum.*at least 20/);
  });

  it('fails one slow ping in five under a 100 ms SLO (the seed formula passes it)', async () => {
    const out = await runCanary(srv.url, { path: '/one-slow', intervalMs: 0, sloMs: 100 });
    assert.deepEqual(codes(out), ['CANARY_SLO', 'CANARY_PERCENTILE_IS_MAX']);
    assert.equal(failed(out), true);
    assert.ok((out.data?.p95Ms as number) >= 300);
    assert.match(out.summary ?? '', /^5\/5 ok, p95 [\d.]+ ms \(max of 5\) ≥ 100 ms SLO$/);
    const samples = out.data?.samples as Sample[];
    const sorted = samples.map((s) => s.latencyMs).sort((a, b) => a - b);
    // The seed's sorted[int(5*0.95)-1] is the 4th value: under 100 ms here, so the seed would pass.
    assert.ok((sorted[3] ?? Number.POSITIVE_INFINITY) < 100, `4th fastest was ${sorted[3]}`);
  });

  it('does not mark a supported percentile (p50 of 5)', async () => {
    const out = await runCanary(srv.url, { intervalMs: 0, percentile: 'p50' });
    assert.equal(out.data?.percentileSupported, true);
    assert.ok(out.data?.p50Ms !== undefined);
    assert.equal(out.observations.some((o) => o.code === 'CANARY_PERCENTILE_IS_MAX'), false);
  });

  it('fails when one ping answers 500, naming it', async () => {
    const out = await runCanary(srv.url, { path: '/one-500', intervalMs: 0 });
    assert.equal(failed(out), true);
    assert.equal(codes(out)[0], 'CANARY_STATUS');
    assert.match(out.observations[0]?.message ?? '', /#2 GET .*\/one-500 → 500/);
    assert.equal(out.data?.oks, 4);
  });

  it('counts refused requests as failures with evidence', async () => {
    const out = await runCanary(await refusedUrl(), { count: 3, intervalMs: 0 });
    assert.deepEqual(codes(out), ['CANARY_UNREACHABLE', 'CANARY_NO_SAMPLES']);
    const samples = out.data?.samples as Sample[];
    assert.deepEqual(
      samples.map((s) => [s.code, s.error]),
      [
        [null, 'refused'],
        [null, 'refused'],
        [null, 'refused'],
      ],
    );
  });

  it('counts timed-out requests as failures', async () => {
    const out = await runCanary(srv.url, { path: '/hang', count: 2, intervalMs: 0, timeoutMs: 200 });
    assert.equal(codes(out)[0], 'CANARY_TIMEOUT');
  });

  it('throws GOLIVE_ERR_INSUFFICIENT_SAMPLES below minSamples', async () => {
    await assert.rejects(runCanary(await refusedUrl(), { count: 2, intervalMs: 0, minSamples: 2 }), (e: unknown) => {
      assert.ok(isGoliveError(e));
      assert.equal(e.code, 'GOLIVE_ERR_INSUFFICIENT_SAMPLES');
      return true;
    });
  });

  it('stops promptly when the signal aborts during the interval', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('run cancelled')), 150);
    const started = Date.now();
    await assert.rejects(runCanary(srv.url, { count: 5, intervalMs: 10_000 }, ac.signal), /run cancelled/);
    assert.ok(Date.now() - started < 5_000);
  });

  it('rejects bad options', () => {
    assert.throws(() => canaryCheck.options.parse({ percentile: 'p101' }));
    assert.throws(() => canaryCheck.options.parse({ count: 0 }));
    assert.throws(() => canaryCheck.options.parse({ slo: 5 }));
  });
});
