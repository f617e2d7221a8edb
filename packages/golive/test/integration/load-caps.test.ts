/**
 * A hostile target cannot make a load run pull without end or blame golive: a body that never ends is cut at
 * the cap and reported (BODY_CAP), and an oversized response head is a protocol failure on both transports.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { runLoad } from '../../src/load/run.ts';
import type { ScenarioSpec } from '../../src/load/scenario.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';

const scenario = (path: string): ScenarioSpec => ({ request: { method: 'GET', path }, seed: 1, runId: 't', nowSec: Math.floor(Date.now() / 1000) });
let endless: TestServer;
let bigHead: net.Server;
let bigHeadUrl = '';
let sentBytes = 0;

before(async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  endless = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) sentBytes += chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  });
  bigHead = net.createServer((socket) => {
    socket.on('data', () => {
      socket.write(`HTTP/1.1 200 OK\r\nx-big: ${'b'.repeat(100 * 1024)}\r\ncontent-length: 2\r\n\r\nok`);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => bigHead.listen(0, '127.0.0.1', r));
  bigHeadUrl = `http://127.0.0.1:${(bigHead.address() as net.AddressInfo).port}`;
});
after(async () => {
  await endless.close();
  await new Promise<void>((r) => bigHead.close(() => r()));
});

describe('load caps', () => {
  for (const transport of ['native', 'undici'] as const) {
    test(`${transport}: an endless body is cut at maxBodyBytes and reported`, async () => {
      sentBytes = 0;
      const t0 = Date.now();
      const r = await runLoad({ baseUrl: endless.url, scenario: scenario('/'), model: { type: 'closed', concurrency: 2, total: 4 }, warmup: null, maxBodyBytes: 1024 * 1024, transport });
      assert.ok(Date.now() - t0 < 15_000);
      assert.equal(r.requests.failed, 4, JSON.stringify(r.requests));
      assert.ok(r.flags.includes('BODY_CAP'), r.flags.join(','));
      assert.match(r.errorSamples[0]?.message ?? '', /over the 1048576-byte cap/);
      assert.ok(sentBytes < 64 * 1024 * 1024, `the server got to write ${sentBytes} bytes only`);
    });

    test(`${transport}: an oversized response head is a protocol failure`, async () => {
      const r = await runLoad({ baseUrl: bigHeadUrl, scenario: scenario('/'), model: { type: 'closed', concurrency: 1, total: 2 }, warmup: null, transport });
      assert.equal(r.requests.failed, 2);
      assert.equal(r.errors.protocol, 2, JSON.stringify(r.errors));
    });
  }
});
