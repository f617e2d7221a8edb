/**
 * The GitHub Action's script (action.yml → scripts/github-action.sh) run as a runner would: it writes the verdict
 * and the report path to $GITHUB_OUTPUT, the CLI appends the summary to $GITHUB_STEP_SUMMARY and prints
 * failing checks as annotations, and it exits with golive's exit code.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { assertBuilt, healthyHandler, ROOT, serve, type TestServer } from './helpers.ts';

let good: TestServer;
let bad: TestServer;
let dir: string;
before(async () => {
  assertBuilt();
  good = await serve(healthyHandler());
  bad = await serve(
    healthyHandler({
      '/health': (_req, res) => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"status":"fail"}');
      },
    }),
  );
  dir = await mkdtemp(join(tmpdir(), 'golive-action-'));
});
after(async () => {
  await good.close();
  await bad.close();
  await rm(dir, { recursive: true, force: true });
});

async function runAction(name: string, inputs: Record<string, string>): Promise<{ code: number | null; stdout: string; output: string; summary: string; cwd: string }> {
  const cwd = await mkdtemp(join(dir, `${name}-`));
  const output = join(cwd, 'github-output');
  const summary = join(cwd, 'step-summary');
  await writeFile(output, '');
  await writeFile(summary, '');
  const code = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const env: Record<string, string> = {
      PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      NO_COLOR: '1',
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      GOLIVE_ACTION_PATH: ROOT,
      ...inputs,
    };
    const child = spawn('bash', [join(ROOT, 'scripts/github-action.sh')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', () => undefined);
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout }));
  });
  return { ...code, output: await readFile(output, 'utf8'), summary: await readFile(summary, 'utf8'), cwd };
}

describe('the GitHub Action', () => {
  it('action.yml declares the inputs and outputs its script reads and writes', async () => {
    const action = parseYaml(await readFile(join(ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>;
      outputs: Record<string, unknown>;
      runs: { using: string; steps: Array<{ run?: string; env?: Record<string, string> }> };
    };
    assert.deepEqual(Object.keys(action.inputs).sort(), ['config', 'expect-live', 'out', 'preset', 'url']);
    assert.deepEqual(Object.keys(action.outputs).sort(), ['report', 'verdict']);
    assert.equal(action.runs.using, 'composite');
    const step = action.runs.steps.find((s) => s.run?.includes('scripts/github-action.sh'));
    assert.ok(step?.env, 'the gate step');
    const script = await readFile(join(ROOT, 'scripts/github-action.sh'), 'utf8');
    for (const name of Object.keys(step.env)) assert.ok(script.includes(name), `the script reads ${name}`);
  });

  it('GO: verdict and report in GITHUB_OUTPUT, the summary in GITHUB_STEP_SUMMARY, exit 0', async () => {
    const r = await runAction('go', { GOLIVE_INPUT_URL: good.url, GOLIVE_INPUT_OUT: 'reports' });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.output, /^verdict=GO$/m);
    assert.match(r.output, /^report=reports\/report\.json$/m);
    assert.match(r.summary, /golive: GO/);
    assert.equal(JSON.parse(await readFile(join(r.cwd, 'reports/report.json'), 'utf8')).verdict, 'GO');
  });

  it('NO-GO: exit 1, the verdict written, the failing check annotated', async () => {
    const r = await runAction('nogo', { GOLIVE_INPUT_URL: bad.url });
    assert.equal(r.code, 1);
    assert.match(r.output, /^verdict=NO-GO$/m);
    assert.match(r.stdout, /^::error title=golive health \(go-live\)%3A FAIL::/m);
    assert.match(r.summary, /golive: NO-GO/);
  });

  it('a config error: exit 2 and an empty verdict', async () => {
    const r = await runAction('bad-config', { GOLIVE_INPUT_CONFIG: 'missing.yaml' });
    assert.equal(r.code, 2);
    assert.match(r.output, /^verdict=$/m);
  });
});
