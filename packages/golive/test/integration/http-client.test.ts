import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redactor } from '../../src/core/redact.ts';
import { bodyJson, createHttpClient, describeExchange, headerValues } from '../../src/http/client.ts';

/** A hostile server on port 0: each path misbehaves in its own way. */
function hostile(): Server {
  return createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/ok') {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('content-type', 'application/json');
      res.end('{"status":"ok"}');
    } else if (url === '/huge') {
      // 2 GB, produced lazily: the client must stop reading at its cap.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * 1024 ** 3) });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (res.write(chunk)) {
          /* keep writing until backpressure */
        }
      };
      res.on('drain', pump);
      pump();
    } else if (url === '/hang') {
      // never answers
    } else if (url === '/reset') {
      req.socket.destroy();
    } else if (url === '/garbage') {
      req.socket.end('NOT HTTP AT ALL\r\n\r\n');
    } else if (url === '/loop-a') {
      res.writeHead(302, { location: '/loop-b' }).end();
    } else if (url === '/loop-b') {
      res.writeHead(302, { location: '/loop-a' }).end();
    } else if (url.startsWith('/chain/')) {
      const n = Number(url.slice(7));
      res.writeHead(301, { location: `/chain/${n + 1}` }).end();
    } else if (url.startsWith('/echo-auth')) {
      res.end(String(req.headers.authorization ?? 'none'));
    } else {
      res.writeHead(404).end('nope');
    }
  });
}

describe('http client against a hostile server', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = hostile();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('reads a normal response with timings and repeated headers', async () => {
    const c = createHttpClient({ baseUrl: base });
    const ex = await c.request({ url: '/ok' });
    await c.close();
    assert.ok(ex.ok, 'the exchange succeeded');
    assert.equal(ex.status, 200);
    assert.deepEqual(bodyJson(ex), { status: 'ok' });
    assert.deepEqual(headerValues(ex.headers, 'set-cookie'), ['a=1', 'b=2']);
    assert.ok(Number.isInteger(ex.timings.totalUs) && ex.timings.totalUs > 0);
    assert.match(describeExchange(ex), /^GET http:\/\/127\.0\.0\.1:\d+\/ok → 200 in /);
  });

  it('stops reading a 2 GB body at the cap, in bounded time and memory', async () => {
    const c = createHttpClient({ baseUrl: base });
    const rssBefore = process.memoryUsage().rss;
    const t0 = Date.now();
    const ex = await c.request({ url: '/huge', maxBodyBytes: 256 * 1024, timeoutMs: 5000 });
    await c.close();
    assert.ok(ex.ok, 'the exchange succeeded');
    assert.equal(ex.truncated, true);
    assert.equal(ex.body.length, 256 * 1024);
    assert.ok(Date.now() - t0 < 4000, 'ended well before the timeout');
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024, 'did not buffer the body');
  });

  it('a server that never answers ends at the timeout as a timeout failure', async () => {
    const c = createHttpClient({ baseUrl: base });
    const t0 = Date.now();
    const ex = await c.request({ url: '/hang', timeoutMs: 300 });
    await c.close();
    assert.ok(!ex.ok, 'the exchange failed');
    assert.equal(ex.kind, 'timeout');
    assert.ok(Date.now() - t0 < 2000);
  });

  it('classifies a reset, garbage and a refused connection', async () => {
    const c = createHttpClient({ baseUrl: base });
    const reset = await c.request({ url: '/reset' });
    const garbage = await c.request({ url: '/garbage' });
    await c.close();
    assert.equal(reset.ok, false);
    assert.equal(!reset.ok && reset.kind, 'reset');
    assert.equal(garbage.ok, false);
    assert.ok(!garbage.ok && ['protocol', 'reset'].includes(garbage.kind), !garbage.ok ? garbage.kind : '');

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const c2 = createHttpClient({ baseUrl: `http://127.0.0.1:${port}` });
    const refused = await c2.request({ url: '/' });
    await c2.close();
    assert.equal(!refused.ok && refused.kind, 'refused');
    assert.match(describeExchange(refused), /refused/);
  });

  it('detects redirect loops and caps chains; records hops', async () => {
    const c = createHttpClient({ baseUrl: base });
    const loop = await c.request({ url: '/loop-a', followRedirects: true });
    const chain = await c.request({ url: '/chain/0', followRedirects: true, maxRedirects: 3 });
    const notFollowed = await c.request({ url: '/loop-a' });
    await c.close();
    assert.equal(!loop.ok && loop.kind, 'redirect-loop');
    assert.equal(loop.redirects.length, 2);
    assert.equal(!chain.ok && chain.kind, 'too-many-redirects');
    assert.equal(notFollowed.ok && notFollowed.status, 302);
  });

  it('sends default headers and redacts secrets in failure messages and URLs', async () => {
    const secret = 'tok-secret-123456';
    const redactor = new Redactor().add(secret);
    const c = createHttpClient({ baseUrl: base, defaultHeaders: { authorization: `Bearer ${secret}` }, redactor });
    const ex = await c.request({ url: `/echo-auth?token=${secret}` });
    await c.close();
    assert.equal(ex.ok && ex.body.toString(), `Bearer ${secret}`, 'the header was sent');
    assert.ok(!ex.request.url.includes(secret), 'the URL in evidence is redacted');
  });

  it('appends paths to the base URL path prefix, as the seeds did', async () => {
    const c = createHttpClient({ baseUrl: 'https://example.test/app/' });
    assert.equal(c.resolve('/health').href, 'https://example.test/app/health');
    assert.equal(c.resolve('health?x=1').href, 'https://example.test/app/health?x=1');
    assert.equal(c.resolve('/').href, 'https://example.test/app/');
    assert.equal(c.resolve('http://other.test/x').href, 'http://other.test/x');
    const root = createHttpClient({ baseUrl: 'http://127.0.0.1:8000' });
    assert.equal(root.resolve('/health').href, 'http://127.0.0.1:8000/health');
    await c.close();
    await root.close();
  });
});
