// Onboarding through the `pilot` CLI against a running service: one command provisions a tenant whose
// printed credentials sign an ingest that succeeds; the tenant sees only its own events; duplicates are
// refused; secrets are printed once; rotate-key and disable take effect.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { signRequest } from '../../src/app.ts';
import { ADMIN_TOKEN, makeApp, TENANT_A, signedIngest, uniq } from '../helpers.ts';

const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;
let app: FastifyInstance;
let url: string;

before(async () => {
  app = await makeApp({ ENRICH_WORKER: 'off', RECONCILE_INTERVAL_SEC: '0', RATE_LIMIT_MAX: '100000' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
after(async () => {
  await app.close();
});

function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, ADMIN_TOKEN, PILOT_URL: url, NODE_NO_WARNINGS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function signedPost(apiKey: string, secret: string, keyId: string, body: object) {
  const raw = JSON.stringify(body);
  const key = `onboard-${uniq()}`;
  const sig = signRequest({ secret, method: 'POST', path: '/v1/events', body: raw, idempotencyKey: key, keyId });
  return fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'idempotency-key': key, 'x-signature': sig },
    body: raw,
  });
}

test('one command provisions a tenant whose printed credentials ingest, isolated from other tenants', async () => {
  // Another tenant's event exists already.
  assert.equal((await app.inject(signedIngest({ body: { type: 'a.secret' }, key: `a-${uniq()}` }))).statusCode, 201);
  const tenantId = `acme-${uniq()}`;
  const t0 = performance.now();
  const r = await cli(['tenant', 'create', tenantId, '--name', 'Acme Corp']);
  assert.equal(r.code, 0, r.stderr);
  const apiKey = /API key:\s+(\S+)/.exec(r.stdout)?.[1];
  const keyId = /signing key id:\s+(\S+)/.exec(r.stdout)?.[1];
  const secret = /signing secret:\s+(\S+)/.exec(r.stdout)?.[1];
  assert.ok(apiKey && keyId && secret, r.stdout);
  assert.match(r.stdout, /"syncEnabled"/, 'the flags in force are shown');
  const res = await signedPost(apiKey, secret, keyId, { type: 'acme.first' });
  assert.equal(res.status, 201, await res.text());
  const seconds = (performance.now() - t0) / 1000;
  assert.ok(seconds < 60, `onboarding took ${seconds.toFixed(2)} s`);

  const own = await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${apiKey}` } });
  const body = (await own.json()) as { count: number; events: { payload: { type: string } }[] };
  assert.equal(body.count, 1, 'the new tenant sees exactly its own event');
  assert.ok(body.events.every((e) => JSON.stringify(e).includes('acme.first')));
  // The key is stored hashed only; the secret is never shown again.
  const stored = await app.pilot.db.query<{ api_key_hash: string }>('SELECT api_key_hash FROM tenants WHERE id = $1', [tenantId]);
  assert.notEqual(stored.rows[0]!.api_key_hash, apiKey);
  const list = await cli(['tenant', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.ok(list.stdout.includes(tenantId));
  const listJson = await cli(['tenant', 'list', '--json']);
  for (const out of [list.stdout, listJson.stdout, list.stderr]) {
    assert.ok(!out.includes(apiKey) && !out.includes(secret), 'list never prints a key or secret');
  }

  const dup = await cli(['tenant', 'create', tenantId]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /tenant_exists/);
  assert.ok(!dup.stdout.includes(secret) && !dup.stderr.includes(secret));

  const rot = await cli(['tenant', 'rotate-key', tenantId]);
  assert.equal(rot.code, 0, rot.stderr);
  const newKey = /new API key \(not shown again\): (\S+)/.exec(rot.stdout)?.[1];
  assert.ok(newKey && newKey !== apiKey);
  assert.equal((await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${apiKey}` } })).status, 401);
  assert.equal((await signedPost(newKey, secret, keyId, { type: 'acme.second' })).status, 201);

  const dis = await cli(['tenant', 'disable', tenantId]);
  assert.equal(dis.code, 0, dis.stderr);
  assert.equal((await fetch(`${url}/v1/events`, { headers: { authorization: `Bearer ${newKey}` } })).status, 401);
  // Tenant A still works.
  assert.equal((await app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${TENANT_A.apiKey}` } })).statusCode, 200);
});

test('usage errors exit 2; a wrong token, an unknown tenant and an unreachable service are told apart', async () => {
  assert.equal((await cli(['tenant', 'create'])).code, 2);
  assert.equal((await cli(['frobnicate'])).code, 2);
  assert.equal((await cli(['tenant', 'list'], { ADMIN_TOKEN: undefined })).code, 2);
  assert.equal((await cli(['tenant', 'create', 'bad id!'])).code, 1);
  const wrong = await cli(['tenant', 'list'], { ADMIN_TOKEN: 'wrong-token-0123456789abcdef' });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /401/);
  assert.ok(!wrong.stderr.includes('wrong-token-0123456789abcdef'));
  assert.equal((await cli(['tenant', 'rotate-key', 'nobody-here'])).code, 1);
  assert.equal((await cli(['reconcile', '--from', 'yesterday'])).code, 2);
  const down = await cli(['tenant', 'list'], { PILOT_URL: 'http://127.0.0.1:9' });
  assert.equal(down.code, 3);
  assert.ok(!down.stderr.includes(ADMIN_TOKEN));
});

test('pilot reconcile runs through the service and exits 0 without drift', async () => {
  const r = await cli(['reconcile', '--lag-sec', '0']);
  // Nothing is enriched here (the worker is off): fresh events are drift, so exit 1 with the figures.
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.match(r.stdout, /reconcile (ok|drift): drift \d+\.\d\d %/);
  while ((await app.pilot.enrichment.runOnce()).processed > 0) {}
  const ok = await cli(['reconcile', '--lag-sec', '0']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /reconcile ok: drift 0\.00 %/);
});
