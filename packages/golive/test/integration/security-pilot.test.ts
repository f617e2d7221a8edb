/**
 * pilot, the reference service, as the target of the security kinds: it must pass security-headers on `/`,
 * its 404, an API route and its 429 answer, serve no sensitive path, and be reported as not applicable by tls
 * (plain http on loopback).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exposureCheck } from '../../src/checks/exposure.ts';
import { securityHeadersCheck } from '../../src/checks/security-headers.ts';
import { tlsCheck } from '../../src/checks/tls.ts';
import { failed, makeContext, runCheck } from '../helpers/context.ts';

const SERVER = new URL('../../../pilot/src/server.ts', import.meta.url).pathname;

describe('security kinds against pilot', () => {
  let child: ChildProcess | undefined;
  let dir = '';
  let baseUrl = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'golive-pilot-'));
    child = spawn(process.execPath, [SERVER], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', PILOT_DATA_DIR: join(dir, 'data'), RATE_LIMIT_MAX: '40', NODE_NO_WARNINGS: '1' },
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

  it('serves no sensitive path', async () => {
    const t = await makeContext({ baseUrl });
    try {
      const out = await runCheck(exposureCheck, t.ctx, {});
      assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed)));
      assert.equal(out.observations.filter((o) => !o.passed).length, 0, 'every path judged, none suspicious');
    } finally {
      await t.close();
    }
  });

  it('passes security-headers with grade A or better on /, 404, an API route and a 429', async () => {
    const t = await makeContext({ baseUrl });
    try {
      const out = await runCheck(securityHeadersCheck, t.ctx, { minGrade: 'A', paths: ['/health', '/v1/events', { path: '/config', label: '429', burst: 45, expectStatus: 429 }] });
      assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
      const paths = out.data?.paths as Array<{ label: string; statusCode: number; grade: string }>;
      assert.equal(paths.find((p) => p.label === '429')?.statusCode, 429);
      assert.ok(!out.observations.some((o) => o.name === 'status@429' && !o.passed), 'the 429 was reached');
      for (const p of paths) assert.ok(['A+', 'A'].includes(p.grade), `${p.label}: ${p.grade}`);
    } finally {
      await t.close();
    }
  });

  it('tls is not applicable to plain http on loopback', async () => {
    const t = await makeContext({ baseUrl });
    try {
      const out = await runCheck(tlsCheck, t.ctx, {});
      assert.equal(failed(out), false);
      assert.equal(out.data?.applicable, false);
    } finally {
      await t.close();
    }
  });
});
