/** The CLI surface: help, version, usage and config errors (exit 2, no stack), init, schema, exit codes, report writing. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/cli.ts';
import { COMMANDS } from '../../src/cli/commands.ts';
import { STARTER_TS, STARTER_YAML } from '../../src/cli/init.ts';
import { configJsonSchema } from '../../src/index.ts';
import { parse as parseYaml } from 'yaml';
import { assertBuilt, assertNoStack, golive, healthyHandler, ROOT, serve, type TestServer } from './helpers.ts';

let dir: string;
let healthy: TestServer;
let failing: TestServer;
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-cli-'));
  healthy = await serve(healthyHandler());
  failing = await serve(
    healthyHandler({
      '/health': (_req, res) => {
        res.statusCode = 503;
        res.end('{"status":"down"}');
      },
    }),
  );
});
after(async () => {
  await Promise.all([healthy.close(), failing.close()]);
  await rm(dir, { recursive: true, force: true });
});

const version = JSON.parse(await readFile(join(ROOT, 'packages/golive/package.json'), 'utf8')).version as string;

/** One-line usage error with a code, exit 2, no stack. */
function assertUsage(run: { code: number | null; stderr: string; stdout: string }, code: string, pattern?: RegExp): void {
  assert.equal(run.code, 2, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  assertNoStack(run.stderr);
  assert.match(run.stderr, new RegExp(`^golive: ${code}: `));
  if (pattern) assert.match(run.stderr, pattern);
}

describe('help and version', () => {
  it('--help lists every command and exits 0; each command has its own --help', async () => {
    const run = await golive(['--help']);
    assert.equal(run.code, 0);
    for (const name of Object.keys(COMMANDS)) assert.match(run.stdout, new RegExp(`^  ${name}\\s`, 'm'));
    for (const name of Object.keys(COMMANDS)) {
      const sub = await golive([name, '--help']);
      assert.equal(sub.code, 0, name);
      assert.match(sub.stdout, new RegExp(`^Usage: golive ${name}`), name);
    }
  });

  it('--version prints the package version', async () => {
    const run = await golive(['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout, `golive ${version}\n`);
  });

  it('no command prints the help and exits 2', async () => {
    const run = await golive([]);
    assert.equal(run.code, 2);
    assert.match(run.stdout, /Usage: golive <command>/);
  });
});

describe('usage and config errors: exit 2, one clear message, no stack', () => {
  it('unknown command, with a hint for a bare URL', async () => {
    assertUsage(await golive(['deploy']), 'GOLIVE_ERR_USAGE', /unknown command "deploy"/);
    assertUsage(await golive(['https://example.com']), 'GOLIVE_ERR_USAGE', /did you mean "golive check https:\/\/example\.com"/);
  });

  it('unknown flag and bad flag values', async () => {
    assertUsage(await golive(['check', 'http://127.0.0.1:9', '--bogus']), 'GOLIVE_ERR_USAGE', /--bogus/);
    assertUsage(await golive(['check', 'http://127.0.0.1:9', '--timeout', 'soon']), 'GOLIVE_ERR_USAGE', /--timeout: expected a duration/);
    assertUsage(await golive(['check', 'http://127.0.0.1:9', '--reporter', 'pdf']), 'GOLIVE_ERR_USAGE', /unknown reporter "pdf"/);
    assertUsage(await golive(['check', 'http://127.0.0.1:9', '--stage', 'nope'], { cwd: dir }), 'GOLIVE_ERR_USAGE', /unknown stage "nope"/);
  });

  it('missing or invalid URL: one line', async () => {
    const none = await golive(['check'], { cwd: dir });
    assertUsage(none, 'GOLIVE_ERR_INVALID_URL', /no target URL/);
    assert.equal(none.stderr.trim().split('\n').length, 1);
    const bad = await golive(['check', 'localhost:8000'], { cwd: dir });
    assertUsage(bad, 'GOLIVE_ERR_INVALID_URL', /"localhost:8000" is not an http\(s\) URL/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assertUsage(await golive(['check', 'not a url'], { cwd: dir }), 'GOLIVE_ERR_INVALID_URL', /not an absolute URL/);
  });

  it('an invalid config names every bad field with its path', async () => {
    const cfg = join(dir, 'bad.yaml');
    await writeFile(cfg, 'target: { baseUrl: "http://127.0.0.1:9", timeoutMs: -1 }\nchecks:\n  h: { kind: health, level: fatal, options: { expectStatus: 200, pathh: /x } }\n');
    const run = await golive(['run', '--config', cfg], { cwd: dir });
    assertUsage(run, 'GOLIVE_ERR_CONFIG_INVALID', /invalid config \(.*bad\.yaml\):/);
    assert.match(run.stderr, /- target\.timeoutMs: /);
    assert.match(run.stderr, /- checks\.h\.level: expected one of "error", "warn", "off"/);
    assert.match(run.stderr, /- checks\.h\.options: unknown field "pathh"/);
  });

  it('unknown kind, missing file, unparsable YAML, run without any config', async () => {
    const cfg = join(dir, 'kind.json');
    await writeFile(cfg, JSON.stringify({ target: { baseUrl: 'http://127.0.0.1:9' }, checks: { x: { kind: 'smoke-signal' } } }));
    assertUsage(await golive(['run', '-c', cfg]), 'GOLIVE_ERR_UNKNOWN_KIND', /checks\.x\.kind: unknown kind "smoke-signal"/);
    assertUsage(await golive(['run', '-c', join(dir, 'nope.yaml')]), 'GOLIVE_ERR_CONFIG_NOT_FOUND');
    const broken = join(dir, 'broken.yaml');
    await writeFile(broken, 'checks: [\n');
    assertUsage(await golive(['run', '-c', broken]), 'GOLIVE_ERR_CONFIG_LOAD', /invalid YAML/);
    assertUsage(await golive(['run'], { cwd: dir }), 'GOLIVE_ERR_USAGE', /no config/);
    assertUsage(await golive(['check', 'http://127.0.0.1:9', '--preset', 'stage9'], { cwd: dir }), 'GOLIVE_ERR_UNKNOWN_PRESET');
  });
});

describe('exit codes of a run', () => {
  it('1 for NO-GO, 3 for INCONCLUSIVE (an error-level check that cannot be evaluated)', async () => {
    const nogo = await golive(['check', failing.url, '--reporter', 'console'], { cwd: dir });
    assert.equal(nogo.code, 1);
    assertNoStack(nogo.stderr);
    const cfg = join(dir, 'inconclusive.yaml');
    await writeFile(cfg, 'checks:\n  canary: { kind: canary, options: { count: 2, intervalMs: 0, minSamples: 5 } }\n');
    const run = await golive(['run', '-c', cfg, '--url', healthy.url, '--reporter', 'console'], { cwd: dir });
    assert.equal(run.code, 3, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^ERROR\s+go-live\s+canary\s/m);
    assert.match(run.stdout, /INCONCLUSIVE: .*\(exit 3\)/);
  });

  it('a report that cannot be written prints GOLIVE_ERR_REPORT_WRITE and keeps the verdict exit code', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'a file where the output directory should be');
    const nogo = await golive(['check', failing.url, '--out', blocker], { cwd: dir });
    assert.equal(nogo.code, 1);
    assert.match(nogo.stderr, /golive: GOLIVE_ERR_REPORT_WRITE: cannot write not-a-dir\/report\.json/);
    assertNoStack(nogo.stderr);
    const go = await golive(['check', healthy.url, '--out', blocker], { cwd: dir });
    assert.equal(go.code, 0, go.stdout + go.stderr);
    assert.match(go.stderr, /GOLIVE_ERR_REPORT_WRITE/);
  });

  it('70 with a stack for a bug (an exception that is not a golive error)', async () => {
    let stderr = '';
    const code = await runCli(['--version'], {
      stdout: {
        write() {
          throw new TypeError('stdout exploded');
        },
      },
      stderr: { write: (t: string) => (stderr += t) },
      env: {},
      cwd: dir,
    });
    assert.equal(code, 70);
    assert.match(stderr, /GOLIVE_ERR_INTERNAL/);
    assert.match(stderr, /TypeError: stdout exploded\n\s+at /);
  });
});

describe('reports and output', () => {
  it('writes json, text, junit and markdown under --out, appends to $GITHUB_STEP_SUMMARY, no colour off a TTY', async () => {
    const cwd = await mkdtemp(join(dir, 'reports-'));
    const summary = join(cwd, 'step.md');
    await writeFile(summary, '# earlier step\n');
    const run = await golive(['check', healthy.url, '--out', 'out'], { cwd, env: { GITHUB_STEP_SUMMARY: summary, NO_COLOR: '' } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /\u001b\[/);
    const report = JSON.parse(await readFile(join(cwd, 'out/report.json'), 'utf8'));
    assert.equal(report.verdict, 'GO');
    assert.equal(report.exitCode, 0);
    assert.match(await readFile(join(cwd, 'out/junit.xml'), 'utf8'), /^<\?xml[\s\S]*<testsuites name="golive" tests="4" failures="0" errors="0"/);
    assert.match(await readFile(join(cwd, 'out/tests.txt'), 'utf8'), /Status: PASS/);
    const step = await readFile(summary, 'utf8');
    assert.match(step, /^# earlier step\n## ✅ golive: GO/);
    assert.match(run.stdout, /Reports: out\/report\.json, out\/tests\.txt, out\/junit\.xml, out\/summary\.md, out\/report\.html, step\.md/);
  });

  it('appends to $GITHUB_STEP_SUMMARY exactly once whatever the reporters', async () => {
    for (const reporters of ['json', 'console,junit', 'markdown', 'markdown,json']) {
      const cwd = await mkdtemp(join(dir, 'step-'));
      const summary = join(cwd, 'step.md');
      const run = await golive(['check', healthy.url, '-r', reporters], { cwd, env: { GITHUB_STEP_SUMMARY: summary } });
      assert.equal(run.code, 0, `${reporters}: ${run.stdout}${run.stderr}`);
      const step = await readFile(summary, 'utf8');
      assert.equal(step.match(/## ✅ golive: GO/g)?.length, 1, `${reporters}: ${step}`);
    }
  });

  it('colours with FORCE_COLOR and never with NO_COLOR', async () => {
    const forced = await golive(['check', healthy.url, '--reporter', 'console'], { cwd: dir, env: { FORCE_COLOR: '1', NO_COLOR: '' } });
    assert.match(forced.stdout, /\u001b\[32mPASS/);
    const both = await golive(['check', healthy.url, '--reporter', 'console'], { cwd: dir, env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    assert.doesNotMatch(both.stdout, /\u001b\[/);
  });

  it('--reporter json prints nothing on stdout and writes only report.json', async () => {
    const cwd = await mkdtemp(join(dir, 'json-'));
    const run = await golive(['check', healthy.url, '-r', 'json'], { cwd });
    assert.equal(run.code, 0);
    assert.equal(run.stdout, '');
    assert.equal(JSON.parse(await readFile(join(cwd, 'golive-report/report.json'), 'utf8')).verdict, 'GO');
    await assert.rejects(readFile(join(cwd, 'golive-report/junit.xml')));
  });
});

describe('init and schema', () => {
  it('init writes the commented starter once and refuses to overwrite', async () => {
    const cwd = await mkdtemp(join(dir, 'init-'));
    const first = await golive(['init'], { cwd });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await readFile(join(cwd, 'golive.config.mts'), 'utf8'), STARTER_TS);
    const again = await golive(['init'], { cwd });
    assertUsage(again, 'GOLIVE_ERR_USAGE', /golive\.config\.mts already exists; not overwriting it/);
    const yaml = await golive(['init', '--yaml'], { cwd });
    assert.equal(yaml.code, 0);
    assert.equal(await readFile(join(cwd, 'golive.config.yaml'), 'utf8'), STARTER_YAML);
  });

  it('the starter configs resolve and run (TypeScript through a dynamic import, YAML parsed), golive not installed', async () => {
    const cwd = await mkdtemp(join(dir, 'starter-'));
    // A CommonJS project without golive: the starter is an ES module and imports only types.
    await writeFile(join(cwd, 'package.json'), '{"name":"svc","type":"commonjs"}');
    await writeFile(join(cwd, 'golive.config.mts'), STARTER_TS);
    const run = await golive(['run', '--url', healthy.url, '--reporter', 'console'], { cwd });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^PASS\s+smoke\s+health\s/m);
    assert.match(run.stdout, /^PASS\s+go-live\s+canary\s/m);
    const yamlCfg = join(cwd, 'starter.yaml');
    await writeFile(yamlCfg, STARTER_YAML);
    assert.equal((await golive(['run', '-c', yamlCfg, '--url', healthy.url, '-r', 'json'], { cwd })).code, 0);
    assert.ok(parseYaml(STARTER_YAML));
    assert.equal(await readFile(join(ROOT, 'examples/starter.golive.config.mts'), 'utf8'), STARTER_TS);
  });

  it('check uses a config found in the current directory as is (no recommended checks added)', async () => {
    const cwd = await mkdtemp(join(dir, 'found-'));
    await writeFile(join(cwd, 'golive.config.yaml'), 'checks:\n  only-health: { kind: health }\n');
    const run = await golive(['check', healthy.url, '-r', 'console'], { cwd });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /GO: 1 passed/);
    assert.match(run.stdout, /golive\.config\.yaml/);
  });

  it('schema prints the config schema (default) and the report schema', async () => {
    const config = await golive(['schema']);
    assert.equal(config.code, 0);
    const c = JSON.parse(config.stdout);
    assert.equal(c.$id, 'urn:golive:schema:config');
    assert.deepEqual(c, JSON.parse(JSON.stringify(configJsonSchema())));
    const report = await golive(['schema', '--report']);
    assert.equal(JSON.parse(report.stdout).title, 'golive report');
    assertUsage(await golive(['schema', 'pdf']), 'GOLIVE_ERR_USAGE');
  });
});
