import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { codes, failed, makeContext, runCheck } from '../helpers/context.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';
import { loadCheck } from '../../src/checks/load.ts';
import { CheckError } from '../../src/core/errors.ts';

const SECRET = 'pilot-signing-secret-for-load-tests';
const API_KEY = 'pk_load_test_api_key_0123456789';

/**
 * A small ingest service. `racy`: check-then-act with an await in between, so concurrent first requests for
 * one key both create (the bug a dedup load test must catch). Otherwise the key is claimed before the
 * await: a concurrent duplicate gets 409, a later one the stored reply with Idempotent-Replayed: true.
 * Signatures are verified as pilot does; a reused signature is refused.
 */
function ingestServer(racy: boolean): Promise<TestServer & { created: () => number }> {
  const store = new Map<string, 'in-flight' | string>();
  const usedSignatures = new Set<string>();
  let created = 0;
  return startServer(async (req, res, body) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/events') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ count: created, events: [] }));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      res.end(`# TYPE events_created_total counter\nevents_created_total{tenant="t1"} ${created}\nevents_created_total{tenant="t2"} 7\n`);
      return;
    }
    if (req.method !== 'POST') return void res.end('ok');
    if (req.headers.authorization !== `Bearer ${API_KEY}`) {
      res.statusCode = 401;
      return void res.end('{"error":"unauthorized"}');
    }
    const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['x-signature'] ?? ''));
    const expected = sig ? createHmac('sha256', SECRET).update(`${sig[1]}.POST.${url.pathname}.${body}`).digest('hex') : '';
    if (!sig || sig[2] !== expected || usedSignatures.has(expected)) {
      res.statusCode = 401;
      return void res.end('{"error":"signature"}');
    }
    usedSignatures.add(expected);
    const key = String(req.headers['idempotency-key']);
    const seen = store.get(key);
    if (seen === 'in-flight') {
      res.statusCode = 409;
      return void res.end('{"error":"in flight"}');
    }
    if (seen !== undefined) {
      res.statusCode = 201;
      res.setHeader('idempotent-replayed', 'true');
      return void res.end(seen);
    }
    if (!racy) store.set(key, 'in-flight');
    await sleep(3);
    created++;
    const reply = JSON.stringify({ id: created });
    store.set(key, reply);
    res.statusCode = 201;
    res.end(reply);
  }) as Promise<TestServer & { created: () => number }>;
}

const env = { PILOT_API_KEY: API_KEY, PILOT_SIGNING_SECRET: SECRET };
const dedupOptions = {
  request: {
    method: 'POST',
    path: '/events',
    headers: { authorization: 'Bearer {{env:PILOT_API_KEY}}' },
    body: { type: 'load', key: '{{key}}', tenant: '{{tenant}}' },
  },
  total: 400,
  keys: { unique: 80 },
  tenants: ['t1'],
  concurrency: 20,
  sign: {
    secretEnv: 'PILOT_SIGNING_SECRET',
    header: 'X-Signature',
    payload: '{{timestamp}}.{{method}}.{{path}}.{{body}}',
    value: 't={{timestamp}},v1={{signature}}',
    uniqueSignatures: true,
  },
  verify: { type: 'json', path: '/events', jsonPath: 'count' },
  thresholds: ['p95 < 5000', 'error_rate < 0.01', 'dedup == exact'],
  warmup: { path: '/' },
};

describe('dedup verification', () => {
  let good: TestServer;
  let racy: TestServer;
  before(async () => {
    good = await ingestServer(false);
    racy = await ingestServer(true);
  });
  after(async () => {
    await good.close();
    await racy.close();
  });

  test('a correct service: created == unique, replies classified, the secret never in the artifact', async () => {
    const t = await makeContext({ baseUrl: good.url, env });
    try {
      const out = await runCheck(loadCheck, t.ctx, dedupOptions);
      assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed)));
      const data = out.data as { replies: { created: number; replayed: number; conflict: number; other: number }; dedup: { created: number; exact: boolean } };
      assert.equal(data.replies.created, 80);
      assert.equal(data.replies.replayed + data.replies.conflict, 320);
      assert.equal(data.replies.other, 0, 'every signature was accepted (distinct timestamps per repeat)');
      assert.equal(data.dedup.created, 80);
      assert.equal(data.dedup.exact, true);
      assert.equal(out.metrics?.created, 80);
      assert.deepEqual(t.written, ['load/test-check.json']);
      const file = await readFile(join(t.dir, 'load/test-check.json'), 'utf8');
      assert.ok(!file.includes(SECRET) && !file.includes(API_KEY), 'no secret in the result file');
      assert.equal(JSON.parse(file).format, 'golive-load-result');
    } finally {
      await t.close();
    }
  });

  test('a service that double-creates under concurrency fails with the counts as evidence', async () => {
    const t = await makeContext({ baseUrl: racy.url, env });
    try {
      const out = await runCheck(loadCheck, t.ctx, dedupOptions);
      assert.equal(failed(out), true);
      assert.ok(codes(out).includes('LOAD_DEDUP_MISMATCH'), codes(out).join());
      const obs = out.observations.find((o) => o.name === 'dedup');
      assert.match(obs?.message ?? '', /^(\d+) records created for 80 unique keys over 400 requests \(read back via GET \/events → count\)/);
      const created = Number(/^(\d+)/.exec(obs?.message ?? '')?.[1]);
      assert.ok(created > 80, `created ${created}`);
    } finally {
      await t.close();
    }
  });

  test('a /metrics counter read before and after works too', async () => {
    const t = await makeContext({ baseUrl: good.url, env });
    try {
      const out = await runCheck(loadCheck, t.ctx, {
        ...dedupOptions,
        verify: { type: 'metric', metric: 'events_created_total', labels: { tenant: 't1' } },
      });
      assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed)));
      const data = out.data as { dedup: { created: number; before: number; source: string } };
      assert.equal(data.dedup.created, 80);
      assert.ok(data.dedup.before >= 80, 'the counter already held the first run');
      assert.match(data.dedup.source, /events_created_total\{tenant="t1"\}/);
    } finally {
      await t.close();
    }
  });
});

describe('load check rules', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer((_req, res) => res.end('ok'));
  });
  after(() => srv.close());

  test('too few samples is an error, never a pass', async () => {
    const t = await makeContext({ baseUrl: srv.url });
    try {
      await assert.rejects(
        runCheck(loadCheck, t.ctx, { total: 20, concurrency: 2, minSamples: 100, thresholds: ['p95 < 1000'] }),
        (e: unknown) => e instanceof CheckError && e.code === 'GOLIVE_ERR_INSUFFICIENT_SAMPLES' && /20 responses/.test(e.message),
      );
    } finally {
      await t.close();
    }
  });

  test('a missing signing secret is GOLIVE_ERR_MISSING_SECRET naming the variable', async () => {
    const t = await makeContext({ baseUrl: srv.url, env: {} });
    try {
      await assert.rejects(
        runCheck(loadCheck, t.ctx, { total: 100, sign: { header: 'X-Hub-Signature-256', payload: '{{body}}', value: 'sha256={{signature}}', secretEnv: 'GH_HOOK_SECRET' }, request: { method: 'POST', body: 'x{{seq}}' } }),
        (e: unknown) => e instanceof CheckError && e.code === 'GOLIVE_ERR_MISSING_SECRET' && /GH_HOOK_SECRET/.test(e.message),
      );
    } finally {
      await t.close();
    }
  });

  test('a threshold that does not hold fails the check with evidence', async () => {
    const t = await makeContext({ baseUrl: srv.url });
    try {
      const out = await runCheck(loadCheck, t.ctx, { total: 200, concurrency: 4, thresholds: ['p95 < 0.001', 'rps > 1'] });
      assert.equal(failed(out), true);
      const p95 = out.observations.find((o) => o.name === 'threshold: p95 < 0.001');
      assert.equal(p95?.passed, false);
      assert.equal(p95?.code, 'LOAD_THRESHOLD');
      assert.match(p95?.message ?? '', /200 responses/);
      assert.equal(out.observations.find((o) => o.name === 'threshold: rps > 1')?.passed, true);
    } finally {
      await t.close();
    }
  });
});
