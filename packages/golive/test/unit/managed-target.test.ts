import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { defineCheck, observe } from '../../src/checks/types.ts';
import { resolveConfig } from '../../src/index.ts';
import { runGate } from '../../src/runner/run-gate.ts';

const get = defineCheck({
  kind: 't-get',
  title: 'GET',
  description: 'GETs /health on the target.',
  options: z.object({}).strict(),
  async run(ctx) {
    const ex = await ctx.http.request({ url: '/health' });
    return { observations: [observe('status', ex.ok && ex.status === 200, '200', ex.ok ? String(ex.status) : ex.kind)] };
  },
});
/** A drill-like kind: restarts the managed target through the handle with one variable changed. */
const restart = defineCheck({
  kind: 't-restart',
  title: 'Restart',
  description: 'Restarts the managed target with FLAVOUR set, reads its output and the exit of the old process.',
  options: z.object({ signal: z.enum(['SIGTERM', 'SIGINT']).default('SIGTERM') }).strict(),
  async run(ctx, o) {
    const handle = ctx.managed;
    if (!handle) return { observations: [observe('managed', false, 'a managed target', 'none')] };
    const before = { url: handle.baseUrl, pid: handle.pid ?? null };
    const started = await handle.restart({ env: { FLAVOUR: 'restarted', MY_SECRET_TOKEN: undefined }, signal: o.signal });
    return {
      observations: [observe('restarted', started.ok && handle.running, 'ready again', started.ok ? 'ready' : started.reason)],
      data: { before, after: { url: handle.baseUrl, pid: handle.pid ?? null }, output: handle.output() },
    };
  },
});
const kinds = [get, restart];

// A service that picks its own port and prints its URL, like pilot does with PORT=0.
const SERVER = `
import http from 'node:http';
const s = http.createServer((req, res) => { res.end(JSON.stringify({ status: 'ok', flavour: process.env.FLAVOUR ?? 'plain' })); });
s.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', url: 'http://127.0.0.1:' + s.address().port }));
  console.log('secret in output: ' + process.env.MY_SECRET_TOKEN);
});
if (process.env.IGNORE_TERM) process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'golive-target-'));
  await writeFile(join(dir, 'server.mjs'), SERVER);
  await writeFile(join(dir, 'crash.mjs'), "console.error('cannot bind: EADDRINUSE'); process.exit(3);");
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('managed target', () => {
  it('starts the command, discovers its printed URL, runs the checks and stops it', async () => {
    const env = { MY_SECRET_TOKEN: 'shh-5b4c3d2e1f' };
    const config = resolveConfig({
      file: { target: { start: { command: [process.execPath, join(dir, 'server.mjs')], timeoutMs: 10_000 } }, checks: { h: { kind: 't-get' } } },
      env,
      kinds,
    });
    let port: number | undefined;
    const report = await runGate(config, {
      env,
      out: join(dir, 'out1'),
      kinds,
      onEvent: (e) => {
        if (e.type === 'target-ready') port = Number(new URL(e.baseUrl).port);
      },
    });
    assert.equal(report.verdict, 'GO');
    assert.equal(report.target.managed, true);
    assert.match(report.target.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      report.stages.map((s) => [s.name, s.status]),
      [
        ['target', 'pass'],
        ['go-live', 'pass'],
      ],
    );
    assert.equal(String(port), new URL(report.target.baseUrl).port);
    const log = await readFile(join(dir, 'out1', 'target.log'), 'utf8');
    assert.match(log, /listening/);
    assert.ok(!log.includes('shh-5b4c3d2e1f'), 'target output is redacted');
    // The port is closed once the target is stopped.
    await assert.rejects(fetch(`${report.target.baseUrl}/health`));
  });

  it('a target that exits before it is ready is a NO-GO with its output as evidence; checks are skipped', async () => {
    const config = resolveConfig({
      file: { target: { baseUrl: 'http://127.0.0.1:9', start: { command: [process.execPath, join(dir, 'crash.mjs')], timeoutMs: 10_000 } }, checks: { h: { kind: 't-get' } } },
      kinds,
    });
    const report = await runGate(config, { env: {}, out: join(dir, 'out2'), kinds });
    assert.equal(report.verdict, 'NO-GO');
    assert.equal(report.exitCode, 1);
    const target = report.stages[0]?.checks[0];
    assert.equal(target?.status, 'fail');
    assert.equal(target?.observations[0]?.code, 'TARGET_START_FAILED');
    assert.match(target?.summary ?? '', /GOLIVE_ERR_TARGET_START: .*exit code 3 before it was ready.*EADDRINUSE/);
    assert.deepEqual(target?.artifacts, ['target.log']);
    const h = report.stages[1]?.checks[0];
    assert.ok(h?.status === 'skip' && h.reason === 'the managed target did not start');
  });

  it('a target that never becomes ready fails at its start timeout', async () => {
    const config = resolveConfig({
      file: {
        target: { baseUrl: 'http://127.0.0.1:9', start: { command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], timeoutMs: 600, stopTimeoutMs: 500 } },
        checks: { h: { kind: 't-get' } },
      },
      kinds,
    });
    const t0 = Date.now();
    const report = await runGate(config, { env: {}, out: join(dir, 'out3'), kinds });
    assert.equal(report.verdict, 'NO-GO');
    assert.match(report.stages[0]?.checks[0]?.summary ?? '', /not ready within 600 ms \(last probe: GET http:\/\/127\.0\.0\.1:9\/health/);
    assert.ok(Date.now() - t0 < 8000);
  });

  it('drills restart the target through the handle: new environment, new port, later checks follow it', async () => {
    const env = { MY_SECRET_TOKEN: 'shh-5b4c3d2e1f' };
    const flavour = defineCheck({
      kind: 't-flavour',
      title: 'Flavour',
      description: 'Reads the flavour the target serves.',
      options: z.object({}).strict(),
      async run(ctx) {
        const ex = await ctx.http.request({ url: '/health' });
        const body = ex.ok ? String(JSON.parse(Buffer.from(ex.body).toString('utf8')).flavour) : ex.kind;
        return { observations: [observe('flavour', body === 'restarted', 'restarted', body)], data: { url: ex.request.url } };
      },
    });
    const all = [...kinds, flavour];
    const config = resolveConfig({
      file: {
        target: { start: { command: [process.execPath, join(dir, 'server.mjs')], timeoutMs: 10_000 } },
        checks: { drill: { kind: 't-restart' }, after: { kind: 't-flavour' } },
        stages: [{ name: 'drills', checks: ['drill', 'after'] }],
      },
      env,
      kinds: all,
    });
    const report = await runGate(config, { env, out: join(dir, 'out5'), kinds: all });
    const [drill, later] = report.stages[1]?.checks ?? [];
    assert.equal(drill?.status, 'pass', drill?.summary);
    const data = drill?.data as { before: { url: string; pid: number }; after: { url: string; pid: number }; output: string };
    assert.notEqual(data.after.pid, data.before.pid, 'a new process');
    assert.notEqual(data.after.url, data.before.url, 'it picked a new port and printed it');
    assert.match(data.output, /listening/);
    assert.match(data.output, /secret in output: undefined/, 'the variable removed for the restart was not passed');
    assert.equal(later?.status, 'pass', `the next check reached the restarted target: ${later?.summary}`);
    assert.equal(new URL(String(later?.data?.url)).origin, new URL(data.after.url).origin);
    assert.equal(report.target.baseUrl, data.after.url);
    const log = await readFile(join(dir, 'out5', 'target.log'), 'utf8');
    assert.equal(log.match(/listening/g)?.length, 2, 'the run log keeps the output of both processes');
    await assert.rejects(fetch(`${data.after.url}/health`), 'the restarted target is stopped at the end');
    await assert.rejects(fetch(`${data.before.url}/health`), 'the first process is gone');
  });

  it('a drill that leaves the target stopped: the next check gets it started again, or is an error when it cannot be', async () => {
    const stopper = defineCheck({
      kind: 't-stop',
      title: 'Stop',
      description: 'Stops the managed target and leaves it stopped.',
      options: z.object({}).strict(),
      async run(ctx) {
        const exit = await ctx.managed?.stop();
        return { observations: [observe('stopped', exit !== undefined, 'stopped', exit ? `exit ${exit.code}` : 'running')] };
      },
    });
    const all = [...kinds, stopper];
    // Starts once; a second start finds its marker and refuses (a target that cannot be restored).
    const once = join(dir, 'once.mjs');
    await writeFile(
      once,
      `import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
const marker = process.env.MARKER;
if (marker && existsSync(marker)) { console.error('cannot start twice'); process.exit(1); }
if (marker) writeFileSync(marker, 'x');
const s = http.createServer((req, res) => res.end('{"status":"ok"}'));
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
process.on('SIGTERM', () => s.close(() => process.exit(0)));`,
    );
    const gate = async (env: Record<string, string>, out: string) => {
      const config = resolveConfig({
        file: {
          target: { start: { command: [process.execPath, once], env, timeoutMs: 10_000 } },
          checks: { stop: { kind: 't-stop' }, after: { kind: 't-get' } },
          stages: [{ name: 'drills', checks: ['stop', 'after'] }],
        },
        env: {},
        kinds: all,
      });
      return runGate(config, { env: {}, out: join(dir, out), kinds: all });
    };
    const restored = await gate({}, 'out6');
    assert.deepEqual(
      restored.stages[1]?.checks.map((c) => c.status),
      ['pass', 'pass'],
      'restarted before the next check',
    );
    const lost = await gate({ MARKER: join(dir, 'started-once') }, 'out7');
    const after = lost.stages[1]?.checks[1];
    assert.equal(after?.status, 'error');
    assert.equal(after?.status === 'error' && after.error.code, 'GOLIVE_ERR_TARGET_START');
    assert.match(after?.summary ?? '', /not running and could not be started again: .*cannot start twice/);
    assert.equal(lost.verdict, 'INCONCLUSIVE', 'cannot evaluate, not a failure of the target');
  });

  it('a target that ignores SIGTERM is killed after the grace period', async () => {
    const config = resolveConfig({
      file: {
        target: { start: { command: [process.execPath, join(dir, 'server.mjs')], env: { IGNORE_TERM: '1' }, timeoutMs: 10_000, stopTimeoutMs: 300 } },
        checks: { h: { kind: 't-get' } },
      },
      kinds,
    });
    const report = await runGate(config, { env: {}, out: join(dir, 'out4'), kinds });
    assert.equal(report.verdict, 'GO');
    const log = await readFile(join(dir, 'out4', 'target.log'), 'utf8');
    assert.match(log, /ignoring SIGTERM/);
    await assert.rejects(fetch(`${report.target.baseUrl}/health`));
  });
});
