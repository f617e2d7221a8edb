/**
 * golive's own start-up is not charged to the target: the client warms its request path on loopback before the
 * gate times anything, and a new connection's set-up is reported apart from the answer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHttpClient } from '../../src/http/client.ts';
import { assertBuilt, assertNoStack, golive, healthyHandler, serve, type TestServer } from '../cli/helpers.ts';

let server: TestServer;
let dir: string;
before(async () => {
  assertBuilt();
  server = await serve(healthyHandler());
  dir = await mkdtemp(join(tmpdir(), 'golive-warm-'));
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('first-request cost', () => {
  it('a new connection reports its set-up apart; a reused one reports none', async () => {
    const http = createHttpClient({ baseUrl: server.url });
    try {
      const first = await http.request({ url: '/health' });
      // undici returns the connection to its pool just after the body ends: give it that turn.
      await new Promise((r) => setTimeout(r, 20));
      const second = await http.request({ url: '/health' });
      assert.ok(first.ok && second.ok);
      assert.equal(typeof first.timings.connectUs, 'number', 'the first request opened the connection');
      assert.ok((first.timings.connectUs ?? 0) <= first.timings.totalUs);
      assert.equal(second.timings.connectUs, undefined, 'the second reused it');
    } finally {
      await http.close();
    }
  });

  it('the first health request of a fresh process meets a 50 ms limit against a server that answers at once', async () => {
    const config = join(dir, 'golive.config.json');
    await writeFile(config, JSON.stringify({ checks: { health: { kind: 'health', options: { maxLatencyMs: 50 } } } }));
    const latencies: number[] = [];
    for (let i = 0; i < 3; i++) {
      const out = join(dir, `out-${i}`);
      const run = await golive(['run', '--config', config, '--url', server.url, '--out', out, '--reporter', 'json']);
      assertNoStack(run.stderr);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      const health = report.stages[0].checks[0];
      latencies.push(health.data.latencyMs);
      assert.equal(run.code, 0, `run ${i}: ${health.summary}`);
      assert.equal(typeof health.data.connectMs, 'number', 'the first request opened the connection and says what that took');
    }
    assert.ok(Math.max(...latencies) < 50, `first-request latencies ${latencies.join(', ')} ms`);
  });
});
