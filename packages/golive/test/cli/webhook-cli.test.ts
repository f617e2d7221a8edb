/**
 * The webhook kind through the built CLI: an option that cannot work exits 2 naming the field, a receiver that
 * accepts everything exits 1 (NO-GO) naming each negative probe, and the secret reaches no output.
 */
import assert from 'node:assert/strict';
import { readFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertBuilt, assertNoStack, golive, serve } from './helpers.ts';

const SECRET = 'whsec_golive_cli_planted_webhook_secret';
let dir: string;
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-webhook-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function config(name: string, baseUrl: string, options: Record<string, unknown>): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify({ target: { baseUrl }, checks: { hook: { kind: 'webhook', options } } }));
  return file;
}

describe('webhook through the CLI', () => {
  it('the hmac scheme without a secret variable exits 2 naming the field', async () => {
    const file = await config('no-secret-env.json', 'http://127.0.0.1:9', { scheme: 'hmac', sign: { header: 'X-Sig', payload: '{{body}}' } });
    const run = await golive(['run', '--config', file, '--out', join(dir, 'out-2')], { killAfterMs: 30_000 });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /checks\.hook\.options\.sign\.secretEnv/);
    assertNoStack(run.stderr);
  });

  it('a receiver that answers 200 to everything: exit 1, each negative probe named, the secret in no output', async () => {
    const srv = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"received":true}');
      });
    });
    try {
      const out = join(dir, 'out-1');
      const file = await config('accepts-all.json', srv.url, {});
      const run = await golive(['run', '--config', file, '--out', out], { env: { STRIPE_WEBHOOK_SECRET: SECRET }, killAfterMs: 60_000 });
      assert.equal(run.code, 1, run.stdout + run.stderr);
      const written = await readdir(out, { recursive: true });
      let all = run.stdout + run.stderr;
      for (const f of written) {
        try {
          all += await readFile(join(out, f), 'utf8');
        } catch {
          // a directory
        }
      }
      for (const probe of ['no-signature', 'malformed-signature', 'wrong-secret', 'stale-timestamp', 'future-timestamp', 'altered-body']) {
        assert.ok(all.includes(`${probe}: accepted with 200`), `${probe} named in the outputs`);
      }
      assert.ok(!all.includes(SECRET), 'the secret appears in no output');
      assertNoStack(run.stderr);
    } finally {
      await srv.close();
    }
  });
});
