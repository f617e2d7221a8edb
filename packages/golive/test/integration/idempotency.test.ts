/**
 * The `idempotency` kind against real servers on port 0: a correct store passes; one record per request, a
 * check-then-insert race that only shows under concurrency, a body change accepted under the same key, a
 * missing key accepted, and hidden duplicate effects each fail on the probe that caught them.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { idempotencyCheck, mismatchBody, overlapped } from '../../src/checks/idempotency.ts';
import type { HttpExchange } from '../../src/http/client.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';
import { codes, failed, makeContext, runCheck, runKind } from '../helpers/context.ts';

interface Flaws {
  noDedup?: boolean;
  checkThenInsert?: boolean;
  ignoreBody?: boolean;
  hiddenDuplicates?: boolean;
  keyOptional?: boolean;
  secret?: string;
}

/** An event store with Idempotency-Key semantics; each flag plants one defect. */
function store(flaws: Flaws = {}) {
  const byKey = new Map<string, { body: string; id: string; status: number } | 'in-flight'>();
  let count = 0;
  let n = 0;
  const seenSignatures = new Set<string>();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  // startServer reads the body first and hands it over.
  return (req: IncomingMessage, res: ServerResponse, body: string) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/v1/events') return json(res, 200, { count });
      if (req.method !== 'POST' || req.url !== '/v1/events') return json(res, 404, { error: 'not found' });
      if (flaws.secret) {
        const sig = String(req.headers['x-sig'] ?? '');
        const t = /t=(\d+)/.exec(sig)?.[1] ?? '';
        const want = createHmac('sha256', flaws.secret).update(`${t}.${req.headers['idempotency-key'] ?? ''}.${body}`).digest('hex');
        if (!sig.endsWith(`v1=${want}`) || seenSignatures.has(sig)) return json(res, 401, { error: 'bad or replayed signature' });
        seenSignatures.add(sig);
      }
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string') {
        if (!flaws.keyOptional) return json(res, 400, { error: 'idempotency key required' });
        count++;
        return json(res, 201, { id: `e${++n}` });
      }
      if (flaws.noDedup) {
        count++;
        return json(res, 201, { id: `e${++n}` });
      }
      if (flaws.checkThenInsert) {
        const prior = byKey.get(key);
        if (prior && prior !== 'in-flight') return json(res, prior.status, { id: prior.id, replayed: true });
        await sleep(30); // the gap between the check and the insert
        const id = `e${++n}`;
        count++;
        byKey.set(key, { body, id, status: 201 });
        return json(res, 201, { id });
      }
      const prior = byKey.get(key);
      if (prior === 'in-flight') return json(res, 409, { error: 'idempotency_in_flight' });
      if (prior) {
        if (prior.body !== body && !flaws.ignoreBody) return json(res, 422, { error: 'idempotency_key_reused' });
        return json(res, prior.status, { id: prior.id, replayed: true });
      }
      byKey.set(key, 'in-flight');
      await sleep(40);
      const id = `e${++n}`;
      count += flaws.hiddenDuplicates ? 2 : 1;
      byKey.set(key, { body, id, status: 201 });
      return json(res, 201, { id });
    })();
  };
}

const servers: TestServer[] = [];
async function serve(flaws?: Flaws): Promise<string> {
  const s = await startServer(store(flaws));
  servers.push(s);
  return s.url;
}
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const probe = { createdStatus: [200, 201], requireKey: true };

describe('idempotency against real servers', () => {
  it('a correct store passes every probe, with the effect read back as a count', async () => {
    const url = await serve();
    const out = await runKind(idempotencyCheck, url, { ...probe, effect: { type: 'count', path: '/v1/events' } });
    assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
    const d = out.data as { countBefore: number; countAfter: number; expectedEffects: number; raceExercised: boolean; keyMarker: string };
    assert.deepEqual([d.countAfter - d.countBefore, d.expectedEffects, d.raceExercised], [2, 2, true]);
    assert.match(d.keyMarker, /^golive-probe-[0-9a-f]{8}$/);
  });

  it('one record per request fails replay and race as duplicate effects', async () => {
    const out = await runKind(idempotencyCheck, await serve({ noDedup: true }), probe);
    assert.deepEqual(codes(out), ['IDEMPOTENCY_DUPLICATE_EFFECT', 'IDEMPOTENCY_DUPLICATE_EFFECT', 'IDEMPOTENCY_BODY_MISMATCH_ACCEPTED']);
  });

  it('a check-then-insert race passes the replay and fails only under concurrency', async () => {
    const out = await runKind(idempotencyCheck, await serve({ checkThenInsert: true }), probe);
    const byName = Object.fromEntries(out.observations.map((o) => [o.name, o]));
    assert.equal(byName.replay?.passed, true);
    assert.equal(byName.race?.passed, false);
    assert.equal(byName.race?.code, 'IDEMPOTENCY_DUPLICATE_EFFECT');
    assert.match(byName.race?.message ?? '', /check-then-insert race/);
  });

  it('a changed body accepted under the same key fails the mismatch probe', async () => {
    const out = await runKind(idempotencyCheck, await serve({ ignoreBody: true }), probe);
    assert.deepEqual(codes(out), ['IDEMPOTENCY_BODY_MISMATCH_ACCEPTED']);
  });

  it('a missing key accepted fails when keys are required', async () => {
    const out = await runKind(idempotencyCheck, await serve({ keyOptional: true }), probe);
    assert.deepEqual(codes(out), ['IDEMPOTENCY_KEY_NOT_REQUIRED']);
  });

  it('duplicates hidden behind one id show in the count read back', async () => {
    const out = await runKind(idempotencyCheck, await serve({ hiddenDuplicates: true }), { ...probe, effect: { type: 'count', path: '/v1/events' } });
    assert.deepEqual(codes(out), ['IDEMPOTENCY_DUPLICATE_EFFECT']);
    assert.match(out.observations.find((o) => o.name === 'effects')?.message ?? '', /rose by 4 for 2 accepted key/);
  });

  it('signed requests each get their own timestamp, so a service refusing replayed signatures still passes', async () => {
    const secret = 'idem-secret-0123456789';
    const url = await serve({ secret });
    const t = await makeContext({ baseUrl: url, env: { IDEM_SECRET: secret } });
    try {
      const out = await runCheck(idempotencyCheck, t.ctx, {
        ...probe,
        sign: { secretEnv: 'IDEM_SECRET', header: 'X-Sig', payload: '{{timestamp}}.{{header:Idempotency-Key}}.{{body}}', value: 't={{timestamp}},v1={{signature}}' },
      });
      assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
    } finally {
      await t.close();
    }
  });

  it('an unreachable service fails in bounded time, every probe named', async () => {
    const out = await runKind(idempotencyCheck, 'http://127.0.0.1:9', { ...probe, timeoutMs: 1000 });
    assert.ok(failed(out));
    assert.ok(codes(out).includes('IDEMPOTENCY_NOT_ACCEPTED'));
  });
});

describe('idempotency helpers', () => {
  const ex = (status: number) => ({ ok: true, status }) as unknown as HttpExchange;
  it('the race counts as exercised only when two decided requests were in flight together', () => {
    const decided = (e: HttpExchange) => e.ok && (e.status === 201 || e.status === 409);
    assert.equal(overlapped([{ ex: ex(201), startMs: 0, endMs: 10 }, { ex: ex(409), startMs: 5, endMs: 12 }], decided), true);
    assert.equal(overlapped([{ ex: ex(201), startMs: 0, endMs: 10 }, { ex: ex(201), startMs: 11, endMs: 20 }], decided), false);
    assert.equal(overlapped([{ ex: ex(201), startMs: 0, endMs: 10 }, { ex: ex(401), startMs: 1, endMs: 12 }], decided), false);
  });
  it('the mismatch body differs from the body', () => {
    assert.equal(mismatchBody({ body: '{"a":"{{key}}"}', mismatchBody: undefined }, 'k'), '{"a":"k","golive_variant":1}');
    assert.equal(mismatchBody({ body: '{"v":{{variant}}}', mismatchBody: undefined }, 'k'), '{"v":1}');
    assert.equal(mismatchBody({ body: 'x', mismatchBody: 'y-{{key}}' }, 'k'), 'y-k');
  });
});
