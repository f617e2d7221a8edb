import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertBuilt, golive } from '../cli/helpers.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';

describe('golive load and load-check', () => {
  let srv: TestServer;
  let dir: string;
  before(async () => {
    assertBuilt();
    srv = await startServer((_req, res) => res.end('ok'));
    dir = await mkdtemp(join(tmpdir(), 'golive-load-cli-'));
  });
  after(async () => {
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('load writes a result file and a summary; load-check passes and fails on it', async () => {
    const out = join(dir, 'result.json');
    const r = await golive(['load', `${srv.url}/hello`, '-n', '200', '-c', '4', '--out', out, '--threshold', 'p95 < 5000']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /200 answered/);
    assert.match(r.stdout, /p95 [\d.]+ ms/);
    assert.match(r.stdout, /ok {4}p95 < 5000/);
    const file = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(file.format, 'golive-load-result');
    assert.equal(file.requests.responses, 200);

    const good = await golive(['load-check', out, '200', '--p95', '5000', '--max-error-rate', '0.01']);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /PASS: 5\/5 limits hold/);

    const bad = await golive(['load-check', out, '300']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /FAIL {2}requests-sent: expected 300, got 200 sent/);

    const merged = await golive(['load-check', out, '400', '--merge', out]);
    assert.equal(merged.code, 0, merged.stdout);
  });

  test('--transport undici runs the same load on an undici Pool', async () => {
    const r = await golive(['load', `${srv.url}/`, '-n', '200', '-c', '4', '--transport', 'undici', '--json', '-q']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { requests: { responses: number; failed: number } };
    assert.deepEqual([json.requests.responses, json.requests.failed], [200, 0]);
  });

  test('a threshold that fails exits 1', async () => {
    const r = await golive(['load', `${srv.url}/`, '-n', '100', '-c', '2', '--threshold', 'p50 < 0.001', '-q']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL {2}p50 < 0.001 does not hold/);
  });

  test('too few samples exits 3; bad files and flags exit 2 without a stack trace', async () => {
    const out = join(dir, 'small.json');
    const small = await golive(['load', `${srv.url}/`, '-n', '5', '-c', '1', '--out', out]);
    assert.equal(small.code, 0, small.stderr);
    const few = await golive(['load-check', out, '--p95', '1000']);
    assert.equal(few.code, 3);
    assert.match(few.stderr, /GOLIVE_ERR_INSUFFICIENT_SAMPLES/);

    const junk = join(dir, 'junk.json');
    await writeFile(junk, '{"format":"something-else"}');
    for (const args of [['load-check', junk], ['load-check', join(dir, 'missing.json')], ['load', 'not-a-url'], ['load', srv.url, '-c', 'many'], ['load', srv.url, '-n', '10', '--threshold', 'p95 <'], ['load', srv.url, '-n', '10', '--transport', 'curl']]) {
      const r = await golive(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /GOLIVE_ERR_/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('the seed flags run the pilot ingest scenario; a missing API key is named, never printed', async () => {
    const r = await golive(['load', '--url', srv.url, '--total', '100', '--unique', '20', '--concurrency', '5'], { env: { PILOT_BOOTSTRAP_SIGNING_SECRET: 'sekrit-signing-value-123' } });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /GOLIVE_ERR_MISSING_SECRET.*PILOT_BOOTSTRAP_API_KEY/);
    assert.doesNotMatch(r.stdout + r.stderr, /sekrit-signing-value-123/);
  });
});
