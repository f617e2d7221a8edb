import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { commandCheck } from '../../src/checks/command.ts';
import type { CheckOutcome } from '../../src/checks/types.ts';
import { type TestContext, codes, failed, makeContext, runCheck } from '../helpers/context.ts';

const NODE = process.execPath;
const BASE = 'http://127.0.0.1:8123';

async function withCtx<T>(fn: (t: TestContext) => Promise<T>, env: Record<string, string | undefined> = { PATH: process.env.PATH }, signal?: AbortSignal): Promise<T> {
  const t = await makeContext({ baseUrl: BASE, env, id: 'e2e pack', ...(signal ? { signal } : {}) });
  try {
    return await fn(t);
  } finally {
    await t.close();
  }
}

/** Whether a process runs (a zombie waiting for a reaper that never comes, as in some containers, counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('command check', () => {
  it('passes on exit 0 and saves stdout/stderr as artifacts', async () => {
    await withCtx(async (t) => {
      const out = await runCheck(commandCheck, t.ctx, { command: [NODE, '-e', 'console.log("out-line"); console.error("err-line")'] });
      assert.equal(failed(out), false, JSON.stringify(out.observations));
      assert.equal(out.data?.exitCode, 0);
      assert.deepEqual(out.artifacts, ['e2e_pack/stdout.txt', 'e2e_pack/stderr.txt']);
      assert.equal(await readFile(join(t.dir, 'e2e_pack/stdout.txt'), 'utf8'), 'out-line\n');
      assert.equal(await readFile(join(t.dir, 'e2e_pack/stderr.txt'), 'utf8'), 'err-line\n');
    });
  });

  it('passes the base URL (GOLIVE_BASE_URL, PROD_URL, OI_BASE_URL) and extra env', async () => {
    await withCtx(async (t) => {
      const script = 'console.log([process.env.GOLIVE_BASE_URL, process.env.PROD_URL, process.env.OI_BASE_URL, process.env.EXTRA, process.env.FROM_RUN].join(" "))';
      const out = await runCheck(commandCheck, t.ctx, { command: [NODE, '-e', script], env: { EXTRA: 'x1' } });
      assert.equal(failed(out), false);
      assert.equal(await readFile(join(t.dir, 'e2e_pack/stdout.txt'), 'utf8'), `${BASE} ${BASE} ${BASE} x1 r1\n`);
    }, { PATH: process.env.PATH, FROM_RUN: 'r1' });
  });

  it('fails a non-zero exit with the stderr tail as evidence, and honours expectExitCode', async () => {
    await withCtx(async (t) => {
      const cmd = [NODE, '-e', 'console.error("3 tests failed"); process.exit(3)'];
      const out = await runCheck(commandCheck, t.ctx, { command: cmd });
      assert.deepEqual(codes(out), ['COMMAND_EXIT_CODE']);
      assert.match(out.observations[0]?.message ?? '', /ended with exit 3, expected exit 0; stderr: 3 tests failed/);
      const ok = await runCheck(commandCheck, t.ctx, { command: cmd, expectExitCode: [0, 3] });
      assert.equal(failed(ok), false);
    });
  });

  it('runs a string through the shell', async () => {
    await withCtx(async (t) => {
      const out = await runCheck(commandCheck, t.ctx, { command: 'echo "$PROD_URL" | tr a-z A-Z' });
      assert.equal(failed(out), false);
      assert.equal(await readFile(join(t.dir, 'e2e_pack/stdout.txt'), 'utf8'), `${BASE.toUpperCase()}\n`);
    });
  });

  it('fails a missing executable with evidence instead of crashing (argv and shell)', async () => {
    await withCtx(async (t) => {
      const argv = await runCheck(commandCheck, t.ctx, { command: ['golive-no-such-binary-xyz', '--flag'] });
      assert.deepEqual(codes(argv), ['COMMAND_NOT_FOUND']);
      assert.match(argv.observations[0]?.message ?? '', /golive-no-such-binary-xyz --flag: executable not found \(ENOENT/);
      const shell = await runCheck(commandCheck, t.ctx, { command: 'golive-no-such-binary-xyz --flag' });
      assert.deepEqual(codes(shell), ['COMMAND_NOT_FOUND']);
      assert.match(shell.observations[0]?.message ?? '', /not found/);
    });
  });

  it('is an error when the working directory does not exist', async () => {
    await withCtx(async (t) => {
      await assert.rejects(runCheck(commandCheck, t.ctx, { command: 'true', cwd: join(t.dir, 'nope') }), /GOLIVE_ERR_CHECK_OPTIONS|does not exist/);
    });
  });

  it('kills the whole process group at the timeout', async () => {
    await withCtx(async (t) => {
      const pidFile = join(t.dir, 'bg.pid');
      const out = await runCheck(commandCheck, t.ctx, { command: `sleep 30 & echo $! > '${pidFile}'; echo started; sleep 30`, timeoutMs: 300, killGraceMs: 500 });
      assert.deepEqual(codes(out), ['COMMAND_TIMEOUT']);
      assert.equal(out.data?.timedOut, true);
      assert.match(out.observations[0]?.message ?? '', /stdout: started/);
      const bg = Number(await readFile(pidFile, 'utf8'));
      await sleep(100);
      assert.equal(alive(bg), false, 'background child still running');
    });
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    await withCtx(async (t) => {
      // The timeout leaves Node time to start and install its handler even on a loaded machine: a SIGTERM that
      // arrives before the handler would end the child by itself and prove nothing.
      const out = await runCheck(commandCheck, t.ctx, { command: [NODE, '-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], timeoutMs: 2000, killGraceMs: 200 });
      assert.deepEqual(codes(out), ['COMMAND_TIMEOUT']);
      assert.equal(out.data?.signal, 'SIGKILL');
    });
  });

  it('stops the command when the context aborts', async () => {
    const ac = new AbortController();
    await withCtx(
      async (t) => {
        const pidFile = join(t.dir, 'pid');
        setTimeout(() => ac.abort(new Error('run cancelled')), 300);
        await assert.rejects(runCheck(commandCheck, t.ctx, { command: `echo $$ > '${pidFile}'; exec sleep 30` }), /run cancelled/);
        const pid = Number(await readFile(pidFile, 'utf8'));
        await sleep(100);
        assert.equal(alive(pid), false);
      },
      { PATH: process.env.PATH },
      ac.signal,
    );
  });

  it('caps saved output and counts every byte', async () => {
    await withCtx(async (t) => {
      const out = await runCheck(commandCheck, t.ctx, { command: [NODE, '-e', 'process.stdout.write("x".repeat(5*1024*1024)); process.stdout.write("THE-END")'], maxOutputBytes: 65536 });
      assert.equal(failed(out), false);
      assert.equal(out.data?.stdoutBytes, 5 * 1024 * 1024 + 7);
      const saved = await readFile(join(t.dir, 'e2e_pack/stdout.txt'), 'utf8');
      assert.ok(saved.length < 65536 + 100, `saved ${saved.length} bytes`);
      assert.ok(saved.endsWith('THE-END'));
    });
  });

  it('redacts planted secrets from artifacts and the outcome', async () => {
    const env = { PATH: process.env.PATH, STRIPE_SECRET_KEY: 'sk_live_PlantedCommandSecret123456' };
    await withCtx(async (t) => {
      const out = await runCheck(commandCheck, t.ctx, {
        command: 'echo "key=$STRIPE_SECRET_KEY token=$API_TOKEN"; echo "$STRIPE_SECRET_KEY" >&2; exit 1',
        env: { API_TOKEN: 'planted-config-token-987654' },
      });
      const files = await Promise.all(['stdout.txt', 'stderr.txt'].map((f) => readFile(join(t.dir, 'e2e_pack', f), 'utf8')));
      for (const text of [...files, JSON.stringify(out)]) {
        assert.ok(!text.includes('sk_live_PlantedCommandSecret123456'));
        assert.ok(!text.includes('planted-config-token-987654'));
      }
      assert.equal(files[0], 'key=[REDACTED] token=[REDACTED]\n');
    }, env);
  });

  it('reads a JUnit report: counts in metrics, failing names in the evidence', async () => {
    await withCtx(async (t) => {
      const xml = `<testsuites><testsuite name="s"><testcase classname="auth" name="logs in"/><testcase classname="auth" name="logs out"><failure message="timeout 30000ms exceeded"/></testcase><testcase name="skip me"><skipped/></testcase></testsuite></testsuites>`;
      const script = `const fs = require("fs"); fs.mkdirSync("results", { recursive: true }); fs.writeFileSync(process.argv[1], ${JSON.stringify(xml)}); process.exit(1)`;
      const out: CheckOutcome = await runCheck(commandCheck, t.ctx, { command: [NODE, '-e', script, 'results/junit.xml'], cwd: t.dir, junit: 'results/junit.xml' });
      assert.deepEqual(codes(out), ['COMMAND_EXIT_CODE', 'COMMAND_JUNIT_FAILURES']);
      assert.deepEqual(out.data?.junit, { tests: 3, failures: 1, errors: 0, skipped: 1, failed: ['auth › logs out: timeout 30000ms exceeded'] });
      assert.equal(out.metrics?.tests, 3);
      assert.equal(out.metrics?.failures, 1);
      assert.match(out.observations[1]?.message ?? '', /1 of 3 tests failed: auth › logs out/);
      assert.ok(out.artifacts?.includes('e2e_pack/junit.xml'));
    });
  });

  it('fails when the declared JUnit report is missing or invalid', async () => {
    await withCtx(async (t) => {
      const missing = await runCheck(commandCheck, t.ctx, { command: 'true', cwd: t.dir, junit: 'none.xml' });
      assert.deepEqual(codes(missing), ['COMMAND_JUNIT_MISSING']);
      const invalid = await runCheck(commandCheck, t.ctx, { command: 'echo "<oops" > bad.xml', cwd: t.dir, junit: 'bad.xml' });
      assert.deepEqual(codes(invalid), ['COMMAND_JUNIT_INVALID']);
    });
  });

  it('rejects bad options', () => {
    assert.throws(() => commandCheck.options.parse({}));
    assert.throws(() => commandCheck.options.parse({ command: [] }));
    assert.throws(() => commandCheck.options.parse({ command: 'x', expectExitCode: 256 }));
    assert.throws(() => commandCheck.options.parse({ command: 'x', junitPath: 'a.xml' }));
  });
});
