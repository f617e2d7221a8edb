import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { CheckError } from '../../src/core/errors.ts';
import { Redactor } from '../../src/core/redact.ts';
import { buildPlan, resolveEnvPlaceholders, type ScenarioSpec } from '../../src/load/scenario.ts';

const SECRET = 'whsec_test_load_scenario_secret';

function spec(over: Partial<ScenarioSpec> = {}): ScenarioSpec {
  return {
    request: { method: 'POST', path: '/v1/events?x=1', body: '{"key":"{{key}}","tenant":"{{tenant}}","n":"{{random:8}}"}' },
    keys: { total: 1000, unique: 200 },
    tenants: ['t1', 't2'],
    seed: 7,
    runId: 'run1',
    nowSec: 1_800_000_000,
    ...over,
  };
}

describe('key pool', () => {
  test('each key is sent total/unique times, with the identical body, in a shuffled order', async () => {
    const plan = await buildPlan(spec());
    assert.equal(plan.size, 1000);
    assert.equal(plan.unique, 200);
    const perKey = new Map<string, string[]>();
    for (let i = 0; i < plan.size; i++) {
      const r = plan.get(i);
      const key = r.headers['idempotency-key'] ?? '';
      const bodies = perKey.get(key) ?? [];
      bodies.push(r.body?.toString() ?? '');
      perKey.set(key, bodies);
    }
    assert.equal(perKey.size, 200);
    for (const [key, bodies] of perKey) {
      assert.equal(bodies.length, 5, key);
      assert.equal(new Set(bodies).size, 1, `one body per key: ${key}`);
      assert.match(bodies[0] ?? '', new RegExp(`"key":"${key}"`));
    }
    // Shuffled: the first 10 requests are not keys 0..9 in order.
    const first = Array.from({ length: 10 }, (_, i) => plan.get(i).keyIndex);
    assert.notDeepEqual(first, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Tenants alternate by key.
    assert.match(plan.get(0).body?.toString() ?? '', /"tenant":"t[12]"/);
  });

  test('the same seed gives the same plan; another seed another order', async () => {
    const a = await buildPlan(spec());
    const b = await buildPlan(spec());
    const c = await buildPlan(spec({ seed: 8 }));
    const order = (p: Awaited<ReturnType<typeof buildPlan>>) => Array.from({ length: 50 }, (_, i) => p.get(i).keyIndex);
    assert.deepEqual(order(a), order(b));
    assert.notDeepEqual(order(a), order(c));
  });

  test('bad pools and unknown variables are option errors', async () => {
    await assert.rejects(buildPlan(spec({ keys: { total: 1000, unique: 300 } })), /multiple of unique/);
    await assert.rejects(buildPlan(spec({ request: { path: '/{{nope}}' } })), (e: unknown) => e instanceof CheckError && /unknown template variable/.test(e.message));
    await assert.rejects(buildPlan(spec({ keys: undefined, request: { path: '/{{key}}' } })), /needs a key pool/);
  });
});

describe('signing', () => {
  test('pilot: every repeat of a key has a distinct, valid X-Signature within ±300 s', async () => {
    const plan = await buildPlan(spec({ sign: { scheme: 'pilot', secret: SECRET } }));
    const sigs = new Set<string>();
    for (let i = 0; i < plan.size; i++) {
      const r = plan.get(i);
      const header = r.headers['x-signature'] ?? '';
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
      assert.ok(m, header);
      const t = Number(m[1]);
      assert.ok(Math.abs(t - 1_800_000_000) < 300);
      // Signed over the path without its query string.
      const expected = createHmac('sha256', SECRET).update(`${t}.POST./v1/events.${r.body?.toString()}`).digest('hex');
      assert.equal(m[2], expected);
      sigs.add(m[2] ?? '');
    }
    assert.equal(sigs.size, 1000, 'no two requests share a signature (pilot refuses exact replays)');
  });

  test('stripe: Stripe-Signature verifies with the official package', async () => {
    const plan = await buildPlan(spec({ sign: { scheme: 'stripe', secret: SECRET } }));
    const r = plan.get(3);
    const header = r.headers['stripe-signature'] ?? '';
    const t = Number(/t=(\d+)/.exec(header)?.[1]);
    const body = r.body?.toString() ?? '';
    // Verify at the signature's own time so the tolerance check is about the scheme, not the clock.
    const event = Stripe.webhooks.constructEvent(body, header, SECRET, 300, undefined, t);
    assert.equal((event as unknown as { key: string }).key, JSON.parse(body).key);
  });

  test('github: X-Hub-Signature-256 is sha256=HMAC(body)', async () => {
    const plan = await buildPlan(spec({ sign: { scheme: 'github', secret: SECRET } }));
    const r = plan.get(0);
    assert.equal(r.headers['x-hub-signature-256'], `sha256=${createHmac('sha256', SECRET).update(r.body ?? '').digest('hex')}`);
  });

  test('too many signed repeats of one body is refused', async () => {
    await assert.rejects(buildPlan(spec({ keys: { total: 1000, unique: 2 }, sign: { scheme: 'pilot', secret: SECRET } })), /at most 240/);
  });

  test('env placeholders: resolved, taught to the redactor; a missing one is GOLIVE_ERR_MISSING_SECRET', () => {
    const redactor = new Redactor();
    assert.equal(resolveEnvPlaceholders('Bearer {{env:API_TOKEN}}', { API_TOKEN: 'tok_abcdef123' }, redactor), 'Bearer tok_abcdef123');
    assert.equal(redactor.redact('x tok_abcdef123 y'), 'x [REDACTED] y');
    assert.throws(
      () => resolveEnvPlaceholders('{{env:NOPE}}', {}, redactor),
      (e: unknown) => e instanceof CheckError && e.code === 'GOLIVE_ERR_MISSING_SECRET' && /NOPE/.test(e.message),
    );
  });
});
