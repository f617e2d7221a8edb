// Child-process tests of server.ts: fail-fast configuration, graceful SIGTERM mid-request, and
// durability of acknowledged events across kill -9.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { signRequest } from '../../src/app.ts';
import { createTestDatabase, reachable, requireService, TENANT_A, testEnv, uniq } from '../helpers.ts';
import { httpRequest, spawnServer, startServer } from '../server-process-helpers.ts';

// Spawning, waiting for the listening line and plain requests: the helpers the fault tests share.
const run = spawnServer;
const start = startServer;
const request = httpRequest;

function signedHeaders(body: string, key: string, t?: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    authorization: `Bearer ${TENANT_A.apiKey}`,
    'idempotency-key': key,
    'x-signature': signRequest({
      secret: TENANT_A.secret,
      method: 'POST',
      path: '/v1/events',
      body,
      idempotencyKey: key,
      ...(t !== undefined ? { timestamp: t } : {}),
    }),
  };
}

const serverEnv = (extra: Record<string, string | undefined> = {}) =>
  testEnv({ PORT: '0', LOG_LEVEL: 'info', ...extra });

test('boot with an invalid environment: exit 2, every bad variable named, no value printed', async () => {
  const secrets = ['api-key-SECRET-0123456789', 'signing-SECRET-0123456789', 'not-whsec-SECRET-VALUE'];
  const p = run({
    APP_ENV: 'production',
    PILOT_DATA_DIR: 'memory://',
    PILOT_BOOTSTRAP_API_KEY: secrets[0],
    PILOT_BOOTSTRAP_SIGNING_SECRET: secrets[1],
    STRIPE_WEBHOOK_SECRET: secrets[2],
    PORT: 'eighty',
  });
  const code = await p.exited;
  assert.equal(code, 2);
  const err = p.stderr();
  for (const name of ['PILOT_BOOTSTRAP_TENANT', 'STRIPE_WEBHOOK_SECRET', 'PORT']) assert.match(err, new RegExp(name));
  for (const s of secrets) {
    assert.ok(!err.includes(s), 'a secret value was printed');
    assert.ok(!p.stdout().includes(s), 'a secret value was printed');
  }
  assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
});

test('boot in production without ADMIN_TOKEN: exit 2 naming it', async () => {
  const p = run({
    APP_ENV: 'production',
    PILOT_DATA_DIR: join(tmpdir(), 'never-created'),
    STRIPE_WEBHOOK_SECRET: 'whsec_0123456789',
  });
  assert.equal(await p.exited, 2);
  assert.match(p.stderr(), /ADMIN_TOKEN: required when APP_ENV=production/);
});

test('the start-up log line holds the sanitized configuration, never a secret', async () => {
  const s = await start(serverEnv({ DRAIN_DELAY_MS: '0' }));
  try {
    const line = s
      .stdout()
      .split('\n')
      .find((l) => l.includes('"msg":"configuration"'));
    assert.ok(line);
    const cfg = (JSON.parse(line) as { config: Record<string, unknown> }).config;
    assert.equal(cfg.stripeWebhookSecret, '[set]');
    for (const secret of [TENANT_A.apiKey, TENANT_A.secret, 'whsec_test_0123456789abcdef', 'admin-token-0123456789abcdef0123']) {
      assert.ok(!s.stdout().includes(secret), 'a secret value was logged');
    }
  } finally {
    s.child.kill('SIGTERM');
    assert.equal(await s.exited, 0);
  }
});

test('SIGTERM mid-request: readiness 503 at once, the request completes 201, exit 0', async () => {
  const s = await start(serverEnv({ DRAIN_DELAY_MS: '800', SHUTDOWN_GRACE_MS: '10000' }));
  const body = JSON.stringify({ inflight: uniq(), pad: 'x'.repeat(200) });
  const headers = signedHeaders(body, uniq());
  const pending = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${s.url}/v1/events`, { method: 'POST', headers, agent: false }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => {
        b += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 50));
    // The rest arrives after the drain delay, while the server is closing.
    setTimeout(() => req.end(body.slice(50)), 1_300);
  });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await request(`${s.url}/health/ready`)).status, 200);
  s.child.kill('SIGTERM');
  let ready = 0;
  for (let i = 0; i < 20 && ready !== 503; i++) {
    ready = (await request(`${s.url}/health/ready`)).status;
    if (ready !== 503) await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(ready, 503, 'readiness flips to 503 during the drain');
  assert.equal((await request(`${s.url}/health/live`)).status, 200, 'other routes still served while draining');
  const r = await pending;
  assert.equal(r.status, 201, r.body);
  assert.equal(await s.exited, 0);
  assert.match(s.stdout(), /"msg":"closed"/);
});

test('a second signal exits at once', async () => {
  const s = await start(serverEnv({ DRAIN_DELAY_MS: '20000', SHUTDOWN_GRACE_MS: '30000' }));
  s.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  const t0 = Date.now();
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 1);
  assert.ok(Date.now() - t0 < 5_000);
});

async function killDuringIngest(env: Record<string, string | undefined>): Promise<void> {
  const s = await start(env);
  const acked = new Map<string, string>();
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const key = uniq();
      const body = JSON.stringify({ durable: key });
      try {
        const r = await request(`${s.url}/v1/events`, { method: 'POST', headers: signedHeaders(body, key), body });
        if (r.status === 201) acked.set(key, (JSON.parse(r.body) as { id: string }).id);
      } catch {
        // Connections cut by the kill: not acknowledged, so not owed.
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((r) => setTimeout(r, 1_500));
  s.child.kill('SIGKILL');
  await s.exited;
  stop = true;
  await Promise.all(workers);
  assert.ok(acked.size > 10, `only ${acked.size} events acknowledged before the kill`);

  const again = await start(env);
  try {
    const r = await request(`${again.url}/v1/events?limit=1000`, { headers: { authorization: `Bearer ${TENANT_A.apiKey}` } });
    assert.equal(r.status, 200);
    const stored = new Map(
      (JSON.parse(r.body) as { events: { id: string; idempotencyKey: string }[] }).events.map((e) => [e.idempotencyKey, e.id]),
    );
    const missing = [...acked].filter(([k, id]) => stored.get(k) !== id);
    assert.deepEqual(missing, [], `${missing.length} of ${acked.size} acknowledged events lost`);
  } finally {
    again.child.kill('SIGTERM');
    await again.exited;
  }
}

test('kill -9 during ingest on PostgreSQL: every acknowledged event is there after restart', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const db = await createTestDatabase();
  try {
    await killDuringIngest(serverEnv({ DATABASE_URL: db.url, DRAIN_DELAY_MS: '0' }));
  } finally {
    await db.drop();
  }
});

test('kill -9 during ingest on embedded PGlite: every acknowledged event is there after restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pilot-kill9-'));
  try {
    await killDuringIngest(serverEnv({ PILOT_DATA_DIR: join(dir, 'data'), DRAIN_DELAY_MS: '0' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL unreachable at boot: exit 1 with a clear message, no password printed', async () => {
  const port = 1;
  assert.equal(await reachable(port), false);
  const p = run(serverEnv({ DATABASE_URL: `postgres://pilot:hunter2-SECRET@127.0.0.1:${port}/x` }));
  assert.equal(await p.exited, 1);
  assert.match(p.stdout(), /startup failed/);
  assert.ok(!p.stdout().includes('hunter2-SECRET') && !p.stderr().includes('hunter2-SECRET'));
});
