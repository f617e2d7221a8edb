// Signature edge cases: a Stripe-Signature with two timestamps; pilot's v2 binds the Idempotency-Key so a
// captured request refused before storing cannot be replayed under another key; v1 works until its sunset.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { makeApp, STRIPE_SECRET, signedIngest, uniq } from '../helpers.ts';

const now = () => Math.floor(Date.now() / 1000);
let app: FastifyInstance;
before(async () => {
  app = await makeApp({ RATE_LIMIT_MAX: '100000' });
});
after(async () => {
  await app?.close();
});

test('Stripe-Signature with two t=: refused, even when the last one signs (a future timestamp past the check)', async () => {
  const payload = JSON.stringify({ id: `evt_${uniq()}`, object: 'event', type: 'invoice.paid' });
  const future = now() + 3600;
  const v1 = createHmac('sha256', STRIPE_SECRET).update(`${future}.${payload}`).digest('hex');
  for (const header of [`t=${now()},t=${future},v1=${v1}`, `t=${now()},v1=${v1},t=${future}`]) {
    const r = await app.inject({
      method: 'POST',
      url: '/api/stripe/webhook',
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
      payload,
    });
    assert.equal(r.statusCode, 400, `${header.replace(/v1=\w+/, 'v1=…')}: ${r.body}`);
    assert.equal(r.json().error, 'stripe_signature_malformed');
  }
});

describe('ingest signature v2', () => {
  test('a v2-signed request is accepted; the same capture under another key is refused (401), nothing stored', async () => {
    const key = uniq();
    const captured = signedIngest({ body: { v: 2 }, key });
    assert.match(captured.headers['x-signature']!, /^t=\d+,v2=[0-9a-f]{64}$/);
    // Replayed under another key before the original was stored (e.g. the original got 429 or 503).
    const other = await app.inject({ ...captured, headers: { ...captured.headers, 'idempotency-key': `${key}-x` } });
    assert.equal(other.statusCode, 401, other.body);
    assert.equal(other.json().error, 'signature_mismatch');
    const ok = await app.inject(captured);
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.headers.sunset, undefined, 'no Sunset header for v2');
  });

  test('v1 still works until SIGNATURE_V1_SUNSET and says when it stops (Sunset header)', async () => {
    const r = await app.inject(signedIngest({ body: { v: 1 }, key: uniq(), version: 'v1' }));
    assert.equal(r.statusCode, 201, r.body);
    assert.match(String(r.headers.sunset), /^\w{3}, \d{2} \w{3} \d{4} 00:00:00 GMT$/);
    const m = await app.inject({ method: 'GET', url: '/metrics' });
    assert.match(m.body, /pilot_signatures_accepted_total\{version="v1"\} [1-9]/);
    assert.match(m.body, /pilot_signatures_accepted_total\{version="v2"\} [1-9]/);
  });

  test('after the sunset a v1-only signature is refused (401 signature_v1_retired); v2 is not', async () => {
    const retired = await makeApp({ SIGNATURE_V1_SUNSET: '2020-01-01' });
    try {
      const v1 = await retired.inject(signedIngest({ body: { v: 1 }, key: uniq(), version: 'v1' }));
      assert.equal(v1.statusCode, 401, v1.body);
      assert.equal(v1.json().error, 'signature_v1_retired');
      const v2 = await retired.inject(signedIngest({ body: { v: 2 }, key: uniq() }));
      assert.equal(v2.statusCode, 201, v2.body);
    } finally {
      await retired.close();
    }
  });
});
