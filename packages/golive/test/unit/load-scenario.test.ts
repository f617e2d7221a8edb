import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import Stripe from 'stripe';
import { CheckError } from '../../src/core/errors.ts';
import { Redactor } from '../../src/core/redact.ts';
import { buildPlan, resolveEnvPlaceholders, type ScenarioSpec } from '../../src/load/scenario.ts';
import { createSigner, type SignTemplate, signTemplateProblems } from '../../src/load/signing.ts';
import { parseSignatureHeader, type SigningKey, verifySignature } from '../../../pilot/src/lib/signature.ts';

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

// Recipes of docs/load.md#signing, written as a user would.
const PILOT_V2: SignTemplate = {
  header: 'X-Signature',
  payload: '{{timestamp}}.{{method}}.{{path}}.{{header:Idempotency-Key}}.{{body}}',
  value: 't={{timestamp}},v2={{signature}}',
  uniqueSignatures: true,
};
const STRIPE: SignTemplate = { header: 'Stripe-Signature', payload: '{{timestamp}}.{{body}}', value: 't={{timestamp}},v1={{signature}}', uniqueSignatures: true };
const GITHUB: SignTemplate = { header: 'X-Hub-Signature-256', payload: '{{body}}', value: 'sha256={{signature}}' };

describe('signing', () => {
  test("pilot's scheme as a template: every repeat of a key distinct, and accepted by pilot's own verifier", async () => {
    const plan = await buildPlan(spec({ sign: { ...PILOT_V2, secret: SECRET } }));
    const keys: SigningKey[] = [{ keyId: 'k1', secret: SECRET }];
    const sigs = new Set<string>();
    for (let i = 0; i < plan.size; i++) {
      const r = plan.get(i);
      const parsed = parseSignatureHeader(r.headers['x-signature']);
      assert.equal(typeof parsed, 'object', `parsed: ${String(parsed)}`);
      if (typeof parsed !== 'object') return;
      assert.ok(Math.abs(parsed.timestamp - 1_800_000_000) < 300);
      // Signed over the path without its query string, as pilot's route verifies it.
      const verdict = verifySignature(parsed, keys, { method: r.method, path: '/v1/events', rawBody: r.body ?? Buffer.alloc(0), idempotencyKey: r.headers['idempotency-key'] }, { nowSec: 1_800_000_000 });
      assert.ok(verdict.ok && verdict.keyId === 'k1' && verdict.version === 'v2', JSON.stringify(verdict));
      sigs.add(parsed.v2 ?? '');
    }
    assert.equal(sigs.size, 1000, 'no two requests share a signature (pilot refuses exact replays)');
    // The verifier is not a rubber stamp: another secret, or another body, is a mismatch.
    const r = plan.get(0);
    const parsed = parseSignatureHeader(r.headers['x-signature']);
    if (typeof parsed !== 'object') throw new Error('unparsed');
    const key = r.headers['idempotency-key'];
    assert.deepEqual(verifySignature(parsed, [{ keyId: 'k1', secret: 'other' }], { method: 'POST', path: '/v1/events', rawBody: r.body ?? Buffer.alloc(0), idempotencyKey: key }, { nowSec: 1_800_000_000 }), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifySignature(parsed, keys, { method: 'POST', path: '/v1/events', rawBody: Buffer.from('{}'), idempotencyKey: key }, { nowSec: 1_800_000_000 }), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifySignature(parsed, keys, { method: 'POST', path: '/v1/events', rawBody: r.body ?? Buffer.alloc(0), idempotencyKey: `${key}x` }, { nowSec: 1_800_000_000 }), { ok: false, reason: 'mismatch' });
  });

  test('keyId: {{keyId}} in the value selects the key on the receiving side', async () => {
    const plan = await buildPlan(spec({ sign: { ...PILOT_V2, value: 't={{timestamp}},v2={{signature}},kid={{keyId}}', keyId: 'k2', secret: SECRET } }));
    const r = plan.get(0);
    const parsed = parseSignatureHeader(r.headers['x-signature']);
    if (typeof parsed !== 'object') throw new Error(`unparsed: ${parsed}`);
    assert.equal(parsed.keyId, 'k2');
    const keys: SigningKey[] = [
      { keyId: 'k1', secret: 'old-secret' },
      { keyId: 'k2', secret: SECRET },
    ];
    const verdict = verifySignature(parsed, keys, { method: 'POST', path: '/v1/events', rawBody: r.body ?? Buffer.alloc(0), idempotencyKey: r.headers['idempotency-key'] }, { nowSec: 1_800_000_000 });
    assert.ok(verdict.ok && verdict.keyId === 'k2', JSON.stringify(verdict));
  });

  test('stripe template: Stripe-Signature verifies with the official package', async () => {
    const plan = await buildPlan(spec({ sign: { ...STRIPE, secret: SECRET } }));
    const seen = new Set<string>();
    for (const i of [0, 1, 2, 3, 500, 999]) {
      const r = plan.get(i);
      const header = r.headers['stripe-signature'] ?? '';
      assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
      const t = Number(/t=(\d+)/.exec(header)?.[1]);
      const body = r.body?.toString() ?? '';
      // Verify at the signature's own time so the tolerance check is about the scheme, not the clock.
      const event = Stripe.webhooks.constructEvent(body, header, SECRET, 300, undefined, t);
      assert.equal((event as unknown as { key: string }).key, JSON.parse(body).key);
      assert.throws(() => Stripe.webhooks.constructEvent(body, header, 'whsec_other', 300, undefined, t), /signature/i);
      seen.add(header);
    }
    assert.equal(seen.size, 6);
  });

  test('github template: X-Hub-Signature-256 is sha256=HMAC(body), one signature for one body', async () => {
    const plan = await buildPlan(spec({ sign: { ...GITHUB, secret: SECRET } }));
    const r = plan.get(0);
    assert.equal(r.headers['x-hub-signature-256'], `sha256=${createHmac('sha256', SECRET).update(r.body ?? '').digest('hex')}`);
  });

  test('a template with a named header: a v2 string binding the Idempotency-Key', async () => {
    const v2: SignTemplate = {
      header: 'X-Signature',
      payload: '{{timestamp}}.{{method}}.{{path}}.{{header:Idempotency-Key}}.{{body}}',
      value: 't={{timestamp}},v2={{signature}}',
      uniqueSignatures: true,
    };
    const plan = await buildPlan(spec({ sign: { ...v2, secret: SECRET } }));
    for (const i of [0, 7, 999]) {
      const r = plan.get(i);
      const m = /^t=(\d+),v2=([0-9a-f]{64})$/.exec(r.headers['x-signature'] ?? '');
      assert.ok(m, r.headers['x-signature']);
      const key = r.headers['idempotency-key'] ?? '';
      assert.match(key, /^golive-run1-\d+$/);
      const expected = createHmac('sha256', SECRET).update(`${m[1]}.POST./v1/events.${key}.${r.body?.toString()}`).digest('hex');
      assert.equal(m[2], expected);
      // The key is part of what is signed: the same request under another key does not verify.
      const other = createHmac('sha256', SECRET).update(`${m[1]}.POST./v1/events.golive-run1-x.${r.body?.toString()}`).digest('hex');
      assert.notEqual(m[2], other);
    }
  });

  test('algorithm and encoding: sha512 in base64', () => {
    const signer = createSigner({ header: 'X-Sig', payload: '{{method}} {{path}}', algorithm: 'sha512', encoding: 'base64' }, SECRET);
    const v = signer.sign({ method: 'get', path: '/a', body: Buffer.alloc(0), headers: {}, occurrence: 3, nowSec: 1 });
    assert.equal(v, createHmac('sha512', SECRET).update('GET /a').digest('base64'));
  });

  test('template problems are named, field by field', () => {
    const cases: Array<[Partial<SignTemplate>, keyof SignTemplate, RegExp]> = [
      [{ payload: '{{timestamp}}.{{bogus}}' }, 'payload', /unknown variable \{\{bogus\}\}/],
      [{ payload: '{{header:}}' }, 'payload', /needs a header name/],
      [{ payload: '{{body:x}}' }, 'payload', /takes no argument/],
      [{ value: 't={{timestamp}}' }, 'value', /must contain \{\{signature\}\}/],
      [{ value: '{{signature}}{{method}}' }, 'value', /unknown variable \{\{method\}\}/],
      [{ value: '{{signature}},kid={{keyId}}' }, 'keyId', /keyId is not set/],
      [{ payload: '{{body}}', uniqueSignatures: true }, 'uniqueSignatures', /needs \{\{timestamp\}\}/],
      [{ header: 'X Sig' }, 'header', /not a header name/],
    ];
    for (const [over, field, re] of cases) {
      const problems = signTemplateProblems({ ...STRIPE, ...over });
      assert.equal(problems[0]?.field, field, JSON.stringify(over));
      assert.match(problems[0]?.message ?? '', re);
      assert.throws(() => createSigner({ ...STRIPE, ...over }, SECRET), (e: unknown) => e instanceof CheckError && e.code === 'GOLIVE_ERR_CHECK_OPTIONS');
    }
    assert.deepEqual(signTemplateProblems(STRIPE), []);
  });

  test('a signed header the request does not carry is refused before the run', async () => {
    const sign = { header: 'X-Sig', payload: '{{timestamp}}.{{header:X-Tenant}}.{{body}}', secret: SECRET };
    await assert.rejects(buildPlan(spec({ sign })), /header x-tenant, which the request does not carry/);
    const plan = await buildPlan(spec({ sign, request: { method: 'POST', path: '/e', headers: { 'X-Tenant': '{{tenant}}' }, body: '{"k":"{{key}}"}' } }));
    const r = plan.get(0);
    assert.equal(r.headers['x-sig'], createHmac('sha256', SECRET).update(`1800000000.${r.headers['x-tenant']}.${r.body?.toString()}`).digest('hex'));
  });

  test('too many repeats of one request with unique signatures is refused; without them one signature is reused', async () => {
    await assert.rejects(buildPlan(spec({ keys: { total: 1000, unique: 2 }, sign: { ...PILOT_V2, secret: SECRET } })), /at most 240/);
    const plan = await buildPlan(spec({ keys: { total: 1000, unique: 2 }, sign: { ...PILOT_V2, uniqueSignatures: false, secret: SECRET } }));
    const sigs = new Set(Array.from({ length: plan.size }, (_, i) => plan.get(i).headers['x-signature']));
    assert.equal(sigs.size, 2, 'one signature per key, all at the same timestamp');
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
