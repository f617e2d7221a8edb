import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { healthCheck } from '../../src/checks/health.ts';
import { type TestServer, refusedUrl, sendJson, startServer } from '../helpers/check-servers.ts';
import { codes, failed, makeContext, runCheck } from '../helpers/context.ts';

async function runHealth(baseUrl: string, opts: Record<string, unknown> = {}, env?: Record<string, string>) {
  const t = await makeContext(env ? { baseUrl, env } : { baseUrl });
  try {
    return await runCheck(healthCheck, t.ctx, opts);
  } finally {
    await t.close();
  }
}

describe('health check against real servers', () => {
  let srv: TestServer;
  let sentBytes = 0;
  before(async () => {
    srv = await startServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      switch (path) {
        case '/health':
          return sendJson(res, 200, { status: 'ok' });
        case '/ietf':
          return sendJson(res, 200, { status: 'pass', checks: { 'db:up': [{ status: 'pass' }] } }, 'application/health+json');
        case '/ietf-warn':
          return sendJson(res, 200, { status: 'warn' }, 'application/health+json');
        case '/error':
          return sendJson(res, 500, { error: 'db down' });
        case '/html':
          res.writeHead(200, { 'content-type': 'text/html' });
          return res.end('<html><body>OK</body></html>');
        case '/degraded':
          return sendJson(res, 200, { status: 'degraded' });
        case '/duplicate':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('{"status":"fail","status":"ok"}');
        case '/duplicate-nested':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('{"status":"ok","checks":{"db":{"status":"pass"},"db":{"status":"fail"}}}');
        case '/bom':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.end('\ufeff{"status":"ok"}');
        case '/secret':
          return sendJson(res, 503, { status: 'fail', dsn: 'postgres://app:hunter2-very-secret@db/app' });
        case '/reset':
          return req.socket.destroy();
        case '/hang':
          return; // never answers
        case '/slow':
          setTimeout(() => sendJson(res, 200, { status: 'ok' }), 250);
          return;
        case '/huge': {
          // 2 GB announced and streamed lazily: only what the client pulls is ever produced.
          const total = 2 * 1024 ** 3;
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': total });
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          const pump = () => {
            while (sentBytes < total && !res.destroyed) {
              sentBytes += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
          };
          pump();
          return;
        }
        default:
          return sendJson(res, 404, { error: 'not found' });
      }
    });
  });
  after(() => srv.close());

  it('a body with a duplicate key has no single meaning: not recognised, never healthy', async () => {
    for (const path of ['/duplicate', '/duplicate-nested']) {
      const r = await runHealth(srv.url, { path });
      assert.equal(failed(r), true, path);
      assert.deepEqual(codes(r), ['HEALTH_UNRECOGNISED'], path);
      assert.match(r.observations.find((o) => !o.passed)?.message ?? '', /duplicate key "(status|db)"/);
    }
  });

  it('a JSON body after a byte order mark is read as JSON', async () => {
    const r = await runHealth(srv.url, { path: '/bom' });
    assert.equal(failed(r), false, JSON.stringify(r.observations));
    assert.equal(r.data?.healthStatus, 'healthy');
  });

  it('passes on 200 {"status":"ok"} and records latency in ms from µs', async () => {
    const out = await runHealth(srv.url);
    assert.equal(failed(out), false, JSON.stringify(out.observations));
    assert.equal(out.data?.statusCode, 200);
    assert.deepEqual(out.data?.payload, { status: 'ok' });
    assert.equal(out.data?.ok, true);
    const ms = out.data?.latencyMs as number;
    assert.ok(ms > 0 && Number.isInteger(Math.round(ms * 1000)));
  });

  it('passes on IETF application/health+json pass', async () => {
    const out = await runHealth(srv.url, { path: '/ietf' });
    assert.equal(failed(out), false);
    assert.equal(out.data?.format, 'application/health+json');
  });

  it('turns an IETF warn into a warning, not a failure', async () => {
    const out = await runHealth(srv.url, { path: '/ietf-warn' });
    assert.equal(failed(out), false);
    const w = out.observations.find((o) => o.code === 'HEALTH_WARN');
    assert.equal(w?.severity, 'warn');
    assert.equal(w?.passed, false);
  });

  it('fails a 500 with the status and a body excerpt', async () => {
    const out = await runHealth(srv.url, { path: '/error' });
    assert.equal(failed(out), true);
    assert.deepEqual(codes(out), ['HEALTH_STATUS']);
    const msg = out.observations[0]?.message ?? '';
    assert.match(msg, /GET http:\/\/127\.0\.0\.1:\d+\/error → 500/);
    assert.match(msg, /db down/);
  });

  it('fails a body that is not JSON, quoting it', async () => {
    const out = await runHealth(srv.url, { path: '/html' });
    assert.deepEqual(codes(out), ['HEALTH_NOT_JSON']);
    assert.match(out.observations.find((o) => o.code)?.message ?? '', /text\/html.*<html><body>OK/);
  });

  it('accepts a non-JSON 200 only when allowNonJson is set', async () => {
    const out = await runHealth(srv.url, { path: '/html', allowNonJson: true });
    assert.equal(failed(out), false);
    assert.equal(out.observations.find((o) => o.name === 'body-json')?.passed, true);
  });

  it('fails {"status":"degraded"}', async () => {
    const out = await runHealth(srv.url, { path: '/degraded' });
    assert.deepEqual(codes(out), ['HEALTH_UNHEALTHY']);
    assert.match(out.observations[1]?.message ?? '', /degraded/);
  });

  it('redacts secrets from the evidence', async () => {
    const out = await runHealth(srv.url, { path: '/secret' }, { DATABASE_URL: 'postgres://app:hunter2-very-secret@db/app' });
    assert.equal(failed(out), true);
    assert.ok(!JSON.stringify(out).includes('hunter2-very-secret'));
    assert.match(JSON.stringify(out), /\[REDACTED\]/);
  });

  it('fails a refused connection as HEALTH_UNREACHABLE', async () => {
    const out = await runHealth(await refusedUrl());
    assert.deepEqual(codes(out), ['HEALTH_UNREACHABLE']);
    assert.match(out.observations[0]?.message ?? '', /connection refused: GET http:\/\/127\.0\.0\.1:\d+\/health/);
    assert.equal(out.data?.statusCode, null);
  });

  it('fails a reset connection as HEALTH_RESET', async () => {
    const out = await runHealth(srv.url, { path: '/reset' });
    assert.deepEqual(codes(out), ['HEALTH_RESET']);
  });

  it('fails a server that never answers at the timeout', async () => {
    const out = await runHealth(srv.url, { path: '/hang', timeoutMs: 300 });
    assert.deepEqual(codes(out), ['HEALTH_TIMEOUT']);
  });

  it('fails when slower than maxLatencyMs', async () => {
    const out = await runHealth(srv.url, { path: '/slow', maxLatencyMs: 50 });
    assert.deepEqual(codes(out), ['HEALTH_SLOW']);
  });

  it('ends a 2 GB body at the cap with bounded memory', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const out = await runHealth(srv.url, { path: '/huge', maxBodyBytes: 64 * 1024, timeoutMs: 20_000 });
    assert.deepEqual(codes(out), ['HEALTH_BODY_TOO_LARGE']);
    // Only what sits in socket buffers was produced, nowhere near 2 GB.
    assert.ok(sentBytes < 256 * 1024 * 1024, `server produced ${sentBytes} bytes`);
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024);
  });

  it('stops when the context signal aborts', async () => {
    const ac = new AbortController();
    const t = await makeContext({ baseUrl: srv.url, signal: ac.signal });
    try {
      setTimeout(() => ac.abort(new Error('run cancelled')), 100);
      await assert.rejects(runCheck(healthCheck, t.ctx, { path: '/hang', timeoutMs: 10_000 }), /run cancelled/);
    } finally {
      await t.close();
    }
  });

  it('rejects unknown and bad options', () => {
    assert.throws(() => healthCheck.options.parse({ pth: '/x' }));
    assert.throws(() => healthCheck.options.parse({ expectStatus: '2xy' }));
    assert.throws(() => healthCheck.options.parse({ url: 'ftp://x' }));
  });
});
