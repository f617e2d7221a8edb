/**
 * The `metrics` kind through the CLI: a config whose metrics options cannot work exits 2 at load naming the
 * field; a gate over a good page exits 0 (GO) and saves the scraped pages; a page with a syntax error exits 1
 * (NO-GO) naming the line.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TestServer, assertBuilt, assertNoStack, golive, serve } from './helpers.ts';

const PAGE = '# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total{queue="a"} 1\n';

let dir: string;
let server: TestServer;
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-metrics-cli-'));
  server = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(req.url === '/broken' ? `${PAGE}jobs_total{queue="b" 2\n` : PAGE);
  });
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function config(name: string, options: unknown): Promise<string> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({ target: { baseUrl: server.url }, checks: { m: { kind: 'metrics', options } } }));
  return file;
}

describe('metrics through the CLI', () => {
  it('exits 2 at config load naming a selector that cannot work', async () => {
    const run = await golive(['run', '--config', await config('bad', { required: ['jobs_total{queue=~"a.*"}'] }), '--out', join(dir, 'out-bad')], { killAfterMs: 30_000 });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /checks\.m\.options\.required\.0/);
    assert.match(run.stderr, /regular-expression matchers/);
    assertNoStack(run.stderr);
  });

  it('exits 0 over a good page and saves the scrapes (check, gate start, gate end)', async () => {
    const out = join(dir, 'out-good');
    const run = await golive(['run', '--config', await config('good', { required: ['jobs_total{queue="a"}'], deltas: [{ series: 'jobs_total', minIncrease: 0 }] }), '--out', out], {
      killAfterMs: 30_000,
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const files = (await readdir(join(out, 'metrics'))).sort();
    assert.equal(files.length, 3, files.join(', '));
    assert.ok(files.includes('m.txt'));
    assert.equal(await readFile(join(out, 'metrics', 'm.txt'), 'utf8'), PAGE);
  });

  it('exits 1 over a page with a syntax error, naming the line', async () => {
    const run = await golive(['run', '--config', await config('broken', { path: '/broken' }), '--out', join(dir, 'out-broken')], { killAfterMs: 30_000 });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout + run.stderr, /line 4: unexpected end of label value "b"/);
    assertNoStack(run.stderr);
  });
});
