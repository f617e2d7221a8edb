/**
 * golive as users get it: the package is packed, its tarball installed into a fresh `npm init -y` project (a
 * CommonJS package), and `golive init`, `golive run` and `golive check` run there against a local service.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertBuilt, assertNoStack, healthyHandler, ROOT, serve, type TestServer } from './helpers.ts';

const work = mkdtempSync(join(tmpdir(), 'golive-packed-'));
const project = join(work, 'svc');
// The project's `golive` bin runs on whatever `node` is first on PATH: the pinned one, as in the repository.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, NO_COLOR: '1', CI: '' };
let server: TestServer;

/** Runs a command without blocking this process (the test's server must keep answering). */
function sh(cmd: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

before(async () => {
  assertBuilt();
  server = await serve(healthyHandler());
  execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: join(ROOT, 'packages/golive'), env, stdio: 'pipe' });
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');
  execFileSync('mkdir', ['-p', project]);
  const init = await sh('npm', ['init', '-y'], project);
  assert.equal(init.status, 0, init.stderr);
  const install = await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, tarball)], project);
  assert.equal(install.status, 0, install.stderr);
});
after(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package in a fresh project', () => {
  it('init, run and check work in a CommonJS project', async () => {
    const bin = join(project, 'node_modules/.bin/golive');
    const init = await sh(bin, ['init'], project);
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /wrote golive\.config\.mts/);
    const run = await sh(bin, ['run', '--url', server.url], project);
    assertNoStack(run.stderr);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /golive\.config\.mts/);
    const check = await sh(bin, ['check', server.url, '--reporter', 'console'], project);
    assertNoStack(check.stderr);
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  it('a golive.config.ts with import/export in a CommonJS project gets a message that says how to fix it', async () => {
    const dir = join(project, 'ts-cjs');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'package.json'), '{"name":"x","type":"commonjs"}');
    writeFileSync(join(dir, 'golive.config.ts'), "import { defineConfig } from 'golive';\nexport default defineConfig({ checks: { health: { kind: 'health' } } });\n");
    const run = await sh(join(project, 'node_modules/.bin/golive'), ['run', '--url', server.url], dir);
    assertNoStack(run.stderr);
    assert.equal(run.status, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /rename it golive\.config\.mts/);
  });
});
