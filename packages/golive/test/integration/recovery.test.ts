/**
 * The `recovery` drill: a command or a restart of the managed target, health polled from its start, stable
 * within the budget or a failure with its timeline.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recoveryCheck } from '../../src/checks/recovery.ts';
import { resolveConfig } from '../../src/index.ts';
import { runGate } from '../../src/runner/run-gate.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';
import { codes, failed, runKind } from '../helpers/context.ts';

let srv: TestServer;
let healthyFrom = 0;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'golive-recovery-'));
  srv = await startServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(Date.now() >= healthyFrom ? 200 : 503);
      return res.end();
    }
    res.writeHead(404);
    res.end();
  });
});
after(async () => {
  await srv.close();
  await rm(dir, { recursive: true, force: true });
});

describe('recovery drill', () => {
  it('a service that is healthy again quickly passes, with its timeline', async () => {
    healthyFrom = Date.now() + 600;
    const out = await runKind(recoveryCheck, srv.url, { command: 'true', budgetMs: 5000, intervalMs: 100 });
    assert.equal(failed(out), false, JSON.stringify(out.observations));
    const d = out.data as { stableMs: number; firstHealthyMs: number; timeline: Array<{ healthy: boolean }> };
    assert.ok(d.firstHealthyMs >= 400 && d.stableMs >= d.firstHealthyMs, JSON.stringify(d));
    assert.equal(d.timeline[0]?.healthy, false);
    assert.ok(d.timeline.filter((p) => p.healthy).length >= 3);
  });

  it('a recovery slower than the budget fails RECOVERY_TOO_SLOW with the polls in the evidence', async () => {
    healthyFrom = Date.now() + 60_000;
    const t0 = Date.now();
    const out = await runKind(recoveryCheck, srv.url, { command: 'true', budgetMs: 1500, intervalMs: 100 });
    assert.deepEqual(codes(out), ['RECOVERY_TOO_SLOW']);
    assert.ok(Date.now() - t0 < 5000, 'bounded by the budget');
    assert.match(out.observations[0]?.message ?? '', /not stably healthy within 1500 ms .*polls; last: .*503/);
    assert.ok(((out.data as { timeline: unknown[] }).timeline.length ?? 0) >= 5);
  });

  it('a failing command is named with its output', async () => {
    healthyFrom = 0;
    const out = await runKind(recoveryCheck, srv.url, { command: 'echo rollback refused >&2; exit 3', budgetMs: 3000, intervalMs: 100 });
    assert.deepEqual(codes(out), ['RECOVERY_COMMAND_FAILED']);
    assert.match(out.observations[0]?.message ?? '', /exited 3; output: rollback refused/);
  });

  it('without a command or a managed target it cannot be evaluated', async () => {
    await assert.rejects(runKind(recoveryCheck, srv.url, {}), /needs a command .* or a managed target/);
  });

  it('restarts a managed target (same build) and measures its return', async () => {
    const server = join(dir, 'server.mjs');
    await writeFile(
      server,
      `import http from 'node:http';
const s = http.createServer((req, res) => res.end('{"status":"ok"}'));
setTimeout(() => s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port)), 300);
process.on('SIGTERM', () => s.close(() => process.exit(0)));`,
    );
    const config = resolveConfig({
      file: { target: { start: { command: [process.execPath, server], timeoutMs: 10_000 } }, checks: { rollback: { kind: 'recovery', options: { budgetMs: 15_000, intervalMs: 100 } } } },
      env: {},
    });
    const report = await runGate(config, { env: {}, out: join(dir, 'out') });
    const r = report.stages[1]?.checks[0];
    assert.equal(r?.status, 'pass', r?.summary);
    const d = r?.data as { action: string; stableMs: number };
    assert.equal(d.action, 'restart');
    assert.ok(d.stableMs > 300, `the new process needed its start-up (${d.stableMs} ms)`);
  });
});

describe('drill timelines', () => {
  it('stay bounded: past the cap every other poll is dropped, the latest kept', async () => {
    const { MAX_TIMELINE, pushPoll } = await import('../../src/checks/util/run-command.ts');
    const t: number[] = [];
    for (let i = 0; i < 5 * MAX_TIMELINE; i++) pushPoll(t, i);
    assert.ok(t.length <= MAX_TIMELINE, String(t.length));
    assert.equal(t.at(-1), 5 * MAX_TIMELINE - 1);
    assert.equal(t[0], 0);
  });
});
