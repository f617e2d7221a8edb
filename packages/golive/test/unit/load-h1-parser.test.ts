/** The pure HTTP/1.1 response parser of the load client (src/load/h1-parser.ts), fed bytes directly. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ParserShared, ResponseParser, type ResponseSink } from '../../src/load/h1-parser.ts';

interface Seen {
  heads: { status: number; headers: Record<string, string | string[] | undefined> }[];
  body: string;
  completions: boolean[];
  errors: string[];
}

/** A parser with a recording sink; `hooks` may act from inside a callback (as a handler can). */
function make(options: { keepHeaders?: string[]; maxHeaderBytes?: number; shared?: ParserShared } = {}, hooks: Partial<ResponseSink> = {}) {
  const seen: Seen = { heads: [], body: '', completions: [], errors: [] };
  const shared = options.shared ?? new ParserShared(options);
  const parser = new ResponseParser(shared, {
    onResponseHead(status, headers) {
      seen.heads.push({ status, headers });
      hooks.onResponseHead?.(status, headers);
    },
    onResponseBody(buf, start, end) {
      seen.body += buf.toString('latin1', start, end);
      hooks.onResponseBody?.(buf, start, end);
    },
    onResponseComplete(reuse) {
      seen.completions.push(reuse);
      hooks.onResponseComplete?.(reuse);
    },
    onParseError(err) {
      seen.errors.push((err as NodeJS.ErrnoException).code as string);
      hooks.onParseError?.(err);
    },
  });
  return { parser, seen, shared };
}

/**
 * Feeds `text` in pieces of `step` bytes (each copied into a reused buffer at offset 3) and then, optionally,
 * the close. Stops once nothing is expected (a connection closes after an error) unless `past` is set.
 */
function feed(parser: ResponseParser, text: string, step = text.length, eof = false, past = false): void {
  const bytes = Buffer.from(text, 'latin1');
  const scratch = Buffer.alloc(bytes.length + 3);
  const expected = parser.busy;
  for (let off = 0; off < bytes.length && (past || !expected || parser.busy); off += step) {
    const n = Math.min(step, bytes.length - off);
    bytes.copy(scratch, 3, off, off + n);
    parser.execute(scratch, 3, 3 + n);
    scratch.fill(0x2a);
  }
  if (eof) parser.eof();
}

describe('framing', () => {
  const cases: { name: string; text: string; method?: string; eof?: boolean; status: number; body: string; reuse: boolean }[] = [
    { name: 'Content-Length', text: 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', status: 200, body: 'hello', reuse: true },
    { name: 'Content-Length with OWS and leading zeros', text: 'HTTP/1.1 201 Created\r\ncontent-length:\t 005 \r\n\r\nhello', status: 201, body: 'hello', reuse: true },
    {
      name: 'chunked with extensions and trailers',
      text: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5;a=1;b="x y"\r\nhello\r\nA;c=\r\n, world!!!\r\n0\r\nx-t: 1\r\n\r\n',
      status: 200,
      body: 'hello, world!!!',
      reuse: true,
    },
    { name: 'delimited by the close', text: 'HTTP/1.1 200 OK\r\n\r\nto the end', eof: true, status: 200, body: 'to the end', reuse: false },
    { name: 'last coding not chunked: to the close', text: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, gzip\r\n\r\n5\r\nabc', eof: true, status: 200, body: '5\r\nabc', reuse: false },
    { name: '204 with a Content-Length has no body', text: 'HTTP/1.1 204 No Content\r\ncontent-length: 9\r\n\r\n', status: 204, body: '', reuse: true },
    { name: '304 with chunked has no body', text: 'HTTP/1.1 304 Not Modified\r\ntransfer-encoding: chunked\r\n\r\n', status: 304, body: '', reuse: true },
    { name: 'HEAD has no body', text: 'HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n', method: 'HEAD', status: 200, body: '', reuse: true },
    { name: 'interim answers are skipped', text: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok', status: 200, body: 'ok', reuse: true },
    { name: 'Connection: close', text: 'HTTP/1.1 200 OK\r\nconnection: upgrade, Close\r\ncontent-length: 1\r\n\r\nx', status: 200, body: 'x', reuse: false },
    { name: 'HTTP/1.0 closes by default', text: 'HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\nx', status: 200, body: 'x', reuse: false },
    { name: 'HTTP/1.0 with keep-alive', text: 'HTTP/1.0 200 OK\r\nConnection:   Keep-Alive\r\ncontent-length: 1\r\n\r\nx', status: 200, body: 'x', reuse: true },
    { name: 'no reason phrase; any byte but CR and LF in one', text: 'HTTP/1.1 404\r\ncontent-length: 0\r\n\r\n', status: 404, body: '', reuse: true },
    { name: 'reason with controls and obs-text', text: 'HTTP/1.1 500 \x01\x00\xe9\r\ncontent-length: 0\r\n\r\n', status: 500, body: '', reuse: true },
  ];
  for (const c of cases) {
    for (const step of [1, 2, 7, 1_000]) {
      test(`${c.name} (pieces of ${step})`, () => {
        const { parser, seen } = make();
        parser.expect(c.method === 'HEAD');
        feed(parser, c.text, step, c.eof);
        assert.deepEqual(seen.errors, []);
        assert.deepEqual(
          seen.heads.map((h) => h.status),
          [c.status],
        );
        assert.equal(seen.body, c.body);
        assert.deepEqual(seen.completions, [c.reuse]);
        assert.equal(parser.busy, false);
      });
    }
  }
});

describe('refused', () => {
  const cases: { name: string; text: string; code: string; eof?: boolean }[] = [
    { name: 'not HTTP', text: 'SSH-2.0-OpenSSH_9.6\r\n\r\n', code: 'HPE_INVALID_CONSTANT' },
    { name: 'HTTP/1.2', text: 'HTTP/1.2 200 OK\r\n\r\n', code: 'HPE_INVALID_VERSION' },
    { name: 'HTTP/2.0', text: 'HTTP/2.0 200 OK\r\n\r\n', code: 'HPE_INVALID_VERSION' },
    { name: 'status 600', text: 'HTTP/1.1 600 X\r\n\r\n', code: 'HPE_INVALID_STATUS' },
    { name: 'two-digit status', text: 'HTTP/1.1 20 OK\r\n\r\n', code: 'HPE_INVALID_STATUS' },
    { name: 'bare LF', text: 'HTTP/1.1 200 OK\ncontent-length: 0\n\n', code: 'HPE_CR_EXPECTED' },
    { name: 'bare CR', text: 'HTTP/1.1 200 OK\r\nx: a\rb\r\ncontent-length: 0\r\n\r\n', code: 'HPE_LF_EXPECTED' },
    { name: 'obs-fold', text: 'HTTP/1.1 200 OK\r\nx: a\r\n b\r\ncontent-length: 0\r\n\r\n', code: 'HPE_INVALID_HEADER_TOKEN' },
    { name: 'space before the colon', text: 'HTTP/1.1 200 OK\r\ncontent-length : 0\r\n\r\n', code: 'HPE_INVALID_HEADER_TOKEN' },
    { name: 'NUL in a value', text: 'HTTP/1.1 200 OK\r\nx: a\0b\r\ncontent-length: 0\r\n\r\n', code: 'HPE_INVALID_HEADER_TOKEN' },
    { name: 'two equal Content-Lengths', text: 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 1\r\n\r\nx', code: 'HPE_INVALID_CONTENT_LENGTH' },
    { name: 'Content-Length list', text: 'HTTP/1.1 200 OK\r\ncontent-length: 1, 1\r\n\r\nx', code: 'HPE_INVALID_CONTENT_LENGTH' },
    { name: 'Content-Length above 2^53 - 1', text: 'HTTP/1.1 204 OK\r\ncontent-length: 9007199254740992\r\n\r\n', code: 'HPE_INVALID_CONTENT_LENGTH' },
    { name: 'Content-Length beside chunked', text: 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n', code: 'HPE_INVALID_TRANSFER_ENCODING' },
    { name: 'empty Transfer-Encoding', text: 'HTTP/1.1 200 OK\r\ntransfer-encoding: \r\n\r\n', code: 'HPE_INVALID_TRANSFER_ENCODING' },
    { name: 'space after a chunk size', text: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n', code: 'HPE_INVALID_CHUNK_SIZE' },
    { name: 'space in a chunk extension', text: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1; a=b\r\nx\r\n0\r\n\r\n', code: 'HPE_INVALID_CHUNK_SIZE' },
    { name: 'bare LF after a chunk size', text: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\nx\r\n0\r\n\r\n', code: 'HPE_CR_EXPECTED' },
    { name: 'chunk data without CRLF', text: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\n0\r\n\r\n', code: 'HPE_CR_EXPECTED' },
    { name: 'a trailer without colon', text: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nxt\r\n\r\n', code: 'HPE_INVALID_HEADER_TOKEN' },
    { name: 'a Content-Length trailer', text: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\ncontent-length: 1\r\n\r\n', code: 'HPE_INVALID_HEADER_TOKEN' },
    { name: 'an interim answer closing the connection', text: 'HTTP/1.1 103 Early\r\nconnection: close\r\n\r\nHTTP/1.1 200 OK\r\n\r\n', code: 'HPE_CLOSED_CONNECTION' },
    { name: '101 unasked', text: 'HTTP/1.1 101 Switching Protocols\r\nupgrade: x\r\n\r\n', code: 'HPE_UNEXPECTED_CONTENT' },
    { name: 'a leading empty line', text: '\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n', code: 'HPE_INVALID_CONSTANT' },
  ];
  for (const c of cases) {
    for (const step of [1, 1_000]) {
      test(`${c.name} (pieces of ${step}): ${c.code}`, () => {
        const { parser, seen } = make();
        parser.expect(false);
        feed(parser, c.text, step);
        assert.deepEqual(seen.errors, [c.code]);
        assert.deepEqual(seen.completions, []);
        assert.equal(parser.busy, false, 'an error leaves nothing expected');
      });
    }
  }

  test('a head over maxHeaderBytes, whole or growing over reads', () => {
    for (const step of [50, 100_000]) {
      const { parser, seen } = make({ maxHeaderBytes: 1024 });
      parser.expect(false);
      feed(parser, `HTTP/1.1 200 OK\r\n${'x-filler: yyyyyyyyyy\r\n'.repeat(100)}`, step);
      assert.deepEqual(seen.errors, ['HPE_HEADER_OVERFLOW']);
    }
  });

  test('bytes after a complete answer: in the same read the connection is not reused; in a later one they are unsolicited', () => {
    const text = 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nxEXTRA';
    const whole = make();
    whole.parser.expect(false);
    feed(whole.parser, text);
    assert.deepEqual([whole.seen.body, whole.seen.completions, whole.seen.errors], ['x', [false], []]);
    const split = make();
    split.parser.expect(false);
    feed(split.parser, text, text.length - 5, false, true);
    assert.deepEqual([split.seen.body, split.seen.completions, split.seen.errors], ['x', [true], ['HPE_UNEXPECTED_CONTENT']]);
  });

  test('bytes with no request in flight', () => {
    const { parser, seen } = make();
    feed(parser, 'HTTP/1.1 200 OK\r\n\r\n');
    assert.deepEqual(seen.errors, ['HPE_UNEXPECTED_CONTENT']);
  });

  test('the close before the answer is complete completes nothing', () => {
    const { parser, seen } = make();
    parser.expect(false);
    feed(parser, 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
    assert.equal(parser.eof(), false, 'the caller fails the request');
    assert.deepEqual(seen.completions, []);
  });
});

describe('headers and state', () => {
  test('only kept headers are materialised, repeated ones as an array', () => {
    const { parser, seen } = make({ keepHeaders: ['Idempotent-Replayed'] });
    parser.expect(false);
    feed(parser, 'HTTP/1.1 200 OK\r\nidempotent-replayed: true\r\nx-other: 1\r\nIdempotent-Replayed:  false \r\ncontent-length: 0\r\n\r\n');
    assert.deepEqual(seen.heads[0]?.headers, { 'idempotent-replayed': ['true', 'false'] });
  });

  test('a repeated head is recognised from the shared cache, and a head differing anywhere is parsed again', () => {
    const shared = new ParserShared();
    const a = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n';
    const first = make({ shared });
    first.parser.expect(false);
    feed(first.parser, `${a}ok`);
    assert.equal(shared.lastHeadLength, a.length);
    const second = make({ shared });
    second.parser.expect(false);
    feed(second.parser, `${a}ok`);
    assert.deepEqual([second.seen.heads[0]?.status, second.seen.body], [200, 'ok']);
    // Same length, one byte different: a 201 with a 3-byte body.
    const third = make({ shared });
    third.parser.expect(false);
    feed(third.parser, 'HTTP/1.1 201 OK\r\ncontent-length: 3\r\n\r\nabc');
    assert.deepEqual([third.seen.heads[0]?.status, third.seen.body], [201, 'abc']);
  });

  test('a sink that ends the exchange during a body call stops the parser', () => {
    let parser: ResponseParser | null = null;
    const made = make({}, { onResponseBody: () => parser?.reset() });
    parser = made.parser;
    parser.expect(false);
    feed(parser, 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n0\r\n\r\n');
    assert.equal(made.seen.body, 'a');
    assert.deepEqual(made.seen.completions, []);
    assert.deepEqual(made.seen.errors, []);
  });

  test('the next exchange starts clean after one ended mid-chunk', () => {
    const { parser, seen } = make();
    parser.expect(false);
    feed(parser, 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab');
    parser.reset();
    parser.expect(false);
    feed(parser, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    assert.equal(seen.body, 'abok');
    assert.deepEqual(seen.completions, [true]);
  });
});
