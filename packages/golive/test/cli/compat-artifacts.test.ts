/**
 * The stage3 and stage4 presets, driven only by the seeds' environment variables, write the seeds' artifact
 * files; their structure (key sets and JSON types, recursively) is compared with the examples the seed
 * documents published (copied below verbatim).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertBuilt, assertNoStack, golive, healthyHandler, serve, type TestServer } from './helpers.ts';

// stage4-go-live-readiness.md, "summary.json (PASS Example)".
const SEED_STAGE4_SUMMARY = {
  stage: 'Stage 4 – Production Go-Live Readiness',
  timestamp: '2025-10-12T13:34:57Z',
  base_url: 'http://127.0.0.1:8000',
  health_url: 'http://127.0.0.1:8000/health',
  checks: {
    health: { ok: true, status_code: 200, latency_ms: 45.23, payload: { status: 'ok' } },
    canary: {
      oks: 5,
      count: 5,
      p95_ms: 52.15,
      samples: [
        { code: 200, latency_ms: 48.5 },
        { code: 200, latency_ms: 50.1 },
        { code: 200, latency_ms: 52.15 },
        { code: 200, latency_ms: 49.8 },
        { code: 200, latency_ms: 51.2 },
      ],
    },
    root_headers: { ok: true, status_code: 200, csp_present: true, csp: "default-src 'self'; script-src 'self' 'unsafe-inline'" },
    provider_config: { STRIPE_MODE: '1', STRIPE_SIGNING_SECRET_set: true, NOTIFY_MODE: 'mock', EMAIL_FROM_set: false },
    provider_issues: [],
  },
  status: 'PASS',
};

// stage3-staging-pilot.md, "smoke_results.json".
const SEED_STAGE3_SMOKE = {
  started: '2025-10-12T12:00:00Z',
  finished: '2025-10-12T12:00:05Z',
  status: 'PASS',
  checks: [
    { check: 'health', status: 'PASS', status_code: 200, body: '{"status":"ok"}' },
    { check: 'auth_csrf', status: 'PASS', status_code: 200 },
  ],
};

// stage3-staging-pilot.md, "summary.json" (its `checks: [...]` are the smoke_results entries).
const SEED_STAGE3_SUMMARY = {
  stage: 'stage3_v0_3_0',
  started: '2025-10-12T12:00:00Z',
  finished: '2025-10-12T12:00:30Z',
  base_url: 'http://127.0.0.1:8000',
  health_url: 'http://127.0.0.1:8000/health',
  smoke: { status: 'PASS', checks: SEED_STAGE3_SMOKE.checks },
  release_gate_exit_code: 0,
  status: 'PASS',
};

type Shape = string | Shape[] | { [k: string]: Shape };

/** Structure of a JSON value: object key sets and leaf types; arrays by the shape of each element. */
function shape(v: unknown): Shape {
  if (Array.isArray(v)) return v.map((x) => shape(x));
  if (v === null) return 'null';
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, shape(x)]));
  return typeof v;
}

/** Asserts that `actual` has the seed's structure: same keys everywhere, same leaf types. */
function assertSameStructure(actual: unknown, seed: unknown, path = '$'): void {
  if (Array.isArray(seed)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(shape(actual))}`);
    // Entries of one kind: every actual entry must look like the seed entry with the same key set, if any.
    for (const [i, a] of (actual as unknown[]).entries()) {
      const ref = (seed as unknown[]).find((s) => JSON.stringify(Object.keys(s ?? {}).sort()) === JSON.stringify(Object.keys(a ?? {}).sort())) ?? seed[0];
      if (ref !== undefined) assertSameStructure(a, ref, `${path}[${i}]`);
    }
    return;
  }
  if (seed !== null && typeof seed === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path}: expected an object`);
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(seed).sort(), `${path}: key set differs`);
    for (const k of Object.keys(seed)) assertSameStructure((actual as Record<string, unknown>)[k], (seed as Record<string, unknown>)[k], `${path}.${k}`);
    return;
  }
  assert.equal(typeof actual, typeof seed, `${path}: expected ${typeof seed}, got ${JSON.stringify(actual)}`);
}

let dir: string;
let server: TestServer;
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-compat-'));
  server = await serve(healthyHandler());
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('seed-compatible artifacts', () => {
  it('stage4: PROD_URL / HEALTH_URL / EXPECT_LIVE / ALLOW_PROVIDER_MOCK only → qa/stage4/v0.4.0 in the seed shape', async () => {
    const cwd = await mkdtemp(join(dir, 's4-'));
    const run = await golive(['run'], {
      cwd,
      env: { GOLIVE_PRESET: 'stage4', PROD_URL: server.url, HEALTH_URL: `${server.url}/health`, EXPECT_LIVE: '0', ALLOW_PROVIDER_MOCK: '1', S4_TIMEOUT: '5' },
    });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assertNoStack(run.stderr);
    const summary = JSON.parse(await readFile(join(cwd, 'qa/stage4/v0.4.0/summary.json'), 'utf8'));
    assertSameStructure(summary, SEED_STAGE4_SUMMARY);
    assert.equal(summary.status, 'PASS');
    assert.equal(summary.base_url, server.url);
    assert.equal(summary.health_url, `${server.url}/health`);
    assert.match(summary.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(summary.checks.health.payload, { status: 'ok' });
    assert.equal(summary.checks.canary.count, 5);
    assert.equal(summary.checks.canary.samples.length, 5);
    assert.equal(summary.checks.root_headers.csp_present, true);
    const tests = await readFile(join(cwd, 'qa/stage4/v0.4.0/tests.txt'), 'utf8');
    assert.match(tests, /^Stage 4 – Production Go-Live Readiness\nTimestamp: .*\nBase URL: http:\/\/127\.0\.0\.1:\d+\n\n✅ Health Check: PASS \([\d.]+ms\)\n✅ Canary Pings: 5\/5 succeed, p95: [\d.]+ms\n✅ Root Headers: CSP present\n✅ Provider Config: OK.*\n\nStatus: PASS\n$/);
    // golive's own reports sit beside them, under golive-report/.
    const report = JSON.parse(await readFile(join(cwd, 'golive-report/report.json'), 'utf8'));
    assert.equal(report.verdict, 'GO');
  });

  it('stage4 with EXPECT_LIVE=1 and mocks: provider issues listed and FAIL, as the seed enforced', async () => {
    const cwd = await mkdtemp(join(dir, 's4live-'));
    const run = await golive(['run', '--preset', 'stage4', '--out', 'artifacts'], {
      cwd,
      env: { PROD_URL: server.url, EXPECT_LIVE: '1', ALLOW_PROVIDER_MOCK: '0', NOTIFY_MODE: 'mock' },
    });
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    const summary = JSON.parse(await readFile(join(cwd, 'artifacts/qa/stage4/v0.4.0/summary.json'), 'utf8'));
    assertSameStructure(summary, { ...SEED_STAGE4_SUMMARY, checks: { ...SEED_STAGE4_SUMMARY.checks, provider_issues: ['x'] } });
    assert.equal(summary.status, 'FAIL');
    assert.ok(summary.checks.provider_issues.length > 0);
    const tests = await readFile(join(cwd, 'artifacts/qa/stage4/v0.4.0/tests.txt'), 'utf8');
    assert.match(tests, /❌ Provider Config: FAIL/);
    assert.match(tests, /Status: FAIL/);
  });

  it(
    'stage3: OI_BASE_URL / HEALTH_URL / HOME_API only → qa/stage3/v0.3.0 in the seed shapes, release gate output kept',
    async () => {
      const cwd = await mkdtemp(join(dir, 's3-'));
      const gate = `${JSON.stringify(process.execPath)} -e "console.log('packs: 12 PASS, HOME_API=' + process.env.HOME_API); console.error('warn: slow pack')"`;
      const run = await golive(['run'], {
        cwd,
        env: { GOLIVE_PRESET: 'stage3', OI_BASE_URL: server.url, HEALTH_URL: `${server.url}/health`, HOME_API: '1', GOLIVE_RELEASE_GATE_COMMAND: gate },
      });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assertNoStack(run.stderr);
      const base = join(cwd, 'qa/stage3/v0.3.0');
      const smoke = JSON.parse(await readFile(join(base, 'smoke_results.json'), 'utf8'));
      assertSameStructure(smoke, SEED_STAGE3_SMOKE);
      assert.deepEqual(
        smoke.checks.map((c: { check: string; status: string; status_code: number }) => [c.check, c.status, c.status_code]),
        [
          ['health', 'PASS', 200],
          ['auth_csrf', 'PASS', 200],
          ['security_csrf', 'PASS', 200],
          ['stripe_webhook', 'PASS', 400],
          ['notify_outbox', 'PASS', 200],
        ],
      );
      const summary = JSON.parse(await readFile(join(base, 'summary.json'), 'utf8'));
      assertSameStructure(summary, SEED_STAGE3_SUMMARY);
      assert.equal(summary.release_gate_exit_code, 0);
      assert.equal(summary.status, 'PASS');
      assert.equal(await readFile(join(base, 'release_gate_stdout.txt'), 'utf8'), 'packs: 12 PASS, HOME_API=1\n');
      assert.equal(await readFile(join(base, 'release_gate_stderr.txt'), 'utf8'), 'warn: slow pack\n');
      assert.match(await readFile(join(base, 'tests.txt'), 'utf8'), /Status: PASS/);
    },
  );

  it('stage3 without a release gate still writes every file, and says the gate was not configured', async () => {
    const cwd = await mkdtemp(join(dir, 's3b-'));
    const run = await golive(['run', '--preset', 'stage3'], { cwd, env: { OI_BASE_URL: server.url } });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const base = join(cwd, 'qa/stage3/v0.3.0');
    const summary = JSON.parse(await readFile(join(base, 'summary.json'), 'utf8'));
    assert.equal(summary.release_gate_exit_code, null);
    assert.match(await readFile(join(base, 'release_gate_stdout.txt'), 'utf8'), /not configured/);
    assertSameStructure(JSON.parse(await readFile(join(base, 'smoke_results.json'), 'utf8')), SEED_STAGE3_SMOKE);
  });
});
