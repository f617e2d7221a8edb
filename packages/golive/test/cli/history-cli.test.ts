/**
 * Label, release, history and baselines from the command line (the built binary): flags and environment,
 * the git default of the release, two real runs writing one history at once, a baseline regression planted
 * by slowing the server, its exit codes by level, a missing baseline, and `golive diff`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/cli.ts';
import type { Report } from '../../src/core/result.ts';
import type { HistoryDocument } from '../../src/history/model.ts';
import { assertBuilt, assertNoStack, golive, healthyHandler, serve, type TestServer } from './helpers.ts';

let dir: string;
let server: TestServer;
/** Milliseconds the server waits before answering (raised to plant a latency regression). */
let delayMs = 0;

const CONFIG = {
  stages: [
    { name: 'smoke', checks: ['health'] },
    { name: 'go-live', checks: ['canary'] },
  ],
  checks: { health: { kind: 'health' }, canary: { kind: 'canary', options: { count: 5, intervalMs: 10 } } },
};

before(async () => {
  assertBuilt();
  const handler = healthyHandler();
  server = await serve((req, res) => {
    setTimeout(() => handler(req, res), delayMs);
  });
  dir = await mkdtemp(join(tmpdir(), 'golive-history-cli-'));
  await writeFile(join(dir, 'gate.json'), JSON.stringify(CONFIG));
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs the CLI in this process (for commands that end before any check runs). */
async function inProcess(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd: dir,
  });
  return { code, stdout, stderr };
}

/** Runs the gate config in `cwd` (default the temp dir) with the server as target. */
const gate = (args: string[], env: Record<string, string> = {}, cwd = dir) =>
  golive(['run', '-c', join(dir, 'gate.json'), '--url', server.url, '-q', ...args], { cwd, env });
const readJson = async <T>(path: string) => JSON.parse(await readFile(path, 'utf8')) as T;

describe('label and release', () => {
  it('come from the flags, which win over the environment; the label defaults to the source and the stages run', async () => {
    const byFlag = await gate(['--out', 'o1', '--label', 'nightly', '--release', 'v2.0.0'], { GOLIVE_LABEL: 'env-label', GOLIVE_RELEASE: 'v-env' });
    assert.equal(byFlag.code, 0, byFlag.stderr);
    const r1 = await readJson<Report>(join(dir, 'o1/report.json'));
    assert.deepEqual([r1.label, r1.release, r1.schemaVersion], ['nightly', 'v2.0.0', '1.1.0']);

    const byEnv = await gate(['--out', 'o2'], { GOLIVE_LABEL: 'env-label', GOLIVE_RELEASE: 'v-env' });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    const r2 = await readJson<Report>(join(dir, 'o2/report.json'));
    assert.deepEqual([r2.label, r2.release], ['env-label', 'v-env']);

    const narrowed = await gate(['--out', 'o3', '--stage', 'smoke']);
    assert.equal(narrowed.code, 0, narrowed.stderr);
    const r3 = await readJson<Report>(join(dir, 'o3/report.json'));
    assert.match(r3.label, /gate\.json \[smoke\]$/);
    assert.equal(r3.release, null, 'outside a git repository the release is unknown');
  });

  it('the release defaults to git describe in a repository, and to null without git', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'golive-git-'));
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
      git('init', '-q');
      await writeFile(join(repo, 'file.txt'), 'one\n');
      git('add', 'file.txt');
      git('commit', '-qm', 'one');
      git('tag', '-a', 'v9.8.7', '-m', 'v9.8.7');
      await writeFile(join(repo, 'file.txt'), 'two\n');
      const tagged = await gate(['--out', 'o'], {}, repo);
      assert.equal(tagged.code, 0, tagged.stderr);
      assert.equal((await readJson<Report>(join(repo, 'o/report.json'))).release, 'v9.8.7-dirty');
      const noGit = await golive(['run', '-c', join(dir, 'gate.json'), '--url', server.url, '-q', '--out', 'o2'], { cwd: repo, env: { PATH: '/nonexistent' } });
      assert.equal(noGit.code, 0, noGit.stderr);
      assertNoStack(noGit.stderr);
      assert.equal((await readJson<Report>(join(repo, 'o2/report.json'))).release, null);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  });
});

describe('history from the command line', () => {
  it('two runs at once into one history lose no row', async () => {
    const runs = await Promise.all([
      gate(['--out', 'c1', '--history', 'concurrent', '--release', 'r1']),
      gate(['--out', 'c2', '--history', 'concurrent', '--release', 'r2']),
    ]);
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
    }
    const h = await readJson<HistoryDocument>(join(dir, 'concurrent/history.json'));
    assert.deepEqual(h.rows.map((r) => r.release).sort(), ['r1', 'r2']);
    assert.equal((await readdir(join(dir, 'concurrent/runs'))).length, 2);
    const index = await readFile(join(dir, 'concurrent/index.html'), 'utf8');
    for (const r of h.runs) assert.ok(index.includes(`runs/${r.runId}.json`), `${r.runId} linked from the index`);
  });

  it('a rerun of a release replaces its row; a corrupt history.json is kept aside and the exit code stays', async () => {
    const first = await gate(['--out', 'r1', '--history', 'rerun', '--release', 'v1']);
    const second = await gate(['--out', 'r2', '--history', 'rerun', '--release', 'v1']);
    assert.deepEqual([first.code, second.code], [0, 0], second.stderr);
    let h = await readJson<HistoryDocument>(join(dir, 'rerun/history.json'));
    assert.deepEqual(
      h.rows.map((r) => [r.release, r.runs]),
      [['v1', 2]],
    );
    assert.equal(h.rows[0]?.runId, (await readJson<Report>(join(dir, 'r2/report.json'))).runId);
    assert.match(second.stdout, /Reports: .*rerun\/index\.html/);

    await writeFile(join(dir, 'rerun/history.json'), '{"truncated": ');
    const third = await gate(['--out', 'r3', '--history', 'rerun', '--release', 'v2']);
    assert.equal(third.code, 0);
    assertNoStack(third.stderr);
    assert.match(third.stderr, /^golive: GOLIVE_ERR_HISTORY: history\.json is not JSON; kept aside as history\.json\.corrupt-\S+ and rebuilt from the run files$/m);
    const aside = (await readdir(join(dir, 'rerun'))).filter((f) => f.startsWith('history.json.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(await readFile(join(dir, 'rerun', aside[0] ?? ''), 'utf8'), '{"truncated": ');
    h = await readJson<HistoryDocument>(join(dir, 'rerun/history.json'));
    assert.equal(h.runs.length, 3);
  });
});

describe('baselines from the command line', () => {
  it('flags a planted latency regression against the last GO run; the level decides the exit code', async () => {
    const fast = await gate(['--out', 'b1', '--history', 'base', '--release', 'v1']);
    assert.equal(fast.code, 0, fast.stderr);
    assert.match(fast.stdout, /BASELINE_MISSING|no baseline: base has no GO run yet/);
    delayMs = 100;
    try {
      const warned = await gate(['--out', 'b2', '--history', 'base', '--release', 'v2']);
      assert.equal(warned.code, 0, `level warn never gates:\n${warned.stdout}`);
      const warnedReport = await readJson<Report>(join(dir, 'b2/report.json'));
      const baselineStage = warnedReport.stages.at(-1);
      assert.equal(baselineStage?.name, 'baseline');
      const canary = baselineStage?.checks.find((c) => c.id === 'baseline/canary');
      assert.equal(canary?.status, 'fail');
      assert.equal(canary?.level, 'warn');
      assert.ok(canary?.observations.some((o) => o.name === 'p95Ms' && o.code === 'BASELINE_REGRESSION'));

      // b2 was GO at level warn: the gating run names the fast report as its baseline.
      const gated = await gate(['--out', 'b3', '--baseline', 'b1/report.json', '--baseline-level', 'error']);
      assert.equal(gated.code, 1, gated.stdout);
      assert.match(gated.stdout, /FAIL\s+baseline\s+baseline\/canary\s.*p95Ms .* → .*regressed/);
      assert.match(gated.stdout, /^NO-GO: /m);

      const diff = await golive(['diff', 'b1/report.json', 'b3/report.json'], { cwd: dir });
      assert.equal(diff.code, 1, diff.stdout);
      assert.match(diff.stdout, /✗ canary \(canary\)\n\s+✗ p95Ms [\d.]+ ms → [\d.]+ ms \(\+[\d.]+ %\), regressed/);
      assert.match(diff.stdout, /regressed\.\n$/);
    } finally {
      delayMs = 0;
    }
    const same = await golive(['diff', 'b1/report.json', 'b1/report.json'], { cwd: dir });
    assert.equal(same.code, 0, same.stdout);
    assert.match(same.stdout, /No regression in 2 compared checks\./);
  });

  it('a missing or unreadable baseline is a warning and the run goes on', async () => {
    await writeFile(join(dir, 'not-a-report.json'), '{"a": 1}');
    for (const [baseline, message] of [
      ['missing/report.json', /no baseline: missing\/report\.json: cannot read \(ENOENT\)/],
      ['not-a-report.json', /no baseline: not-a-report\.json: not a golive report: schemaVersion/],
    ] as const) {
      const run = await gate(['--out', 'm', '--baseline', baseline, '--baseline-level', 'error']);
      assert.equal(run.code, 0, run.stdout);
      assertNoStack(run.stderr);
      assert.match(run.stdout, message);
      const r = await readJson<Report>(join(dir, 'm/report.json'));
      assert.equal(r.stages.at(-1)?.checks[0]?.observations[0]?.code, 'BASELINE_MISSING');
    }
  });

  it('bad values exit 2 naming the flag or variable', async () => {
    const level = await gate(['--baseline-level', 'strict']);
    assert.equal(level.code, 2);
    assert.match(level.stderr, /--baseline-level: expected error, warn or off, got "strict"/);
    const run = (args: string[], env?: Record<string, string>) => inProcess(['run', '-c', join(dir, 'gate.json'), '--url', server.url, ...args], env);
    const keep = await run(['--history', 'k'], { GOLIVE_HISTORY_KEEP: 'many' });
    assert.equal(keep.code, 2);
    assert.match(keep.stderr, /env\.GOLIVE_HISTORY_KEEP: expected a positive whole number of runs, got "many"/);
    const envLevel = await run([], { GOLIVE_BASELINE_LEVEL: 'loud' });
    assert.equal(envLevel.code, 2);
    assert.match(envLevel.stderr, /env\.GOLIVE_BASELINE_LEVEL/);
    for (const r of [level, keep, envLevel]) assertNoStack(r.stderr);
  });
});

describe('golive diff bad input', () => {
  it('exits 2 with GOLIVE_ERR_REPORT_READ for a missing file, non-JSON or a foreign document, and usage errors for arity', async () => {
    const good = join(dir, 'o1/report.json');
    await writeFile(join(dir, 'garbage.json'), '<html>');
    await writeFile(join(dir, 'v2.json'), JSON.stringify({ ...(await readJson<Report>(good)), schemaVersion: '2.0.0' }));
    await cp(good, join(dir, 'copy.json'));
    const cases: Array<[string[], RegExp]> = [
      [['nope.json', good], /GOLIVE_ERR_REPORT_READ: nope\.json: cannot read \(ENOENT\)/],
      [['garbage.json', good], /GOLIVE_ERR_REPORT_READ: garbage\.json: not JSON/],
      [['v2.json', good], /GOLIVE_ERR_REPORT_READ: v2\.json: a report of schema version 2\.0\.0; this golive reads 1\.x/],
      [['copy.json'], /GOLIVE_ERR_USAGE: golive diff takes two reports/],
    ];
    // The first through the built binary, the others in this process (same code, no process start).
    for (const [i, [args, message]] of cases.entries()) {
      const r = i === 0 ? await golive(['diff', ...args], { cwd: dir }) : await inProcess(['diff', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assertNoStack(r.stderr);
    }
  });
});
