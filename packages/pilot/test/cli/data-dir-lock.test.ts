// One PGlite data directory, one process: a second server.ts on the same directory refuses to start
// (exit 1, naming the holder's pid), also while the first drains after SIGTERM (rolling restart); a
// lock left by a process killed with -9 is taken over.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataDirLockedError, lockDataDir, lockSocketPath } from '../../src/db/dir-lock.ts';
import { testEnv } from '../helpers.ts';
import { httpRequest, type Spawned, spawnServer, startServer } from '../server-process-helpers.ts';

/** The exit code of a process expected to refuse to start; one still running after 20 s is killed: fail. */
async function refusal(p: Spawned): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    p.exited,
    new Promise<'running'>((resolve) => {
      timer = setTimeout(() => resolve('running'), 20_000);
    }),
  ]);
  clearTimeout(timer);
  if (code !== 'running') return code;
  p.child.kill('SIGKILL');
  await p.exited;
  assert.fail(`a second process started on the same data directory:\n${p.stdout().slice(-2000)}`);
}

const env = (dataDir: string, extra: Record<string, string> = {}) =>
  testEnv({ PORT: '0', LOG_LEVEL: 'info', PILOT_DATA_DIR: dataDir, DRAIN_DELAY_MS: '0', ...extra });

test('a second process on a held data directory exits 1 naming the holder; the first keeps serving', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-lock-'));
  const first = await startServer(env(join(dir, 'data')));
  try {
    const second = spawnServer(env(join(dir, 'data')));
    const code = await refusal(second);
    assert.equal(code, 1, `second process: exit ${code}\n${second.stdout()}\n${second.stderr()}`);
    assert.match(second.stdout(), new RegExp(`in use by pid ${first.child.pid}\\b`));
    assert.match(second.stdout(), /PILOT_ERR_DATA_DIR_LOCKED/);
    assert.equal((await httpRequest(`${first.url}/health/ready`)).status, 200);
  } finally {
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rolling restart on PGlite: the new process is refused while the old one drains, starts once it exited', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-lock-'));
  const data = join(dir, 'data');
  const old = await startServer(env(data, { DRAIN_DELAY_MS: '1500', SHUTDOWN_GRACE_MS: '10000' }));
  try {
    old.child.kill('SIGTERM');
    const early = spawnServer(env(data));
    assert.equal(await refusal(early), 1, early.stdout());
    assert.match(early.stdout(), new RegExp(`in use by pid ${old.child.pid}\\b`));
    assert.equal(await old.exited, 0);
    assert.ok(!existsSync(lockSocketPath(data)), 'a clean exit removes the lock socket');
    const next = await startServer(env(data));
    next.child.kill('SIGTERM');
    assert.equal(await next.exited, 0);
  } finally {
    old.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock left by a process killed with -9 is stale: pilot takes it over and starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-lock-'));
  const data = join(dir, 'data');
  try {
    // A holder that binds the lock socket as pilot does, then dies without cleaning up.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(data, { recursive: true });
    const holder = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(lockSocketPath(data))}, () => console.log('bound'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    assert.ok(existsSync(lockSocketPath(data)), 'the killed holder left its socket file');
    const s = await startServer(env(data));
    try {
      assert.equal((await httpRequest(`${s.url}/health/ready`)).status, 200);
    } finally {
      s.child.kill('SIGTERM');
      assert.equal(await s.exited, 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('starters racing for a stale lock: exactly one takes it over, the others are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-lock-'));
  try {
    const holder = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(lockSocketPath(dir))}, () => console.log('bound'))`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => lockDataDir(dir)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(won.length, 1, `${won.length} starters hold the lock at once`);
    for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof DataDirLockedError, String((r as PromiseRejectedResult).reason));
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof lockDataDir>>>).value.release();
    // Released: the next one gets it.
    const again = await lockDataDir(dir);
    await again.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
