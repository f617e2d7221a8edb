// Answers pilot writes outside its routes: parser errors (400, 431, 408), 417, 414 and 503 while
// closing all carry the security headers and a request id; header and request timeouts fire within a
// second of their values (not up to 30 s late). Real server on port 0, raw sockets.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { makeApp } from '../helpers.ts';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the last write to the first byte of the answer. */
  firstByteMs: number;
}

/** Sends `chunks` (a number waits that many ms) on a fresh socket; resolves with the first answer. */
function exchange(port: number, chunks: Array<string | number>, timeoutMs = 8_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = '';
    let lastWrite = Date.now();
    let firstByteMs = -1;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(data.slice(0, 200))}`));
    }, timeoutMs);
    const finish = () => {
      const parsed = parseAnswer(data);
      if (!parsed) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parsed, firstByteMs });
      return true;
    };
    socket.on('data', (d: Buffer) => {
      if (firstByteMs < 0) firstByteMs = Date.now() - lastWrite;
      data += d.toString('latin1');
      finish();
    });
    socket.on('close', () => {
      if (!finish()) {
        clearTimeout(timer);
        reject(new Error(`connection closed without a complete answer: ${JSON.stringify(data.slice(0, 200))}`));
      }
    });
    socket.on('error', () => {});
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (typeof c === 'number') await new Promise((r) => setTimeout(r, c));
        else if (!socket.destroyed) {
          socket.write(c);
          lastWrite = Date.now();
        }
      }
    });
  });
}

function parseAnswer(data: string): Omit<RawAnswer, 'firstByteMs'> | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = data.slice(end + 4);
  const length = Number(headers['content-length'] ?? 0);
  if (Buffer.byteLength(body, 'latin1') < length) return undefined;
  return { status: Number(statusLine?.split(' ')[1]), headers, body };
}

function assertHardened(a: RawAnswer, status: number): void {
  assert.equal(a.status, status, `${a.status} ${a.body}`);
  assert.match(a.headers['content-security-policy'] ?? '', /default-src 'self'/, 'CSP');
  assert.match(a.headers['strict-transport-security'] ?? '', /max-age=31536000/, 'HSTS');
  assert.equal(a.headers['x-content-type-options'], 'nosniff');
  assert.equal(a.headers['x-frame-options'], 'DENY');
  assert.match(a.headers['x-request-id'] ?? '', /^[A-Za-z0-9._:-]{8,128}$/, 'request id');
  const body = JSON.parse(a.body) as { error: string; requestId: string };
  assert.equal(typeof body.error, 'string');
  assert.equal(body.requestId, a.headers['x-request-id']);
}

let app: FastifyInstance;
let port: number;

before(async () => {
  app = await makeApp({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000', RATE_LIMIT_MAX: '100000' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as net.AddressInfo).port;
});
after(async () => {
  await app.close();
});

test('bad framing (invalid Content-Length) → 400 with security headers and a request id', async () => {
  const a = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n']);
  assertHardened(a, 400);
});

test('oversized headers → 431 with security headers and a request id', async () => {
  const a = await exchange(port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
  assertHardened(a, 431);
});

test('Expect other than 100-continue → 417 with security headers and a request id', async () => {
  const a = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n']);
  assertHardened(a, 417);
});

test('an over-long path parameter → 414 with security headers, the path not echoed', async () => {
  const long = 'p'.repeat(3_000);
  const a = await exchange(port, [`GET /v1/events/${long} HTTP/1.1\r\nHost: x\r\n\r\n`]);
  assertHardened(a, 414);
  assert.ok(!a.body.includes('ppppppppppppppppppppp'), 'the path is echoed back');
});

test('headers timeout (1 s) fires within a second of its value, answered 408 with the headers', async () => {
  const a = await exchange(port, ['GET / HTTP/1.1\r\nHost: x\r\n']);
  assertHardened(a, 408);
  assert.ok(a.firstByteMs >= 900 && a.firstByteMs < 2_000, `408 after ${a.firstByteMs} ms (HEADERS_TIMEOUT_MS=1000)`);
});

test('request timeout (2 s) fires within a second of its value', async () => {
  const a = await exchange(port, [
    'POST /api/stripe/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
  ]);
  assert.equal(a.status, 408, a.body);
  assert.ok(a.firstByteMs >= 1_900 && a.firstByteMs < 3_000, `408 after ${a.firstByteMs} ms (REQUEST_TIMEOUT_MS=2000)`);
});

/** Sends `chunks` on one socket and returns every answer read until the server closes it. */
function pipeline(port: number, chunks: Array<string | number>, timeoutMs = 8_000): Promise<Array<Omit<RawAnswer, 'firstByteMs'>>> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connection still open after ${timeoutMs} ms; got ${JSON.stringify(data.slice(0, 300))}`));
    }, timeoutMs);
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const answers: Array<Omit<RawAnswer, 'firstByteMs'>> = [];
      let rest = data;
      for (let a = parseAnswer(rest); a; a = parseAnswer(rest)) {
        answers.push(a);
        const head = rest.indexOf('\r\n\r\n') + 4;
        rest = rest.slice(head + Number(a.headers['content-length'] ?? 0));
      }
      resolve(answers);
    });
    socket.on('connect', async () => {
      for (const c of chunks) {
        if (typeof c === 'number') await new Promise((r) => setTimeout(r, c));
        else if (!socket.destroyed) socket.write(c);
      }
    });
  });
}

test('a request arriving while the server closes → 503 with security headers, request id and Retry-After', async () => {
  const own = await makeApp({ RATE_LIMIT_MAX: '100000' });
  await own.listen({ port: 0, host: '127.0.0.1' });
  const ownPort = (own.server.address() as net.AddressInfo).port;
  const body = '{"a":1}';
  let closed: Promise<void> | undefined;
  // A slow first request keeps the connection busy across the start of close(); the second request,
  // pipelined behind it, is parsed once close has begun.
  const answers = pipeline(ownPort, [
    `POST /api/stripe/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n{`,
    400,
    `"a":1}GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n`,
  ]);
  setTimeout(() => {
    closed = own.close();
  }, 150);
  const got = await answers;
  await closed;
  assert.equal(got.length, 2, JSON.stringify(got.map((a) => a.status)));
  assert.equal(got[0]!.status, 400, got[0]!.body);
  assertHardened({ ...got[1]!, firstByteMs: 0 }, 503);
  assert.match(got[1]!.headers['retry-after'] ?? '', /^\d+$/);
  assert.equal(JSON.parse(got[1]!.body).error, 'shutting_down');
});
