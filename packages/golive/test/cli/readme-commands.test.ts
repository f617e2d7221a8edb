/**
 * The README's examples cannot rot: every command in its `sh` blocks is either run here (in README order, in
 * one temp project that depends on golive, against a server on port 0) or listed as not run with the
 * reason. A command added to the README without being classified fails the test, and so does a
 * classification whose command left the README. The `ts` blocks are checked too: the names the README
 * imports from 'golive' are exported, and its example config loads and resolves.
 *
 * `npm run golive -- ARGS` is `node scripts/bootstrap.js golive ARGS`, which builds, then runs
 * packages/golive/bin/golive.js on the pinned Node with the repository root as cwd; here the built bin runs
 * on this Node in the temp project instead, so nothing is written into the repository.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
// The public API, as the README's users call it (built-in kinds included).
import { configJsonSchema, loadConfigFile, resolveConfig } from '../../src/index.ts';
import { assertBuilt, assertNoStack, BIN, type CliRun, healthyHandler, ROOT, runProcess, serve, type TestServer } from './helpers.ts';

const README = await readFile(join(ROOT, 'README.md'), 'utf8');

/** The fenced blocks of a language, in order. */
function blocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1] ?? '');
}

/** Commands of the `sh` blocks: one a line, comments removed. */
function readmeCommands(): string[] {
  return blocks(README, 'sh')
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/(^|\s+)#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** Placeholder targets in the README; each is replaced by the URL of the test's server. */
const PLACEHOLDER_URLS = ['https://staging.example.com', 'http://127.0.0.1:8000'];

/** What a run command must produce, beyond no stack trace on stderr. */
interface Expectation {
  exit: number;
  stdout?: RegExp;
  /** Files (relative to the temp project) that must exist afterwards. */
  files?: string[];
  /** Further checks on the run. */
  verify?: (run: CliRun, cwd: string) => Promise<void>;
}

/** Commands run here, with what they must produce. */
const RUN: Record<string, Expectation> = {
  'npm run golive -- --help': { exit: 0, stdout: /Usage: golive <command>[\s\S]*check[\s\S]*run[\s\S]*init[\s\S]*schema[\s\S]*load/ },
  'npm run golive -- check https://staging.example.com': { exit: 0, stdout: /^GO: /m, files: ['golive-report/report.json'] },
  'npm run golive -- run --preset stage4 --url http://127.0.0.1:8000': { exit: 0, stdout: /^GO: /m, files: ['qa/stage4/v0.4.0/summary.json', 'qa/stage4/v0.4.0/tests.txt'] },
  'npm run golive -- init': { exit: 0, files: ['golive.config.mts'] },
  // The starter targets http://127.0.0.1:8000; GOLIVE_BASE_URL (set for every command) points it at the server.
  'npm run golive -- run': { exit: 0, stdout: /golive\.config\.mts[\s\S]*^GO: /m },
  'npm run golive -- schema > golive.schema.json': {
    exit: 0,
    verify: async (_run, cwd) => {
      assert.deepEqual(JSON.parse(await readFile(join(cwd, 'golive.schema.json'), 'utf8')), JSON.parse(JSON.stringify(configJsonSchema())));
    },
  },
  'npm run golive -- load http://127.0.0.1:8000/health -c 50 -n 20000': { exit: 0, stdout: /20000 answered/ },
  'npm run golive -- check https://staging.example.com --history golive-history --release v1.4.0': {
    exit: 0,
    files: ['golive-history/index.html', 'golive-history/history.json'],
    verify: async (_run, cwd) => {
      const history = JSON.parse(await readFile(join(cwd, 'golive-history/history.json'), 'utf8')) as { rows: Array<{ release: string | null }> };
      assert.deepEqual(
        history.rows.map((r) => r.release),
        ['v1.4.0'],
      );
    },
  },
  // Compared with the run above (its last GO run); at the default level warn a regression never fails it.
  'npm run golive -- check https://staging.example.com --history golive-history': {
    exit: 0,
    stdout: /baseline\/canary/,
    verify: async (_run, cwd) => {
      const history = JSON.parse(await readFile(join(cwd, 'golive-history/history.json'), 'utf8')) as { runs: unknown[] };
      assert.equal(history.runs.length, 2);
    },
  },
  // The history's last GO run is the report just written: the same run, so nothing regressed.
  'npm run golive -- diff golive-history golive-report/report.json': { exit: 0, stdout: /No regression in \d+ compared checks/ },
};

/** Commands not run here, and why. */
const NOT_RUN: Record<string, string> = {
  'npm start': 'the main job: scripts/main-job.js, run end to end by test/cli/main-job.test.ts (npm start only installs and builds first; checked below)',
  'npm test': 'the test suite, of which this test is part',
};

let cwd: string;
let server: TestServer;
before(async () => {
  assertBuilt();
  server = await serve(healthyHandler());
  // A project that depends on golive: `import { defineConfig } from 'golive'` in its config resolves.
  cwd = await mkdtemp(join(tmpdir(), 'golive-readme-'));
  await mkdir(join(cwd, 'node_modules'));
  await symlink(join(ROOT, 'packages/golive'), join(cwd, 'node_modules/golive'), 'dir');
});
after(async () => {
  await server.close();
  await rm(cwd, { recursive: true, force: true });
});

describe('README commands', () => {
  it('every command of the sh blocks is classified, and every classified command is in the README', () => {
    const commands = readmeCommands();
    assert.ok(commands.length >= 8, `found only ${commands.length} commands: the block parsing broke`);
    const unclassified = commands.filter((c) => !(c in RUN) && !(c in NOT_RUN));
    assert.deepEqual(unclassified, [], 'README commands that this test neither runs nor lists in NOT_RUN with a reason');
    const stale = [...Object.keys(RUN), ...Object.keys(NOT_RUN)].filter((c) => !commands.includes(c));
    assert.deepEqual(stale, [], 'classified commands no longer in the README');
  });

  it('npm run golive and npm start reach what this test runs', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.golive, 'node scripts/bootstrap.js golive');
    assert.equal(pkg.scripts.start, 'node scripts/bootstrap.js start');
    const bootstrap = await readFile(join(ROOT, 'scripts/bootstrap.js'), 'utf8');
    assert.match(bootstrap, /case 'golive':[\s\S]*?join\(root, 'packages', 'golive', 'bin', 'golive\.js'\)/);
    assert.match(bootstrap, /case 'start':[\s\S]*?join\(root, 'scripts', 'main-job\.js'\)/);
  });

  it('runs each runnable command in README order and gets what the README says', async () => {
    for (const command of readmeCommands().filter((c) => c in RUN)) {
      const expected = RUN[command] as Expectation;
      let line = command.replace(/^npm run golive -- /, '"$GOLIVE_NODE" "$GOLIVE_BIN" ');
      assert.notEqual(line, command, `${command}: not an npm run golive command`);
      for (const placeholder of PLACEHOLDER_URLS) line = line.replaceAll(placeholder, server.url);
      const run = await runProcess('/bin/sh', ['-c', line], {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: cwd, NO_COLOR: '1', GOLIVE_NODE: process.execPath, GOLIVE_BIN: BIN, GOLIVE_BASE_URL: server.url },
        killAfterMs: 120_000,
      });
      const evidence = `${command}\n→ ${line}\nexit ${run.code}\nstdout:\n${run.stdout.slice(-3000)}\nstderr:\n${run.stderr.slice(-3000)}`;
      assert.equal(run.code, expected.exit, evidence);
      assertNoStack(run.stderr);
      if (expected.stdout) assert.match(run.stdout, expected.stdout, evidence);
      for (const f of expected.files ?? []) assert.ok((await stat(join(cwd, f))).isFile(), `${command}: ${f} was not written`);
      await expected.verify?.(run, cwd);
    }
  });
});

describe('README TypeScript blocks', () => {
  it("names only exports of 'golive' in its imports", async () => {
    const api = (await import(join(ROOT, 'packages/golive/dist/index.js'))) as Record<string, unknown>;
    const imported = blocks(README, 'ts').flatMap((b) =>
      [...b.matchAll(/import\s*\{([^}]*)\}\s*from\s*'golive'/g)].flatMap((m) =>
        (m[1] ?? '')
          .split(',')
          .map((n) => n.replace(/^\s*type\s+/, '').trim())
          .filter(Boolean),
      ),
    );
    assert.ok(imported.length >= 4, `found only ${imported.join(', ')}`);
    assert.deepEqual(
      imported.filter((n) => !(n in api)),
      [],
      "names the README imports from 'golive' that it does not export",
    );
  });

  it('its way to grade the CSP in a stage 4 gate resolves to the full analysis', () => {
    const snippet = /`(\{ preset: 'stage4'[^`]*\})`/.exec(README)?.[1];
    assert.ok(snippet, 'the README no longer shows how to grade the CSP in a stage 4 gate');
    const file = new Function(`return (${snippet});`)() as unknown;
    const stage4 = resolveConfig({ file: { preset: 'stage4' }, env: { PROD_URL: server.url } });
    const graded = resolveConfig({ file, env: { PROD_URL: server.url } });
    const analysis = (c: typeof stage4) => (c.checks['security-headers']?.options as { analysis?: boolean } | undefined)?.analysis;
    assert.equal(analysis(stage4), false, 'stage4 itself checks presence only');
    assert.equal(analysis(graded), true);
  });

  it('its example config loads and resolves', async () => {
    const example = blocks(README, 'ts').find((b) => b.includes('export default defineConfig('));
    assert.ok(example, 'the README has no example config block');
    const file = join(cwd, 'readme.golive.config.ts');
    await writeFile(file, example);
    const config = resolveConfig({ file: await loadConfigFile(file, cwd), fileName: 'readme.golive.config.ts', env: {} });
    assert.deepEqual(
      config.stages.map((s) => s.name),
      ['smoke', 'go-live', 'packs'],
    );
    assert.equal(config.target.baseUrl, 'https://staging.example.com');
  });
});
