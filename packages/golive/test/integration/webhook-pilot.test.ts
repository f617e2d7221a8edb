/**
 * pilot, the reference service, as the target of the webhook kind: its Stripe webhook (`POST /api/stripe/webhook`,
 * verified with the official package, future dates refused, events stored once per id) passes every probe.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { webhookCheck } from '../../src/checks/webhook.ts';
import type { WebhookData } from '../../src/checks/webhook.data.ts';
import { makeContext, runCheck } from '../helpers/context.ts';

const SERVER = new URL('../../../pilot/src/server.ts', import.meta.url).pathname;
const SECRET = 'whsec_golive_pilot_webhook_test_secret';

describe('webhook against pilot', () => {
  let child: ChildProcess | undefined;
  let dir = '';
  let baseUrl = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'golive-pilot-'));
    child = spawn(process.execPath, [SERVER], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', PILOT_DATA_DIR: join(dir, 'data'), NODE_NO_WARNINGS: '1', STRIPE_WEBHOOK_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-2000);
    });
    baseUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pilot did not listen within 30 s: ${err}`)), 30_000);
      let out = '';
      child?.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        for (const line of out.split('\n')) {
          try {
            const j = JSON.parse(line) as { msg?: string; url?: string };
            if (j.msg === 'listening' && j.url) {
              clearTimeout(timer);
              resolve(j.url);
            }
          } catch {
            // not a JSON log line (yet)
          }
        }
      });
      child?.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`pilot exited with ${code}: ${err}`));
      });
    });
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child?.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes every probe of the stripe scheme, a replay answered as a duplicate', async () => {
    const t = await makeContext({ baseUrl, env: { STRIPE_WEBHOOK_SECRET: SECRET } });
    try {
      const out = await runCheck(webhookCheck, t.ctx, { replayMarker: 'duplicate' });
      const bad = out.observations.filter((o) => !o.passed);
      assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
      assert.equal((out.data as WebhookData).probes.length, 9);
      assert.ok(!JSON.stringify(out).includes(SECRET));
    } finally {
      await t.close();
    }
  });
});
