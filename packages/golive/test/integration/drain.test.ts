/**
 * The `drain` drill with real child processes: a service that drains passes; one that exits at once on SIGTERM,
 * one that keeps readiness 200 until it dies, and one that never exits each fail naming the cause.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CheckResult } from '../../src/core/result.ts';
import { resolveConfig } from '../../src/index.ts';
import { runGate } from '../../src/runner/run-gate.ts';

const SERVICE = `
import http from 'node:http';
const mode = process.env.MODE;
let ready = true;
let closing = false;
const s = http.createServer((req, res) => {
  // While shutting down, answers end their keep-alive connection, so the listener can finish closing.
  if (closing) res.setHeader('connection', 'close');
  if (req.url === '/health/ready') { res.statusCode = ready ? 200 : 503; return res.end(); }
  if (req.url === '/health') return res.end('{"status":"ok"}');
  setTimeout(() => res.end('ok'), 150); // requests take a while: some are in flight at the signal
});
s.keepAliveTimeout = 2000;
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));
process.on('SIGTERM', () => {
  if (mode === 'ignore') return console.log('ignoring SIGTERM');
  if (mode === 'abrupt') process.exit(0);
  if (mode === 'late-readiness') { closing = true; s.close(() => process.exit(0)); s.closeIdleConnections(); return; }
  ready = false;
  setTimeout(() => { closing = true; s.close(() => process.exit(0)); s.closeIdleConnections(); }, 300);
});
`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'golive-drain-'));
  await writeFile(join(dir, 'service.mjs'), SERVICE);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function drill(mode: string, options: Record<string, unknown> = {}): Promise<CheckResult> {
  const config = resolveConfig({
    file: {
      target: { start: { command: [process.execPath, join(dir, 'service.mjs')], env: { MODE: mode }, timeoutMs: 10_000, stopTimeoutMs: 1000 } },
      checks: { drain: { kind: 'drain', options: { path: '/work', ratePerSec: 40, leadMs: 400, graceMs: 3000, readinessPath: '/health/ready', ...options } } },
    },
    env: {},
  });
  const report = await runGate(config, { env: {}, out: join(dir, `out-${mode}`) });
  const r = report.stages[1]?.checks[0];
  assert.ok(r);
  return r;
}

const failing = (r: CheckResult) => r.observations.filter((o) => !o.passed).map((o) => o.code);

describe('drain drill', () => {
  it('a service that flips readiness, finishes in-flight requests and exits 0 passes, and is started again', async () => {
    const r = await drill('good');
    assert.equal(r.status, 'pass', JSON.stringify(r.observations.filter((o) => !o.passed)));
    const d = r.data as { before: { sent: number; dropped: number }; readinessFlipMs: number; listenerClosedMs: number; exitCode: number; restarted: boolean };
    assert.ok(d.before.sent > 5 && d.before.dropped === 0, JSON.stringify(d.before));
    assert.ok(d.readinessFlipMs < d.listenerClosedMs, `${d.readinessFlipMs} < ${d.listenerClosedMs}`);
    assert.deepEqual([d.exitCode, d.restarted], [0, true]);
  });

  it('a service that exits at once on SIGTERM drops what was in flight: DRAIN_DROPPED with the count', async () => {
    const r = await drill('abrupt');
    assert.ok(failing(r).includes('DRAIN_DROPPED'), JSON.stringify(failing(r)));
    assert.match(r.observations.find((o) => o.code === 'DRAIN_DROPPED')?.message ?? '', /^\d+ of \d+ requests written before the SIGTERM were dropped/);
  });

  it('a service that keeps readiness 200 until its listener closes fails DRAIN_READINESS_LATE', async () => {
    const r = await drill('late-readiness');
    assert.ok(failing(r).includes('DRAIN_READINESS_LATE'), JSON.stringify(failing(r)));
  });

  it('a service that never exits is killed after the grace: DRAIN_NO_EXIT, and nothing outlives the run', async () => {
    const r = await drill('ignore', { graceMs: 1000 });
    assert.ok(failing(r).includes('DRAIN_NO_EXIT'), JSON.stringify(failing(r)));
    assert.equal((r.data as { killed: boolean }).killed, true);
  });

  it('no process outlives the run: a target that ignores SIGTERM and has a child of its own is killed with its group', async () => {
    const stubborn = join(dir, 'stubborn.mjs');
    await writeFile(
      stubborn,
      `import http from 'node:http';
import { spawn } from 'node:child_process';
const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('child pid ' + child.pid);
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
const s = http.createServer((req, res) => res.end('ok'));
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port));`,
    );
    const config = resolveConfig({
      file: {
        target: { start: { command: [process.execPath, stubborn], timeoutMs: 10_000, readyUrl: '/', stopTimeoutMs: 500 } },
        checks: { drain: { kind: 'drain', options: { path: '/', ratePerSec: 20, leadMs: 200, graceMs: 800, restart: false } } },
      },
      env: {},
    });
    const out = join(dir, 'out-stubborn');
    const report = await runGate(config, { env: {}, out });
    const log = await readFile(join(out, 'target.log'), 'utf8');
    const pids = [...log.matchAll(/child pid (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(pids.length >= 1, log);
    // Alive means running or sleeping; a killed process may stay a zombie for a moment until init reaps it.
    const alive = (pid: number) => {
      try {
        const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
        return state !== undefined && state !== 'Z' && state !== 'X';
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 20 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(pids.filter(alive), [], 'every child of the target is gone');
    assert.equal((report.stages[1]?.checks[0]?.data as { killed?: boolean } | undefined)?.killed, true);
  });
});
