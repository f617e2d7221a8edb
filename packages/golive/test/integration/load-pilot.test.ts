/**
 * The phase 5 dedup gate against the reference service: pilot started as a child process (embedded
 * in-memory database, a bootstrap tenant), the example scenario file examples/pilot-events.load.json (pilot's
 * signature as a generic signing template) through the load check, and the read-back of GET /v1/events.
 * Small: 200 signed requests over 40 keys. pilot refusing a signature shows as replies.other.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { loadCheck } from '../../src/checks/load.ts';
import { failed, makeContext, runCheck } from '../helpers/context.ts';

const SERVER = new URL('../../../pilot/src/server.ts', import.meta.url).pathname;
const SCENARIO = new URL('../../../../examples/pilot-events.load.json', import.meta.url);
const env = {
  PILOT_BOOTSTRAP_TENANT: 't1',
  PILOT_BOOTSTRAP_API_KEY: 'pk_test_load_pilot_api_key_0123',
  PILOT_BOOTSTRAP_SIGNING_SECRET: 'load_pilot_signing_secret_0123456',
};

describe('dedup load against pilot', () => {
  let child: ChildProcess | undefined;
  let url = '';
  before(async () => {
    child = spawn(process.execPath, [SERVER], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', PILOT_DATA_DIR: 'memory://', RATE_LIMIT_MAX: '100000', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pilot did not start: ${out.slice(-500)}`)), 30_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child?.stdout?.on('data', onData);
      child?.stderr?.on('data', onData);
      child?.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`pilot exited with ${code}: ${out.slice(-500)}`));
      });
    });
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  });

  test('200 signed requests over 40 keys: 40 events created, every reply a create or a replay', async () => {
    const t = await makeContext({ baseUrl: url, env });
    try {
      const scenario = JSON.parse(readFileSync(SCENARIO, 'utf8')) as Record<string, unknown>;
      const out = await runCheck(loadCheck, t.ctx, {
        ...scenario,
        total: 200,
        keys: { unique: 40 },
        concurrency: 10,
        vars: { source: 'test' },
        tenants: ['t1'],
        thresholds: ['p95 < 5000', 'error_rate < 0.01', 'dedup == exact'],
      });
      assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed)));
      const data = out.data as { replies: { created: number; replayed: number; conflict: number; other: number }; dedup: { created: number; exact: boolean } };
      assert.equal(data.dedup.created, 40);
      assert.equal(data.dedup.exact, true);
      assert.equal(data.replies.created, 40);
      assert.equal(data.replies.other, 0, 'no signature or idempotency refusals');
      assert.equal(data.replies.created + data.replies.replayed + data.replies.conflict, 200);
    } finally {
      await t.close();
    }
  });

  test('the same scenario signed with another secret: pilot refuses every request, and the check fails', async () => {
    const t = await makeContext({ baseUrl: url, env: { ...env, OTHER_SECRET: 'not_the_signing_secret_0123456789' } });
    try {
      const scenario = JSON.parse(readFileSync(SCENARIO, 'utf8')) as { sign: Record<string, unknown> };
      const out = await runCheck(loadCheck, t.ctx, {
        ...scenario,
        sign: { ...scenario.sign, secretEnv: 'OTHER_SECRET' },
        total: 100,
        keys: { unique: 20 },
        concurrency: 5,
        tenants: ['t1'],
      });
      assert.equal(failed(out), true);
      const data = out.data as { replies: { other: number }; statusCodes: Record<string, number> };
      assert.equal(data.replies.other, 100);
      assert.deepEqual(data.statusCodes, { '401': 100 });
    } finally {
      await t.close();
    }
  });
});
