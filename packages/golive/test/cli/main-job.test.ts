/**
 * The repository's main job (`npm start` → scripts/main-job.js): golive starts the bundled pilot on its embedded
 * database as a managed target, runs examples/pilot.golive.config.ts against it and exits with the verdict.
 * Pilot is the proof that every check can pass, so the verdict must be GO with every check evaluated.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertBuilt, assertNoStack, ROOT, runProcess } from './helpers.ts';

/** Planted secrets: pilot and golive both get them; none may appear in any output. */
const SECRETS = {
  PILOT_BOOTSTRAP_API_KEY: 'pk_demo_planted-api-key-0123456789',
  PILOT_BOOTSTRAP_SIGNING_SECRET: 'planted-signing-secret-0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_planted0123456789abcdef',
  ADMIN_TOKEN: 'planted-admin-token-0123456789abcdef',
};

describe('main job: the gate against the bundled pilot', () => {
  let out: string;
  let code: number | null;
  let stdout = '';
  let stderr = '';
  before(async () => {
    assertBuilt();
    out = await mkdtemp(join(tmpdir(), 'golive-main-job-'));
    ({ code, stdout, stderr } = await runProcess(process.execPath, [join(ROOT, 'scripts', 'main-job.js'), '--out', out], {
      cwd: ROOT,
      env: { ...process.env, ...SECRETS, NO_COLOR: '1' },
      killAfterMs: 170_000,
    }));
  });
  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it('exits 0 with GO, every check evaluated and passed', async () => {
    assert.equal(code, 0, `exit ${code}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    assertNoStack(stderr);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8')) as {
      verdict: string;
      totals: { fail: number; error: number; skip: number; pass: number };
      stages: Array<{ name: string; checks: Array<{ id: string; kind: string; status: string; metrics: Record<string, unknown>; observations: Array<{ name: string; message: string }> }> }>;
    };
    assert.equal(report.verdict, 'GO');
    assert.equal(report.totals.fail + report.totals.error + report.totals.skip, 0);
    const checks = report.stages.flatMap((s) => s.checks);
    const kinds = new Set(checks.map((c) => c.kind));
    const expectedKinds = ['health', 'canary', 'http', 'security-headers', 'exposure', 'provider-config', 'load', 'metrics'];
    // The contract probes and the lifecycle drills of pilot's gate.
    expectedKinds.push('webhook', 'idempotency', 'rate-limit', 'startup', 'drain', 'recovery');
    for (const k of expectedKinds) assert.ok(kinds.has(k), `kind ${k} ran`);
    assert.deepEqual(
      report.stages.map((s) => s.name),
      ['target', 'smoke', 'go-live', 'load', 'contracts', 'drills'],
    );
    // The drain drill restarted pilot; the run went on against the new process and the gate still holds.
    const drain = checks.find((c) => c.id === 'drain') as unknown as { data: { before: { dropped: number }; restarted: boolean } };
    assert.deepEqual([drain.data.before.dropped, drain.data.restarted], [0, true]);
    const load = checks.find((c) => c.id === 'dedup-load');
    assert.equal(load?.status, 'pass');
    // The metrics kind's gate hooks saw pilot's ingest counter rise by the events the load created.
    const delta = checks.find((c) => c.id === 'metrics-ingest')?.observations.find((o) => o.name === 'delta pilot_events_ingested_total');
    assert.match(delta?.message ?? '', /^pilot_events_ingested_total rose by (\d+)/);
    assert.ok(Number(/rose by (\d+)/.exec(delta?.message ?? '')?.[1]) >= 400, delta?.message);
  });

  it('leaves none of the run secrets in its output or artifacts', async () => {
    // Every file is read: a read error fails the test rather than counting as a clean file.
    const files = (await readdir(out, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    const texts = [stdout, stderr, ...(await Promise.all(files.map((f) => readFile(f, 'utf8'))))];
    assert.ok(texts.length > 4, 'artifacts were written');
    for (const [name, value] of Object.entries(SECRETS)) {
      for (const [i, t] of texts.entries()) assert.ok(!t.includes(value), `${name} found in ${i < 2 ? ['stdout', 'stderr'][i] : files[i - 2]}`);
    }
  });
});
