/**
 * Differential fuzz test of golive's HTTP/1.1 response parser (src/load/h1-parser.ts) against llhttp, through
 * Node's own HTTP client: generated raw responses, valid and invalid (load-h1-responses.ts), are served from
 * a `net` server on port 0 to `http.request` and to golive's H1Pool, and fed directly to the pure parser in
 * random splits (twice, the second time through its cache of the last head). All must agree on whether the
 * exchange is accepted and, when it is, on the status, the body bytes and the kept header's value; golive's
 * pool and its parser must agree on everything. The differences golive keeps on purpose are DELIBERATE below,
 * each with its reason; any other disagreement is a bug in the parser.
 *
 * H1_FUZZ_SEED (default below) and H1_FUZZ_CASES (default 1 000, about a second) choose the run; a failure prints the seed.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { H1Pool } from '../../src/load/h1.ts';
import { ParserShared, ResponseParser } from '../../src/load/h1-parser.ts';
import { createRandom, type Random } from '../../src/load/prng.ts';
import { type GeneratedResponse, generateResponse, KEPT_HEADER } from './load-h1-responses.ts';

const SEED = process.env.H1_FUZZ_SEED ?? 'golive-h1-fuzz-1';
const CASES = Number(process.env.H1_FUZZ_CASES ?? 1000);
/** Node's default is 16 KiB; golive's client takes 64 KiB heads. */
const MAX_HEAD = 65_536;

/** Status lines of the exchange: at its start and after each interim head (a 1xx answer). */
function statusLines(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const line = /^HTTP\/\d\.\d [0-9]{3}/.exec(text.slice(at, at + 12))?.[0];
    if (!line) return out;
    out.push(line);
    const status = Number(line.slice(9, 12));
    const end = text.indexOf('\r\n\r\n', at);
    if (status >= 200 || end < 0) return out;
    at = end + 4;
  }
}

/**
 * Where golive refuses what llhttp (Node's client) accepts, on purpose. Each applies to exchanges recognised
 * from their bytes; there golive must refuse, whatever llhttp does.
 */
const DELIBERATE: { id: string; reason: string; applies: (text: string, method: string) => boolean }[] = [
  {
    id: 'HTTP/0.9 and HTTP/2.0 status lines',
    reason: 'golive speaks HTTP/1.x on these connections: a 0.9 or 2.0 status line in HTTP/1.1 framing is a broken server, not an answer to count',
    applies: (text) => statusLines(text).some((l) => l.startsWith('HTTP/0.9 ') || l.startsWith('HTTP/2.0 ')),
  },
  {
    id: 'status codes outside 100-599',
    reason: 'RFC 9110 §15 defines 100-599; the engine counts answers by class (1xx-5xx) and would have none for 099 or 600',
    applies: (text) =>
      statusLines(text).some((l) => {
        const s = Number(l.slice(9, 12));
        return s < 100 || s > 599;
      }),
  },
  {
    id: '101 Switching Protocols',
    reason: 'golive never asks for an upgrade, so a 101 is no answer to its request; llhttp takes a 101 without Upgrade header as a final answer without body',
    applies: (text) => statusLines(text).some((l) => l.endsWith(' 101')),
  },
  {
    id: 'empty lines before a status line',
    reason: 'RFC 9112 §2.2 asks servers to skip empty lines before a request line only; before a response they are the overrun of the previous answer, whose framing was wrong',
    applies: (text) => text.startsWith('\r\n') || text.startsWith('\n'),
  },
  {
    id: 'Content-Length above 2^53 - 1',
    reason: 'byte counts are JavaScript numbers, exact up to 2^53 - 1; llhttp takes up to 2^64 - 1 (only a bodiless answer can show the difference: no such body arrives)',
    applies: (text) => [...text.matchAll(/\r\ncontent-length:[ \t]*(\d+)/gi)].some((m) => BigInt(m[1] as string) > BigInt(Number.MAX_SAFE_INTEGER)),
  },
];

interface Outcome {
  accepted: boolean;
  status: number | null;
  body: Buffer;
  /** The kept header's values joined with ", " (as Node joins repeated headers), or null. */
  kept: string | null;
  error: string | null;
}

const joinKept = (v: string | string[] | undefined): string | null => (v === undefined ? null : Array.isArray(v) ? v.join(', ') : v);

/** llhttp: Node's own client. Accepted when the response emitted 'end' (a later socket error does not undo it). */
function viaNode(port: number, index: number, method: string): Promise<Outcome> {
  return new Promise((resolve) => {
    let accepted = false;
    let status: number | null = null;
    let kept: string | null = null;
    let error: string | null = null;
    const chunks: Buffer[] = [];
    const req = http.request({ host: '127.0.0.1', port, method, path: `/c/${index}`, agent: false, maxHeaderSize: MAX_HEAD }, (res) => {
      status = res.statusCode ?? null;
      kept = joinKept(res.headers[KEPT_HEADER]);
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        accepted = true;
      });
      res.on('error', (e: NodeJS.ErrnoException) => {
        error ??= e.code ?? e.message;
      });
    });
    // A 101 hands the socket over: not an HTTP answer to either client.
    req.on('upgrade', (_res, socket) => {
      error = 'upgrade';
      socket.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      error ??= e.code ?? e.message;
    });
    req.on('close', () => setImmediate(() => resolve({ accepted, status, body: Buffer.concat(chunks), kept, error })));
    req.end();
  });
}

/** golive's client over the same kind of socket. */
function viaPool(url: string, index: number, method: string): Promise<Outcome> {
  const pool = new H1Pool(url, { keepHeaders: [KEPT_HEADER], maxHeaderBytes: MAX_HEAD });
  return new Promise<Outcome>((resolve) => {
    let status: number | null = null;
    let kept: string | null = null;
    const chunks: Buffer[] = [];
    pool.dispatch(
      { method, path: `/c/${index}`, headers: null },
      {
        onResponseStart(_c, s, headers) {
          status = s;
          kept = joinKept(headers[KEPT_HEADER]);
        },
        onResponseData(_c, chunk) {
          chunks.push(Buffer.from(chunk));
        },
        onResponseEnd() {
          resolve({ accepted: true, status, body: Buffer.concat(chunks), kept, error: null });
        },
        onResponseError(_c, err) {
          resolve({ accepted: false, status, body: Buffer.concat(chunks), kept, error: (err as NodeJS.ErrnoException).code ?? err.message });
        },
      },
    );
  }).finally(() => pool.destroy());
}

/**
 * The pure parser fed the bytes in random pieces, each copied to a random place of one scratch buffer that is
 * overwritten after the call (as the pool's read buffer is), then the end of the connection.
 */
function viaParser(shared: ParserShared, bytes: Buffer, method: string, random: Random): Outcome {
  const out: Outcome = { accepted: false, status: null, body: Buffer.alloc(0), kept: null, error: null };
  const chunks: Buffer[] = [];
  let finished = false;
  const parser = new ResponseParser(shared, {
    onResponseHead(status, headers) {
      out.status = status;
      out.kept = joinKept(headers[KEPT_HEADER]);
    },
    onResponseBody(buf, start, end) {
      chunks.push(Buffer.from(buf.subarray(start, end)));
    },
    onResponseComplete() {
      out.accepted = true;
      finished = true;
    },
    onParseError(err) {
      out.error = (err as NodeJS.ErrnoException).code ?? err.message;
      finished = true;
    },
  });
  parser.expect(method === 'HEAD');
  const scratch = Buffer.alloc(bytes.length + 64);
  let off = 0;
  while (off < bytes.length && !finished) {
    const left = bytes.length - off;
    const n = random() < 0.3 ? left : Math.max(1, Math.min(left, Math.floor(random() * (random() < 0.5 ? 8 : left + 1))));
    const at = Math.floor(random() * 64);
    bytes.copy(scratch, at, off, off + n);
    parser.execute(scratch, at, at + n);
    scratch.fill(0xaa, at, at + n);
    off += n;
  }
  if (!finished && !parser.eof()) out.error = 'ECONNRESET';
  out.body = Buffer.concat(chunks);
  return out;
}

const show = (o: Outcome) =>
  o.accepted
    ? `accepted ${o.status} body ${o.body.length} bytes ${JSON.stringify(o.body.toString('latin1').slice(0, 60))} kept ${JSON.stringify(o.kept)}`
    : `refused (${o.error}${o.status !== null ? `, after a head with status ${o.status}` : ''})`;

describe('h1 parser against llhttp (differential fuzz)', () => {
  const random = createRandom(SEED);
  const cases: GeneratedResponse[] = Array.from({ length: CASES }, () => generateResponse(random));
  let server: net.Server;
  let port = 0;
  before(async () => {
    // Answers request /c/<i> with case i's bytes, then closes its side.
    server = net.createServer((socket) => {
      let head = '';
      socket.on('data', (d: Buffer) => {
        head += d.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const i = Number(/^[A-Z]+ \/c\/(\d+) /.exec(head)?.[1] ?? -1);
        head = '';
        socket.end(cases[i]?.bytes ?? Buffer.alloc(0));
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(() => server.close());

  test(`${CASES} generated responses (seed ${JSON.stringify(SEED)})`, async (t) => {
    const started = performance.now();
    const shared = new ParserShared({ keepHeaders: [KEPT_HEADER], maxHeaderBytes: MAX_HEAD });
    const splits = createRandom(`${SEED}/splits`);
    const tally = { accepted: 0, refused: 0, deliberate: 0 };
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i] as GeneratedResponse;
      const where = `seed ${JSON.stringify(SEED)} case ${i} (${c.kind}, ${c.method}): ${JSON.stringify(c.bytes.toString('latin1').slice(0, 400))}`;
      const node = await viaNode(port, i, c.method);
      const pool = await viaPool(`http://127.0.0.1:${port}`, i, c.method);
      const parsed = viaParser(shared, c.bytes, c.method, splits);
      const again = viaParser(shared, c.bytes, c.method, splits);
      const golive = (o: Outcome) => [o.accepted, o.accepted ? o.status : null, o.accepted ? o.body.toString('latin1') : '', o.accepted ? o.kept : null];
      assert.deepEqual(golive(parsed), golive(pool), `golive's pool ${show(pool)} but its parser ${show(parsed)}; ${where}`);
      assert.deepEqual(golive(again), golive(parsed), `the parser's second pass (cached head) ${show(again)}, first ${show(parsed)}; ${where}`);
      const text = c.bytes.toString('latin1');
      const deliberate = DELIBERATE.find((d) => d.applies(text, c.method));
      if (deliberate) {
        assert.equal(pool.accepted, false, `golive accepted what it refuses on purpose (${deliberate.id}): ${show(pool)}; ${where}`);
        tally.deliberate++;
        continue;
      }
      assert.equal(pool.accepted, node.accepted, `llhttp ${show(node)} but golive ${show(pool)}; ${where}`);
      if (node.accepted) {
        tally.accepted++;
        assert.equal(pool.status, node.status, `status: llhttp ${node.status}, golive ${pool.status}; ${where}`);
        assert.equal(pool.body.toString('latin1'), node.body.toString('latin1'), `body: llhttp ${show(node)}, golive ${show(pool)}; ${where}`);
        assert.equal(pool.kept, node.kept, `${KEPT_HEADER}: llhttp ${JSON.stringify(node.kept)}, golive ${JSON.stringify(pool.kept)}; ${where}`);
      } else tally.refused++;
    }
    // Both kinds must be well represented, or the generator has drifted into testing nothing.
    assert.ok(tally.accepted >= CASES * 0.25 && tally.refused >= CASES * 0.25, `accepted ${tally.accepted}, refused ${tally.refused} of ${CASES}`);
    t.diagnostic(`${CASES} cases in ${Math.round(performance.now() - started)} ms: ${tally.accepted} accepted and ${tally.refused} refused by both, ${tally.deliberate} deliberate differences`);
  });
});
