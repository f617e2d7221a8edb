import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertBuilt, golive } from '../cli/helpers.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';

const SCENARIO = new URL('../../../../examples/pilot-events.load.json', import.meta.url).pathname;

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

  test('the seed flags with the example scenario file; a missing API key is named, never printed', async () => {
    const args = ['load', '--scenario', SCENARIO, '--url', srv.url, '--total', '100', '--unique', '20', '--concurrency', '5'];
    const r = await golive(args, { env: { PILOT_BOOTSTRAP_SIGNING_SECRET: 'sekrit-signing-value-123' } });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /GOLIVE_ERR_MISSING_SECRET.*PILOT_BOOTSTRAP_API_KEY/);
    assert.doesNotMatch(r.stdout + r.stderr, /sekrit-signing-value-123/);
  });

  test('a scenario file drives the run, flags override it; the CLI verdict is the check verdict', async () => {
    const ingest = await startServer((req, res, body) => {
      const sig = String(req.headers['x-sig'] ?? '');
      const expected = createHmac('sha256', 'scenario-secret-0123456789').update(`${/t=(\d+)/.exec(sig)?.[1]}.${body}`).digest('hex');
      res.statusCode = req.method === 'POST' && sig.endsWith(`v1=${expected}`) ? 201 : 401;
      res.end();
    });
    try {
      const file = join(dir, 'ingest.load.yaml');
      await writeFile(
        file,
        [
          '# a YAML scenario: the request, its signature and thresholds',
          'request: { method: POST, path: /ingest, body: \'{"n":"{{seq}}","src":"{{source}}"}\' }',
          'sign: { secretEnv: INGEST_SECRET, header: X-Sig, payload: "{{timestamp}}.{{body}}", value: "t={{timestamp}},v1={{signature}}" }',
          'thresholds: ["status_5xx_rate == 0", "non_2xx_rate == 0"]',
          'warmup: false',
        ].join('\n'),
      );
      const env = { INGEST_SECRET: 'scenario-secret-0123456789' };
      const ok = await golive(['load', '--scenario', file, '--url', ingest.url, '-n', '100', '-c', '4', '--source', 'cli', '-q'], { env });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /POST .*\/ingest/);
      assert.match(ok.stdout, /ok {4}non_2xx_rate == 0/);
      assert.doesNotMatch(ok.stdout + ok.stderr, /scenario-secret-0123456789/);
      // Another secret (flag over the file): every request refused, the threshold fails, exit 1.
      const bad = await golive(['load', '--scenario', file, '--url', ingest.url, '-n', '100', '-c', '4', '--secret-env', 'OTHER', '-q'], { env: { ...env, OTHER: 'other-secret-0123456789' } });
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      assert.match(bad.stdout, /FAIL {2}non_2xx_rate == 0 does not hold/);
    } finally {
      await ingest.close();
    }
  });

  test('scenario and key-pool mistakes are usage errors (exit 2)', async () => {
    const notJson = join(dir, 'broken.json');
    await writeFile(notJson, '{"request": ');
    const unknownKey = join(dir, 'unknown.json');
    await writeFile(unknownKey, '{"request": {"path": "/x"}, "sign": {"scheme": "pilot", "secretEnv": "S"}}');
    const cases: Array<[string[], RegExp]> = [
      [['load', '--url', srv.url, '--total', '100', '--unique', '20'], /--unique needs the request/],
      [['load', '--url', srv.url, '-n', '10', '--scenario', join(dir, 'missing.json')], /cannot read/],
      [['load', '--url', srv.url, '-n', '10', '--scenario', notJson], /not valid JSON/],
      [['load', '--url', srv.url, '-n', '10', '--scenario', unknownKey], /invalid load options .*sign/],
      [['load', '--url', srv.url, '-n', '10', '--secret-env', 'S'], /--secret-env names the signing secret/],
    ];
    for (const [args, re] of cases) {
      const r = await golive(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
