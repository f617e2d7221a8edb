/**
 * "The gate never lies and never leaks", end to end through the built CLI: a catastrophic regular expression
 * cannot hang a run, deep JSON neither crashes a check nor makes an unreadable report, an old Node is told so in
 * one line, header values with line breaks and backtracking patterns are config errors (exit 2), and a YAML error
 * does not quote the config line.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEPTH_MARKER, MAX_REPORT_DEPTH, maxDepthOf } from '../../src/core/depth.ts';
import { BIN, assertBuilt, assertNoStack, golive, serve, type TestServer } from './helpers.ts';

let dir: string;
let server: TestServer;
const deepJson = (depth: number) => `{"status":"ok","deep":${'['.repeat(depth)}1${']'.repeat(depth)}}`;
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-trust-'));
  server = await serve((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/aaaa') return res.end(`${'a'.repeat(50_000)}!`);
    if (req.url === '/slow') return setTimeout(() => res.end('{"status":"ok"}'), 10_000).unref();
    if (req.url === '/deep-2000') return res.end(deepJson(2000));
    if (req.url === '/deep-1500') return res.end(deepJson(1500));
    if (req.url === '/deep-100000') return res.end(deepJson(100_000));
    res.end('{"status":"ok"}');
  });
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function config(name: string, lines: string[]): Promise<string> {
  const cwd = await mkdtemp(join(dir, `${name}-`));
  await writeFile(join(cwd, 'golive.config.yaml'), `${lines.join('\n')}\n`);
  return cwd;
}

describe('regular expressions from config', () => {
  it('a catastrophic pattern against 50 000 characters ends the run promptly (no hang, the verdict stands)', async () => {
    const cwd = await config('regex', [
      'checks:',
      '  body:',
      '    kind: http',
      '    timeoutMs: 5000',
      "    options: { path: /aaaa, expect: { bodyMatches: '(a+)+$' } }",
    ]);
    // A backtracking engine would run for minutes here, deaf to the check timeout and to SIGTERM.
    const run = await golive(['run', '--url', server.url], { cwd, killAfterMs: 60_000 });
    assert.equal(run.signal, null, 'golive had to be killed');
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /body does not match/);
    assertNoStack(run.stderr);
  });

  it('SIGTERM during a run matching a catastrophic pattern stops golive by itself', async () => {
    const cwd = await config('regex-sigterm', [
      'checks:',
      '  body:',
      '    kind: http',
      "    options: { path: /aaaa, expect: { bodyMatches: '(a+)+$' } }",
      '  slow:',
      '    kind: http',
      '    options: { path: /slow }',
    ]);
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, 'run', '--url', server.url], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString();
    });
    // SIGTERM 1.5 s into the run: a backtracking engine is still matching the first body then (deaf to signals);
    // golive's matching ended long before, and the signal cancels the slow second check. SIGKILL is a backstop.
    let term: NodeJS.Timeout | undefined;
    const waitStart = setInterval(() => {
      if (!out.includes('golive:')) return;
      clearInterval(waitStart);
      term = setTimeout(() => child.kill('SIGTERM'), 1500);
    }, 20);
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('close', (c, s) => r([c, s])));
    clearInterval(waitStart);
    clearTimeout(term);
    clearTimeout(killer);
    assert.equal(signal, null, `golive ignored SIGTERM and had to be killed:\n${out}`);
    // The regex check failed (no match) and the cancelled run is at best INCONCLUSIVE: NO-GO wins.
    assert.equal(code, 1, `exit ${code}:\n${out}`);
    assert.match(out, /SIGTERM received/);
    assert.match(out, /body does not match/);
    assert.ok(Date.now() - started < 30_000);
  });

  it('a pattern that needs backtracking is a config error naming the field (exit 2)', async () => {
    const cwd = await config('regex-bad', ['checks:', '  body:', '    kind: http', "    options: { path: /, expect: { bodyMatches: '^(a|aa)+\\1$' } }"]);
    const run = await golive(['run', '--url', server.url], { cwd });
    assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /checks\.body\.options\.expect\.bodyMatches: .*linear time/);
    assertNoStack(run.stderr);
  });
});

describe('deep JSON from the target', () => {
  for (const depth of [2000, 1500, 100_000]) {
    it(`a health body ${depth} levels deep passes and the report stays within ${MAX_REPORT_DEPTH} levels`, async () => {
      const cwd = await config(`deep-${depth}`, ['checks:', '  health:', '    kind: health', `    options: { path: /deep-${depth}, maxBodyBytes: 1048576 }`]);
      const run = await golive(['run', '--url', server.url], { cwd });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assertNoStack(run.stderr);
      const report = JSON.parse(await readFile(join(cwd, 'golive-report/report.json'), 'utf8')) as unknown;
      // jq 1.6 refuses more than 256 levels, Python about 1 000: the report keeps at most 64.
      assert.ok(maxDepthOf(report) <= MAX_REPORT_DEPTH, `report nests ${maxDepthOf(report)} levels`);
      assert.ok(JSON.stringify(report).includes(DEPTH_MARKER));
    });
  }

  it('an http check judging a JSON path inside a 100 000-level body is evaluated, not crashed', async () => {
    const cwd = await config('deep-http', [
      'checks:',
      '  deep:',
      '    kind: http',
      '    options: { path: /deep-100000, expect: { json: { deep: { type: object } } } }',
    ]);
    const run = await golive(['run', '--url', server.url], { cwd });
    // `deep` is an array, not an object: a plain failure with evidence, not GOLIVE_ERR_CHECK_CRASHED.
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /deep is \[\[\[/);
    assertNoStack(run.stderr);
  });
});

/** A Node older than 22 on PATH or in /usr/bin, other than the pinned one (the machine's own node is 20). */
function olderNode(): { path: string; version: string } | undefined {
  for (const d of [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']) {
    const p = join(d, 'node');
    if (d.includes('node_modules') || !existsSync(p)) continue;
    const version = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    if (Number(version.split('.')[0]) < 22) return { path: p, version };
  }
  return undefined;
}

function runWith(node: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('Node version', () => {
  const expectOneLine = (r: { code: number | null; stdout: string; stderr: string }, version: string) => {
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', new RegExp(`golive needs Node ≥ 22\\.19; this is ${version.replace(/\./g, '\\.')}\\b.*Node 24`));
  };

  it('an old Node gets one line and exit 2 before anything else loads (simulated 20.11.0 on the pinned Node)', async () => {
    const preload = `data:text/javascript,Object.defineProperty(process,'versions',{value:{...process.versions,node:'20.11.0'}})`;
    expectOneLine(await runWith(process.execPath, ['--import', preload, BIN, 'check', server.url]), '20.11.0');
  });

  it('the launcher runs on the machine’s real older Node long enough to say so', async () => {
    const node = olderNode();
    assert.ok(node, 'this machine has a Node older than 22 (the system one, 20)');
    expectOneLine(await runWith(node.path, [BIN, 'check', server.url]), node.version);
  });
});

describe('header values with line breaks', () => {
  it('a secret read with its trailing newline is refused at config load, naming the header, never its value', async () => {
    const cwd = await config('crlf', ['target:', '  headers:', '    authorization: "Bearer tok-TrailingNewline42\\n"', 'checks:', '  health: { kind: health }']);
    const run = await golive(['run', '--url', server.url], { cwd });
    assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /target\.headers\.authorization: header value contains a line break/);
    assert.ok(!`${run.stdout}${run.stderr}`.includes('tok-TrailingNewline42'));
    assertNoStack(run.stderr);
  });

  it('-H with CR/LF is refused naming the header', async () => {
    const run = await golive(['check', server.url, '-H', 'X-A: a\r\nX-B: 1'], { cwd: dir });
    assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /--header X-A: the value contains a line break/);
    assertNoStack(run.stderr);
  });
});

describe('config errors', () => {
  it('a YAML syntax error names the line, not its text (a secret may exist only in the file)', async () => {
    const cwd = await config('yaml', ['target:', '  headers:', '    authorization: Bearer S3cretOnlyInTheFile: oops', 'checks: {}']);
    const run = await golive(['run', '--url', server.url], { cwd });
    assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /GOLIVE_ERR_CONFIG_LOAD: .*invalid YAML: .*line 3, column \d+/);
    assert.ok(!run.stderr.includes('S3cretOnlyInTheFile'), run.stderr);
  });
});
