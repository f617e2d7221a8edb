/**
 * runLoadTest, the one load API behind the `load` check and `golive load`: its verdict (pass, fail, error with
 * the result kept), the check taking that verdict unchanged, and heap tuning being opt-in (the library leaves
 * its host's V8 alone unless asked). Real servers on port 0.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, mock, test } from 'node:test';
import { syncBuiltinESMExports } from 'node:module';
import v8 from 'node:v8';
import { type LoadCheckOptions, loadCheck, runLoadTest } from '../../src/checks/load.ts';
import { CheckError } from '../../src/core/errors.ts';
import { Redactor } from '../../src/core/redact.ts';
import { createHttpClient } from '../../src/http/client.ts';
import { heapTuningDefault } from '../../src/load/heap.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';
import { makeContext } from '../helpers/context.ts';

function options(input: Record<string, unknown>): LoadCheckOptions {
  return loadCheck.options.parse(input);
}

describe('runLoadTest', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer((_req, res) => res.end('ok'));
  });
  after(async () => {
    await srv.close();
  });

  async function run(input: Record<string, unknown>, extra: { tuneHeap?: boolean } = {}) {
    const redactor = new Redactor();
    const http = createHttpClient({ baseUrl: srv.url, redactor });
    try {
      return await runLoadTest(options(input), { baseUrl: new URL(srv.url), http, env: {}, redactor, ...extra });
    } finally {
      await http.close();
    }
  }

  test('pass and fail are decided once, from error-severity observations', async () => {
    const pass = await run({ total: 100, concurrency: 2, thresholds: ['p95 < 5000'] });
    assert.equal(pass.status, 'pass');
    assert.equal(pass.result.requests.responses, 100);
    assert.equal(pass.metrics.responses, 100);
    assert.match(pass.summary, /^100 responses/);

    const fail = await run({ total: 100, concurrency: 2, thresholds: ['p95 < 5000', 'p50 < 0.001'] });
    assert.equal(fail.status, 'fail');
    assert.deepEqual(
      fail.observations.map((o) => [o.name, o.passed]),
      [
        ['threshold: p95 < 5000', true],
        ['threshold: p50 < 0.001', false],
      ],
    );
  });

  test('too few responses: status error with the result kept; the check throws it after writing the artifact', async () => {
    const few = await run({ total: 20, concurrency: 2, minSamples: 100 });
    assert.equal(few.status, 'error');
    assert.ok(few.error instanceof CheckError);
    assert.equal(few.error.code, 'GOLIVE_ERR_INSUFFICIENT_SAMPLES');
    assert.equal(few.result.requests.responses, 20, 'the evidence survives the verdict');

    const unsupported = await run({ total: 10, concurrency: 1, minSamples: 10, thresholds: ['p99 < 1000'] });
    assert.equal(unsupported.status, 'error');
    assert.match(unsupported.error?.message ?? '', /cannot support p99/);

    const t = await makeContext({ baseUrl: srv.url });
    try {
      await assert.rejects(loadCheck.run(t.ctx, options({ total: 20, concurrency: 2, minSamples: 100 })), { code: 'GOLIVE_ERR_INSUFFICIENT_SAMPLES' });
      assert.deepEqual(t.written, ['load/test-check.json']);
    } finally {
      await t.close();
    }
  });

  describe('heap tuning', () => {
    afterEach(() => {
      mock.restoreAll();
      syncBuiltinESMExports();
    });
    // The tuning reads V8's heap spaces before touching any flag; counting those reads shows whether it ran.
    function spyHeapReads() {
      const spy = mock.method(v8, 'getHeapSpaceStatistics');
      syncBuiltinESMExports();
      return spy;
    }

    test('off by default in the library: a run leaves the process V8 alone', async () => {
      assert.equal(heapTuningDefault(), false);
      const spy = spyHeapReads();
      const r = await run({ total: 50, concurrency: 2, minSamples: 50 });
      assert.equal(r.status, 'pass');
      assert.equal(spy.mock.callCount(), 0);
    });

    test('on when asked (tuneHeap: true, as golive CLI makes it the process default)', async () => {
      const spy = spyHeapReads();
      const r = await run({ total: 50, concurrency: 2, minSamples: 50 }, { tuneHeap: true });
      assert.equal(r.status, 'pass');
      assert.ok(spy.mock.callCount() > 0);
    });
  });
});
