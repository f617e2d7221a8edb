/**
 * golive's own HTTP/1.1 client of the load engine (src/load/h1.ts) against real servers on loopback port 0:
 * raw TCP servers that write exact bytes (framing, split packets, garbage, hostile heads) and node:http /
 * node:https servers for the ordinary paths.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { classifyError } from '../../src/http/errors.ts';
import { type H1Controller, H1Pool, type H1Request } from '../../src/load/h1.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request through the pool; resolves with the whole reply, rejects with the client's error. */
function fetchOne(pool: H1Pool, req: Partial<H1Request> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: Reply['headers'] = {};
    const chunks: Buffer[] = [];
    pool.dispatch(
      { method: 'GET', path: '/', headers: {}, ...req },
      {
        onResponseStart(_c, s, h) {
          status = s;
          headers = h;
        },
        onResponseData(_c, chunk) {
          chunks.push(Buffer.from(chunk));
        },
        onResponseEnd() {
          resolve({ status, headers, body: Buffer.concat(chunks) });
        },
        onResponseError(_c, err) {
          reject(err);
        },
      },
    );
  });
}

/** A raw TCP server: `onRequest` gets each request head (and body) with the socket, and writes what it likes. */
async function rawServer(onRequest: (socket: Socket, head: string, index: number, body: Buffer) => void): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let index = 0;
  const server: Server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const len = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        const body = buf.subarray(end + 4, end + 4 + len);
        buf = buf.subarray(end + 4 + len);
        onRequest(socket, head, index++, body);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});
async function serve(onRequest: Parameters<typeof rawServer>[0]) {
  const s = await rawServer(onRequest);
  closers.push(s.close);
  return s;
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('framing', () => {
  test('Content-Length bodies, one keep-alive connection reused for sequential requests', async () => {
    const s = await serve((sock, _h, i) => sock.write(ok(`reply ${i}`)));
    const pool = new H1Pool(s.url, { connections: 4 });
    for (let i = 0; i < 5; i++) {
      const r = await fetchOne(pool);
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), `reply ${i}`);
    }
    assert.equal(s.connections(), 1);
    await pool.close();
  });

  test('chunked bodies split at every byte, with extensions and trailers', async () => {
    const s = await serve((sock) => {
      const bytes = Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n');
      let i = 0;
      const step = () => {
        if (i >= bytes.length) return;
        sock.write(bytes.subarray(i, i + 1));
        i++;
        setImmediate(step);
      };
      step();
    });
    const pool = new H1Pool(s.url);
    const r = await fetchOne(pool);
    assert.equal(r.body.toString(), 'hello, world');
    // The connection is still usable after a chunked answer.
    const again = await fetchOne(pool);
    assert.equal(again.body.toString(), 'hello, world');
    assert.equal(s.connections(), 1);
    await pool.close();
  });

  test('a body without length runs to the end of the connection; the next request opens a new one', async () => {
    const s = await serve((sock, _h, i) => sock.end(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil close ${i}`));
    const pool = new H1Pool(s.url);
    assert.equal((await fetchOne(pool)).body.toString(), 'until close 0');
    assert.equal((await fetchOne(pool)).body.toString(), 'until close 1');
    assert.equal(s.connections(), 2);
    await pool.close();
  });

  test('HEAD, 204 and 304 answers carry no body even with a Content-Length', async () => {
    const s = await serve((sock, head) => {
      if (head.startsWith('HEAD')) sock.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n');
      else if (head.includes('/204')) sock.write('HTTP/1.1 204 No Content\r\n\r\n');
      else sock.write('HTTP/1.1 304 Not Modified\r\ncontent-length: 50\r\n\r\n');
    });
    const pool = new H1Pool(s.url);
    const h = await fetchOne(pool, { method: 'HEAD' });
    assert.deepEqual([h.status, h.body.length], [200, 0]);
    const n = await fetchOne(pool, { path: '/204' });
    assert.deepEqual([n.status, n.body.length], [204, 0]);
    const m = await fetchOne(pool, { path: '/304' });
    assert.deepEqual([m.status, m.body.length], [304, 0]);
    assert.equal(s.connections(), 1);
    await pool.close();
  });

  test('interim 100 and 103 answers are skipped; the final answer counts', async () => {
    const s = await serve((sock) => {
      sock.write('HTTP/1.1 100 Continue\r\n\r\n');
      setTimeout(() => sock.write(`HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n${ok('final')}`), 5);
    });
    const pool = new H1Pool(s.url);
    const r = await fetchOne(pool);
    assert.deepEqual([r.status, r.body.toString()], [200, 'final']);
    await pool.close();
  });

  test('a head split over several packets, then the body in another', async () => {
    const s = await serve((sock) => {
      sock.write('HTTP/1.1 20');
      setTimeout(() => sock.write('1 Created\r\ncontent-le'), 5);
      setTimeout(() => sock.write('ngth: 4\r\n\r'), 10);
      setTimeout(() => sock.write('\n'), 15);
      setTimeout(() => sock.write('done'), 20);
    });
    const pool = new H1Pool(s.url);
    const r = await fetchOne(pool);
    assert.deepEqual([r.status, r.body.toString()], [201, 'done']);
    await pool.close();
  });

  test('Connection: close and HTTP/1.0 answers are not reused', async () => {
    const s = await serve((sock, _h, i) => sock.write(i % 2 === 0 ? ok('a', 'connection: close\r\n') : 'HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\nb'));
    const pool = new H1Pool(s.url);
    assert.equal((await fetchOne(pool)).body.toString(), 'a');
    assert.equal((await fetchOne(pool)).body.toString(), 'b');
    assert.equal((await fetchOne(pool)).body.toString(), 'a');
    assert.equal(s.connections(), 3);
    await pool.close();
  });
});

describe('in-place parsing and the shared read buffer', () => {
  test('header names in any case, values padded with spaces and tabs; Connection values in any case', async () => {
    const s = await serve((sock, head) => {
      if (head.includes('/upper')) sock.write('HTTP/1.1 200 OK\r\nCONTENT-LENGTH:\t 3 \t\r\nConnection: CLOSE\r\n\r\nabc');
      else if (head.includes('/http10')) sock.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection:   Keep-Alive\r\n\r\nok');
      else if (head.includes('/list')) sock.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: upgrade, Close\r\n\r\nx');
      else sock.write('HTTP/1.1 200\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n2\r\nhi\r\n0\r\n\r\n');
    });
    const pool = new H1Pool(s.url);
    assert.equal((await fetchOne(pool, { path: '/upper' })).body.toString(), 'abc');
    assert.equal(s.connections(), 1);
    // Connection: CLOSE was honoured: the next request needs a new connection...
    assert.equal((await fetchOne(pool, { path: '/http10' })).body.toString(), 'ok');
    assert.equal(s.connections(), 2);
    // ...and an HTTP/1.0 answer with Keep-Alive keeps its connection.
    assert.equal((await fetchOne(pool, { path: '/chunked' })).body.toString(), 'hi');
    assert.equal(s.connections(), 2);
    assert.equal((await fetchOne(pool, { path: '/list' })).body.toString(), 'x');
    assert.equal((await fetchOne(pool, { path: '/chunked' })).body.toString(), 'hi');
    assert.equal(s.connections(), 3);
    await pool.close();
  });

  test('many connections reading split heads and bodies at once: no answer takes another one\'s bytes', async () => {
    const s = await serve((sock, head) => {
      const id = /GET \/(\d+)/.exec(head)?.[1] ?? 'x';
      const body = `body-${id}-${'z'.repeat(Number(id) * 37)}`;
      const whole = `HTTP/1.1 200 OK\r\nx-id: ${id}\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
      const cut1 = 7 + (Number(id) % 20);
      const cut2 = whole.length - 3;
      sock.write(whole.slice(0, cut1));
      // Chained: two timers due in the same turn may fire in either order.
      setTimeout(() => {
        sock.write(whole.slice(cut1, cut2));
        setTimeout(() => sock.write(whole.slice(cut2)), 3);
      }, 2 + (Number(id) % 5));
    });
    const pool = new H1Pool(s.url, { connections: 40, keepHeaders: ['x-id'] });
    const replies = await Promise.all(Array.from({ length: 120 }, (_, i) => fetchOne(pool, { path: `/${i}` })));
    replies.forEach((r, i) => {
      assert.equal(r.headers['x-id'], String(i));
      assert.equal(r.body.toString(), `body-${i}-${'z'.repeat(i * 37)}`);
    });
    await pool.close();
  });

  test('a head repeated byte for byte is recognised; one that differs anywhere is parsed again', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nab',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nab',
      'HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc',
      'HTTP/1.1 201 OK\r\ncontent-length: 3\r\n\r\nxyz',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nab',
      'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nab',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nq\r\n0\r\n\r\n',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nqr\r\n0\r\n\r\n',
    ];
    const s = await serve((sock, _head, i) => sock.write(answers[i] ?? 'HTTP/1.1 500 No\r\ncontent-length: 0\r\n\r\n'));
    const pool = new H1Pool(s.url);
    const got: string[] = [];
    for (let i = 0; i < answers.length; i++) {
      const r = await fetchOne(pool);
      got.push(`${r.status} ${r.body.toString()}`);
    }
    assert.deepEqual(got, ['200 ab', '200 ab', '200 abc', '201 xyz', '200 ab', '200 ab', '200 q', '200 qr']);
    // Only the answer with Connection: close ended its connection.
    assert.equal(s.connections(), 2);
    // A HEAD answer with the same head as a GET answer has no body.
    const head = await serve((sock) => sock.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n'));
    const pool2 = new H1Pool(head.url);
    assert.equal((await fetchOne(pool2, { method: 'HEAD' })).body.length, 0);
    assert.equal((await fetchOne(pool2, { method: 'HEAD' })).body.length, 0);
    await pool.close();
    await pool2.close();
  });

  test('onResponseBody receives offsets into the read buffer instead of views, and wins over onResponseData', async () => {
    const s = await serve((sock) => sock.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'));
    const pool = new H1Pool(s.url);
    const got = await new Promise<{ text: string; views: number }>((resolve, reject) => {
      let text = '';
      let views = 0;
      pool.dispatch(
        { method: 'GET', path: '/', headers: {} },
        {
          onResponseBody(_c, buf, start, end) {
            text += buf.toString('latin1', start, end);
          },
          onResponseData() {
            views++;
          },
          onResponseEnd: () => resolve({ text, views }),
          onResponseError: (_c, err) => reject(err),
        },
      );
    });
    assert.deepEqual(got, { text: 'abcde', views: 0 });
    await pool.close();
  });
});

describe('requests', () => {
  test('method, path, headers and body arrive as sent, with Host and Content-Length added', async () => {
    const seen: { head: string; body: string }[] = [];
    const s = await serve((sock, head, _i, body) => {
      seen.push({ head, body: body.toString() });
      sock.write(ok('ok'));
    });
    const pool = new H1Pool(s.url);
    await fetchOne(pool, { method: 'POST', path: '/v1/events?x=1', headers: { 'content-type': 'application/json', 'x-signature': 't=1,v1=ab' }, body: Buffer.from('{"a":1}') });
    const big = Buffer.alloc(40_000, 'x');
    await fetchOne(pool, { method: 'PUT', path: '/big', headers: {}, body: big });
    const [first, second] = seen;
    assert.match(first?.head ?? '', /^POST \/v1\/events\?x=1 HTTP\/1\.1\r\n/);
    assert.match(first?.head ?? '', /\r\nhost: 127\.0\.0\.1:\d+\r\n/);
    assert.match(first?.head ?? '', /\r\nx-signature: t=1,v1=ab\r\n/);
    assert.match(first?.head ?? '', /\r\ncontent-length: 7(\r\n|$)/);
    assert.equal(first?.body, '{"a":1}');
    assert.equal(second?.body.length, 40_000);
  });

  test('header injection and invalid requests are refused before anything is sent', async () => {
    const s = await serve((sock) => sock.write(ok('x')));
    const pool = new H1Pool(s.url);
    const refused = (req: Partial<H1Request>, code: string, kind: string) =>
      assert.throws(
        () => pool.dispatch({ method: 'GET', path: '/', headers: {}, ...req }, {}),
        (err: Error & { code?: string }) => err.code === code && classifyError(err).kind === kind,
      );
    refused({ headers: { 'x-a': 'v\r\nx-injected: 1' } }, 'ERR_INVALID_CHAR', 'protocol');
    refused({ headers: { 'bad name': 'v' } }, 'ERR_INVALID_HTTP_TOKEN', 'protocol');
    refused({ path: '/a b' }, 'ERR_INVALID_CHAR', 'protocol');
    refused({ path: 'no-slash' }, 'ERR_INVALID_CHAR', 'protocol');
    refused({ method: 'G T' }, 'ERR_INVALID_HTTP_TOKEN', 'protocol');
    refused({ headers: { 'transfer-encoding': 'chunked' } }, 'ERR_INVALID_ARG_VALUE', 'other');
    refused({ method: 'POST', headers: { 'content-length': '99' }, body: Buffer.from('short') }, 'ERR_INVALID_ARG_VALUE', 'other');
    assert.equal(s.connections(), 0);
    await pool.close();
  });

  test('more requests than connections queue; at most `connections` sockets are opened', async () => {
    const s = await serve((sock, _h, i) => setTimeout(() => sock.write(ok(String(i))), 2));
    const pool = new H1Pool(s.url, { connections: 3 });
    const replies = await Promise.all(Array.from({ length: 30 }, () => fetchOne(pool)));
    assert.equal(replies.length, 30);
    assert.deepEqual(new Set(replies.map((r) => r.body.toString())).size, 30);
    assert.equal(s.connections(), 3);
    await pool.close();
  });

  test('only the headers asked for are materialised; repeated ones become arrays', async () => {
    const s = await serve((sock) => sock.write(ok('x', 'Idempotent-Replayed: true\r\nx-other: 1\r\nset-cookie: a=1\r\nset-cookie: b=2\r\n')));
    const pool = new H1Pool(s.url, { keepHeaders: ['idempotent-replayed', 'Set-Cookie'] });
    const r = await fetchOne(pool);
    assert.deepEqual(r.headers, { 'idempotent-replayed': 'true', 'set-cookie': ['a=1', 'b=2'] });
    const bare = new H1Pool(s.url);
    assert.deepEqual((await fetchOne(bare)).headers, {});
    await pool.close();
    await bare.close();
  });
});

describe('hostile servers end in errors, never hangs or crashes', () => {
  const expectKind = async (pool: H1Pool, kind: string, code?: RegExp, req: Partial<H1Request> = {}) => {
    const err = await fetchOne(pool, req).then(
      () => assert.fail('expected an error'),
      (e: Error) => e,
    );
    assert.equal(classifyError(err).kind, kind, `${(err as { code?: string }).code}: ${err.message}`);
    if (code) assert.match(String((err as { code?: string }).code), code);
  };

  test('garbage instead of HTTP', async () => {
    const s = await serve((sock) => sock.write('SSH-2.0-OpenSSH_9.6\r\n\r\n'));
    await expectKind(new H1Pool(s.url), 'protocol', /HPE_INVALID_CONSTANT/);
  });

  test('an invalid status code', async () => {
    const s = await serve((sock) => sock.write('HTTP/1.1 2x0 OK\r\n\r\n'));
    await expectKind(new H1Pool(s.url), 'protocol', /HPE_INVALID_STATUS/);
  });

  test('an endless head is cut at maxHeaderBytes', async () => {
    const s = await serve((sock) => {
      sock.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 200; i++) sock.write(`x-filler-${i}: ${'y'.repeat(500)}\r\n`);
    });
    await expectKind(new H1Pool(s.url, { maxHeaderBytes: 16_384 }), 'protocol', /HPE_HEADER_OVERFLOW/);
  });

  test('conflicting and malformed Content-Length values', async () => {
    const s = await serve((sock, head) => sock.write(head.includes('/two') ? 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab' : 'HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n'));
    await expectKind(new H1Pool(s.url), 'protocol', /HPE_INVALID_CONTENT_LENGTH/, { path: '/two' });
    await expectKind(new H1Pool(s.url), 'protocol', /HPE_INVALID_CONTENT_LENGTH/);
  });

  test('an invalid chunk size', async () => {
    const s = await serve((sock) => sock.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'));
    await expectKind(new H1Pool(s.url), 'protocol', /HPE_INVALID_CHUNK_SIZE/);
  });

  test('the connection closes mid-body', async () => {
    const s = await serve((sock) => sock.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly a part'));
    await expectKind(new H1Pool(s.url), 'reset');
  });

  test('the connection is reset before any answer', async () => {
    const s = await serve((sock) => sock.resetAndDestroy());
    await expectKind(new H1Pool(s.url), 'reset');
  });

  test('a refused connection', async () => {
    const s = await rawServer(() => {});
    const url = s.url;
    await s.close();
    await expectKind(new H1Pool(url), 'refused');
  });

  test('bytes after a complete answer: the answer stands, the connection is not reused', async () => {
    const s = await serve((sock, _h, i) => sock.write(`${ok(`r${i}`)}HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nextra`));
    const pool = new H1Pool(s.url);
    assert.equal((await fetchOne(pool)).body.toString(), 'r0');
    assert.equal((await fetchOne(pool)).body.toString(), 'r1');
    assert.equal(s.connections(), 2);
    await pool.close();
  });

  test('an unsolicited answer on an idle connection closes it; the next request gets a fresh one', async () => {
    const s = await serve((sock) => {
      sock.write(ok('x'));
      setTimeout(() => sock.write(ok('unsolicited')), 20);
    });
    const pool = new H1Pool(s.url);
    await fetchOne(pool);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal((await fetchOne(pool)).body.toString(), 'x');
    assert.equal(s.connections(), 2);
    await pool.close();
  });

  test('a silent server: the per-request timeout ends the request; abort() ends another', async () => {
    const s = await serve(() => {});
    const pool = new H1Pool(s.url, { connections: 2 });
    const t0 = performance.now();
    await expectKind(pool, 'timeout', undefined, { timeoutMs: 150 });
    assert.ok(performance.now() - t0 < 2000);
    const aborted = new Promise<Error>((resolve) => {
      pool.dispatch(
        { method: 'GET', path: '/', headers: {} },
        {
          onRequestStart(c: H1Controller) {
            setTimeout(() => c.abort(Object.assign(new Error('stop'), { code: 'ETIMEDOUT' })), 30);
          },
          onResponseError(_c, err) {
            resolve(err);
          },
        },
      );
    });
    assert.equal(classifyError(await aborted).kind, 'timeout');
    await pool.destroy();
  });

  test('destroy() fails requests in flight and queued as aborted', async () => {
    const s = await serve(() => {});
    const pool = new H1Pool(s.url, { connections: 1 });
    const pending = [fetchOne(pool), fetchOne(pool), fetchOne(pool)].map((p) =>
      p.then(
        () => 'answered',
        (e: Error) => classifyError(e).kind,
      ),
    );
    await new Promise((r) => setTimeout(r, 30));
    await pool.destroy();
    assert.deepEqual(await Promise.all(pending), ['aborted', 'aborted', 'aborted']);
    assert.throws(() => pool.dispatch({ method: 'GET', path: '/', headers: {} }, {}), /closed/);
  });
});

describe('node servers', () => {
  test('node:http keep-alive answers, including chunked ones', async () => {
    const server = createHttpServer((req, res) => {
      if (req.url === '/chunked') {
        res.write('part one, ');
        setTimeout(() => res.end('part two'), 5);
      } else res.end('plain');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.closeIdleConnections();
    const pool = new H1Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    assert.equal((await fetchOne(pool, { path: '/chunked' })).body.toString(), 'part one, part two');
    assert.equal((await fetchOne(pool)).body.toString(), 'plain');
    await pool.close();
    server.closeAllConnections();
  });

  test('https: a self-signed certificate is refused unless verification is off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'golive-h1-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], {
      stdio: 'ignore',
    });
    const server = createHttpsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (_req, res) => res.end('secure'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const url = `https://localhost:${(server.address() as AddressInfo).port}`;
    const strict = new H1Pool(url);
    const err = await fetchOne(strict).then(
      () => null,
      (e: Error) => e,
    );
    assert.equal(classifyError(err).kind, 'tls');
    const lax = new H1Pool(url, { rejectUnauthorized: false, connections: 2 });
    assert.equal((await fetchOne(lax)).body.toString(), 'secure');
    assert.equal((await fetchOne(lax)).body.toString(), 'secure');
    await lax.close();
  });
});
