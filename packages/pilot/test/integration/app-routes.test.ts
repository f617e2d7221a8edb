// Routes through app.inject on embedded PGlite: every bad input its own test, no 5xx anywhere.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import Stripe from 'stripe';
import { signRequest } from '../../src/app.ts';
import { pruneSeenSignatures } from '../../src/services/ingest.ts';
import { ADMIN_TOKEN, makeApp, STRIPE_SECRET, signedIngest, TENANT_A, TENANT_B, uniq } from '../helpers.ts';

let app: FastifyInstance;
const responses: LightMyRequestResponse[] = [];

async function inject(opts: InjectOptions): Promise<LightMyRequestResponse> {
  const r = await app.inject(opts);
  responses.push(r);
  return r;
}

before(async () => {
  app = await makeApp({ RATE_LIMIT_MAX: '100000', BODY_LIMIT_BYTES: '4096' });
});
after(async () => {
  await app?.close();
});

const now = () => Math.floor(Date.now() / 1000);

describe('probes', () => {
  test('/health answers the seeds contract', async () => {
    const r = await inject({ method: 'GET', url: '/health' });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { status: 'ok' });
  });
  test('/healthz, /health/live, /health/ready and /health/startup answer 200', async () => {
    assert.deepEqual((await inject({ method: 'GET', url: '/healthz' })).json(), { status: 'ok' });
    for (const url of ['/health/live', '/health/ready', '/health/startup']) {
      const r = await inject({ method: 'GET', url });
      assert.equal(r.statusCode, 200, url);
    }
  });
  test('/health/ready answers 503 while shutting down, /health/live stays 200', async () => {
    app.pilot.state.shuttingDown = true;
    try {
      // app.inject directly: this 503 is the expected answer, not one for the no-5xx audit.
      assert.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 503);
      assert.equal((await inject({ method: 'GET', url: '/health/live' })).statusCode, 200);
    } finally {
      app.pilot.state.shuttingDown = false;
    }
  });
  test('/health/detailed is application/health+json with versions, uptime and checks', async () => {
    const r = await inject({ method: 'GET', url: '/health/detailed' });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^application\/health\+json/);
    const body = r.json();
    assert.equal(body.status, 'pass');
    assert.equal(body.versions.node, process.version);
    assert.match(body.versions.database, /^\d+/);
    assert.ok(Array.isArray(body.checks['database:responseTime']));
    assert.equal(body.checks['database:migrations'][0].observedValue, 0);
    assert.equal(typeof body.checks.uptime[0].observedValue, 'number');
  });
});

describe('security headers and request ids', () => {
  const assertHardened = (r: LightMyRequestResponse, what: string) => {
    const csp = String(r.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/, what);
    assert.match(csp, /object-src 'none'/, what);
    assert.match(csp, /frame-ancestors 'none'/, what);
    assert.match(csp, /base-uri/, what);
    assert.equal(r.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', what);
    assert.equal(r.headers.server, undefined, what);
    assert.equal(r.headers['x-powered-by'], undefined, what);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
  };
  test('on 200 (root)', async () => {
    const r = await inject({ method: 'GET', url: '/' });
    assert.equal(r.statusCode, 200);
    assertHardened(r, '200');
  });
  test('on 404', async () => {
    const r = await inject({ method: 'GET', url: '/no/such/route' });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error, 'not_found');
    assertHardened(r, '404');
  });
  test('on 413', async () => {
    const r = await inject(signedIngest({ body: { big: 'x'.repeat(5000) }, key: uniq() }));
    assert.equal(r.statusCode, 413);
    assert.equal(r.json().error, 'body_too_large');
    assertHardened(r, '413');
  });
  test('a valid X-Request-Id is echoed', async () => {
    const r = await inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'req-12345678' } });
    assert.equal(r.headers['x-request-id'], 'req-12345678');
  });
  test('a malformed X-Request-Id is replaced, not reflected', async () => {
    const bad = 'abc<script>alert(1)</script>';
    const r = await inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': bad } });
    assert.notEqual(r.headers['x-request-id'], bad);
    assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
  test('an oversized X-Request-Id is replaced', async () => {
    const big = 'a'.repeat(500);
    const r = await inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': big } });
    assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
  test('a missing X-Request-Id is generated', async () => {
    const r = await inject({ method: 'GET', url: '/health/live' });
    assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});

describe('ingest: body and content type', () => {
  test('malformed JSON → 400', async () => {
    const r = await inject(signedIngest({ body: '{"a":', key: uniq() }));
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'body_invalid_json');
  });
  test('empty JSON body → 400', async () => {
    const r = await inject(signedIngest({ body: '', key: uniq() }));
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'body_empty');
  });
  test('JSON that is not an object → 400', async () => {
    const r = await inject(signedIngest({ body: '[1,2]', key: uniq() }));
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'body_invalid');
  });
  test('wrong content type → 415', async () => {
    const r = await inject(signedIngest({ body: 'a=1', key: uniq(), headers: { 'content-type': 'text/plain' } }));
    assert.equal(r.statusCode, 415);
    assert.equal(r.json().error, 'unsupported_media_type');
  });
  test('form content type → 415', async () => {
    const r = await inject(
      signedIngest({ body: 'a=1', key: uniq(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    );
    assert.equal(r.statusCode, 415);
  });
  test('__proto__ payload → 400', async () => {
    const r = await inject(signedIngest({ body: '{"__proto__":{"admin":true}}', key: uniq() }));
    assert.equal(r.statusCode, 400);
  });
  test('constructor.prototype payload → 400', async () => {
    const r = await inject(signedIngest({ body: '{"constructor":{"prototype":{"admin":true}}}', key: uniq() }));
    assert.equal(r.statusCode, 400);
  });
});

describe('ingest: authentication and signatures', () => {
  test('no API key → 401', async () => {
    const o = signedIngest({ body: { a: 1 }, key: uniq() });
    const { authorization: _, ...headers } = o.headers;
    const r = await inject({ ...o, headers });
    assert.equal(r.statusCode, 401);
    assert.match(String(r.headers['www-authenticate']), /^Bearer/);
  });
  test('unknown API key → 401', async () => {
    const r = await inject(signedIngest({ body: { a: 1 }, key: uniq(), headers: { authorization: 'Bearer nope-nope-nope' } }));
    assert.equal(r.statusCode, 401);
  });
  test('missing signature → 401', async () => {
    const o = signedIngest({ body: { a: 1 }, key: uniq() });
    const { 'x-signature': _, ...headers } = o.headers;
    const r = await inject({ ...o, headers });
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().error, 'signature_missing');
  });
  test('malformed signature (t=123,v1=) → 401', async () => {
    const r = await inject(signedIngest({ body: { a: 1 }, key: uniq(), headers: { 'x-signature': 't=123,v1=' } }));
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().error, 'signature_malformed');
  });
  test('bad signature (wrong secret) → 401', async () => {
    const r = await inject(signedIngest({ body: { a: 1 }, key: uniq(), secret: 'not-the-secret-0123456789' }));
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().error, 'signature_mismatch');
  });
  test('signature over another body → 401', async () => {
    const o = signedIngest({ body: { a: 1 }, key: uniq() });
    const r = await inject({ ...o, payload: JSON.stringify({ a: 2 }) });
    assert.equal(r.statusCode, 401);
  });
  test('stale signature (301 s old) → 401', async () => {
    const r = await inject(signedIngest({ body: { a: 1 }, key: uniq(), timestamp: now() - 301 }));
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().error, 'signature_stale');
  });
  test('future signature (301 s ahead) → 401', async () => {
    const r = await inject(signedIngest({ body: { a: 1 }, key: uniq(), timestamp: now() + 301 }));
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().error, 'signature_future');
  });
  test('exact replay of a signed request → 401, even with a new idempotency key', async () => {
    const first = signedIngest({ body: { a: 1 }, key: uniq() });
    assert.equal((await inject(first)).statusCode, 201);
    const again = await inject(first);
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().error, 'signature_replayed');
    const otherKey = await inject({ ...first, headers: { ...first.headers, 'idempotency-key': uniq() } });
    assert.equal(otherKey.statusCode, 401);
  });
  test('unknown kid → 401', async () => {
    const r = await inject(signedIngest({ body: { a: 1 }, key: uniq(), kid: 'k9' }));
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().error, 'signature_unknown_key');
  });
  test('rotation: a second active key is accepted by kid and without kid', async () => {
    await app.pilot.db.tx(
      (q) =>
        q.query(
          `INSERT INTO signing_keys (tenant_id, key_id, secret) VALUES ($1, 'k2', 'rotated-secret-0123456789')
           ON CONFLICT DO NOTHING`,
          [TENANT_A.tenantId],
        ),
      { tenantId: TENANT_A.tenantId },
    );
    app.pilot.tenants.invalidate();
    const withKid = await inject(signedIngest({ body: { r: 1 }, key: uniq(), kid: 'k2', secret: 'rotated-secret-0123456789' }));
    assert.equal(withKid.statusCode, 201);
    const noKid = await inject(signedIngest({ body: { r: 2 }, key: uniq(), secret: 'rotated-secret-0123456789' }));
    assert.equal(noKid.statusCode, 201);
    const oldStill = await inject(signedIngest({ body: { r: 3 }, key: uniq(), kid: 'k1' }));
    assert.equal(oldStill.statusCode, 201);
  });
  test('pre-signed repeats with distinct timestamps are all accepted', async () => {
    const t = now();
    for (let i = 0; i < 5; i++) {
      const r = await inject(signedIngest({ body: { same: true }, key: `repeat-${t}-${i}`, timestamp: t - i }));
      assert.equal(r.statusCode, 201, `t-${i}`);
    }
  });
});

describe('ingest: idempotency', () => {
  test('missing Idempotency-Key → 400', async () => {
    const r = await inject(signedIngest({ body: { a: 1 } }));
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'idempotency_key_required');
  });
  test('malformed Idempotency-Key → 400', async () => {
    const r = await inject(signedIngest({ body: { a: 1 }, key: 'has space' }));
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'idempotency_key_invalid');
  });
  test('first request 201 with id and key; a retry returns the stored answer, marked replayed', async () => {
    const key = uniq();
    const signedAt = now();
    const first = await inject(signedIngest({ body: { n: 1, key }, key, timestamp: signedAt }));
    assert.equal(first.statusCode, 201);
    const body = first.json();
    assert.equal(body.idempotencyKey, key);
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    // One second before the first, never its signature again (a second `now()` may have moved on by one).
    const retry = await inject(signedIngest({ body: { n: 1, key }, key, timestamp: signedAt - 1 }));
    assert.equal(retry.statusCode, 201);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal(retry.body, first.body);
  });
  test('same key, other body → 422 and no second row', async () => {
    const key = uniq();
    assert.equal((await inject(signedIngest({ body: { n: 1, key }, key }))).statusCode, 201);
    const r = await inject(signedIngest({ body: { n: 2, key }, key, timestamp: now() - 2 }));
    assert.equal(r.statusCode, 422);
    assert.equal(r.json().error, 'idempotency_key_reused');
    const rows = await app.pilot.db.tx((q) => q.query('SELECT 1 FROM events WHERE idempotency_key = $1', [key]), {
      tenantId: TENANT_A.tenantId,
    });
    assert.equal(rows.rowCount, 1);
  });
  test('the same key in two tenants makes two events', async () => {
    const key = uniq();
    assert.equal((await inject(signedIngest({ body: { n: 1, key }, key }))).statusCode, 201);
    const b = await inject(signedIngest({ body: { n: 1, key }, key, tenant: TENANT_B }));
    assert.equal(b.statusCode, 201);
    assert.equal(b.headers['idempotent-replayed'], undefined);
  });
  test('N concurrent identical requests make exactly one row (serialised on PGlite)', async () => {
    const key = uniq();
    const t = now();
    const rs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => inject(signedIngest({ body: { c: 1, key }, key, timestamp: t - i }))),
    );
    assert.deepEqual(
      rs.map((r) => r.statusCode),
      Array(10).fill(201),
    );
    assert.equal(rs.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 9);
    const rows = await app.pilot.db.tx((q) => q.query('SELECT 1 FROM events WHERE idempotency_key = $1', [key]), {
      tenantId: TENANT_A.tenantId,
    });
    assert.equal(rows.rowCount, 1);
  });
});

describe('tenancy', () => {
  test('GET /v1/events lists and counts only the tenant own events', async () => {
    const b = await inject({ method: 'GET', url: '/v1/events?limit=5', headers: { authorization: `Bearer ${TENANT_B.apiKey}` } });
    assert.equal(b.statusCode, 200);
    const body = b.json();
    assert.equal(typeof body.count, 'number');
    assert.ok(body.count >= 1);
    assert.ok(body.events.length <= 5);
    const a = await inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${TENANT_A.apiKey}` } });
    const direct = await app.pilot.db.tx((q) => q.query<{ n: number }>('SELECT count(*)::int AS n FROM events'), {
      tenantId: TENANT_A.tenantId,
    });
    assert.equal(a.json().count, direct.rows[0]?.n);
    assert.notEqual(a.json().count, body.count);
  });
  test('bad limit → 400', async () => {
    const r = await inject({ method: 'GET', url: '/v1/events?limit=0', headers: { authorization: `Bearer ${TENANT_A.apiKey}` } });
    assert.equal(r.statusCode, 400);
  });
  test('another tenant event by id → 404, and deleting it changes 0 rows', async () => {
    const created = await inject(signedIngest({ body: { secret: 'of A', n: uniq() }, key: uniq() }));
    const id = created.json().id as string;
    const own = await inject({ method: 'GET', url: `/v1/events/${id}`, headers: { authorization: `Bearer ${TENANT_A.apiKey}` } });
    assert.equal(own.statusCode, 200);
    assert.equal(own.json().payload.secret, 'of A');
    const other = await inject({ method: 'GET', url: `/v1/events/${id}`, headers: { authorization: `Bearer ${TENANT_B.apiKey}` } });
    assert.equal(other.statusCode, 404);
    const del = await inject({ method: 'DELETE', url: `/v1/events/${id}`, headers: { authorization: `Bearer ${TENANT_B.apiKey}` } });
    assert.equal(del.statusCode, 404);
    const still = await inject({ method: 'GET', url: `/v1/events/${id}`, headers: { authorization: `Bearer ${TENANT_A.apiKey}` } });
    assert.equal(still.statusCode, 200);
  });
  test('no tenant context → 0 rows, and writes are refused by the policy', async () => {
    const r = await app.pilot.db.query('SELECT * FROM events');
    assert.equal(r.rowCount, 0);
    const inTx = await app.pilot.db.tx((q) => q.query('UPDATE events SET payload = $1::jsonb', ['{}']));
    assert.equal(inTx.rowCount, 0);
    await assert.rejects(
      app.pilot.db.tx((q) =>
        q.query(`INSERT INTO events (id, tenant_id, idempotency_key, payload) VALUES (gen_random_uuid(), $1, 'x', '{}')`, [
          TENANT_A.tenantId,
        ]),
      ),
      /row-level security/,
    );
  });
  test('old seen signatures are pruned, tenant by tenant', async () => {
    await app.pilot.db.tx(
      (q) =>
        q.query(`INSERT INTO seen_signatures (tenant_id, signature, seen_at) VALUES ($1, $2, now() - interval '1 hour')`, [
          TENANT_B.tenantId,
          'f'.repeat(64),
        ]),
      { tenantId: TENANT_B.tenantId },
    );
    const removed = await pruneSeenSignatures(app.pilot.db, 600);
    assert.ok(removed >= 1);
    const left = await app.pilot.db.tx((q) => q.query('SELECT 1 FROM seen_signatures WHERE signature = $1', ['f'.repeat(64)]), {
      tenantId: TENANT_B.tenantId,
    });
    assert.equal(left.rowCount, 0);
    const recent = await app.pilot.db.tx((q) => q.query('SELECT 1 FROM seen_signatures'), { tenantId: TENANT_A.tenantId });
    assert.ok(recent.rowCount > 0, 'recent signatures are kept');
  });
  test('a tenant cannot write rows for another tenant', async () => {
    await assert.rejects(
      app.pilot.db.tx(
        (q) =>
          q.query(`INSERT INTO events (id, tenant_id, idempotency_key, payload) VALUES (gen_random_uuid(), $1, 'x', '{}')`, [
            TENANT_B.tenantId,
          ]),
        { tenantId: TENANT_A.tenantId },
      ),
      /row-level security/,
    );
  });
});

describe('stripe webhook', () => {
  const event = JSON.stringify({ id: `evt_${uniq()}`, object: 'event', type: 'invoice.paid', data: { object: {} } });
  const post = (headers: Record<string, string>, payload = event) =>
    inject({ method: 'POST', url: '/api/stripe/webhook', headers: { 'content-type': 'application/json', ...headers }, payload });
  const sign = (payload: string, timestamp = now(), secret = STRIPE_SECRET) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

  test('valid signature → 200 and stored; a redelivery is a duplicate', async () => {
    const r = await post({ 'stripe-signature': sign(event) });
    assert.equal(r.statusCode, 200);
    assert.deepEqual(r.json(), { received: true, duplicate: false });
    const again = await post({ 'stripe-signature': sign(event) });
    assert.deepEqual(again.json(), { received: true, duplicate: true });
  });
  test('missing signature (the seeds smoke: body {}) → 400', async () => {
    const r = await post({}, '{}');
    assert.equal(r.statusCode, 400);
  });
  test('malformed signature t=123,v1= → 400', async () => {
    assert.equal((await post({ 'stripe-signature': 't=123,v1=' })).statusCode, 400);
  });
  test('garbage signature → 400', async () => {
    assert.equal((await post({ 'stripe-signature': 'hello' })).statusCode, 400);
  });
  test('wrong secret → 400', async () => {
    assert.equal((await post({ 'stripe-signature': sign(event, now(), 'whsec_other') })).statusCode, 400);
  });
  test('stale (301 s) → 400', async () => {
    const r = await post({ 'stripe-signature': sign(event, now() - 301) });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'stripe_signature_stale');
  });
  test('future (301 s) → 400', async () => {
    const r = await post({ 'stripe-signature': sign(event, now() + 301) });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error, 'stripe_signature_future');
  });
  test('signed event without id → 400', async () => {
    const p = JSON.stringify({ type: 'x' });
    assert.equal((await post({ 'stripe-signature': sign(p) }, p)).statusCode, 400);
  });
});

describe('csrf, notify, flags, metrics', () => {
  for (const url of ['/api/auth/csrf', '/api/security/csrf']) {
    test(`${url} issues a token and a cookie`, async () => {
      const r = await inject({ method: 'GET', url });
      assert.equal(r.statusCode, 200);
      const token = r.json().csrfToken as string;
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      const cookie = String(r.headers['set-cookie']);
      assert.match(cookie, new RegExp(`csrf_token=${token}`));
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
    });
  }
  test('mock notify stores messages readable at the outbox', async () => {
    const subject = `hello ${uniq()}`;
    const sent = await inject({
      method: 'POST',
      url: '/api/notify/send',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { to: 'ops@example.com', subject, text: 'body' },
    });
    assert.equal(sent.statusCode, 202);
    const box = await inject({ method: 'GET', url: '/api/notify/outbox' });
    assert.equal(box.statusCode, 200);
    assert.equal(box.json().mode, 'mock');
    assert.ok(box.json().messages.some((m: { subject: string }) => m.subject === subject));
  });
  test('notify send without admin token → 401', async () => {
    const r = await inject({ method: 'POST', url: '/api/notify/send', payload: { to: 'a@example.com', subject: 's', text: 't' } });
    assert.equal(r.statusCode, 401);
  });
  test('notify send with an invalid body → 400', async () => {
    const r = await inject({
      method: 'POST',
      url: '/api/notify/send',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { to: 'not-an-address', subject: 's', text: 't' },
    });
    assert.equal(r.statusCode, 400);
  });
  test('GET /config serves the flags with max-age=30; an admin change is visible at once', async () => {
    const r = await inject({ method: 'GET', url: '/config' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['cache-control'], 'max-age=30');
    assert.deepEqual(r.json(), { syncEnabled: true, minIntervalSec: 900, retryCap: 3 });
    const patched = await inject({
      method: 'PATCH',
      url: '/admin/config',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { syncEnabled: false },
    });
    assert.equal(patched.statusCode, 200);
    assert.deepEqual((await inject({ method: 'GET', url: '/config' })).json(), {
      syncEnabled: false,
      minIntervalSec: 900,
      retryCap: 3,
    });
    await inject({ method: 'PATCH', url: '/admin/config', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { syncEnabled: true } });
  });
  test('flag change without admin token → 401', async () => {
    const r = await inject({ method: 'PATCH', url: '/admin/config', headers: { authorization: 'Bearer wrong' }, payload: { retryCap: 1 } });
    assert.equal(r.statusCode, 401);
  });
  test('flag change with an invalid value → 400', async () => {
    const r = await inject({
      method: 'PATCH',
      url: '/admin/config',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { retryCap: -1 },
    });
    assert.equal(r.statusCode, 400);
  });
  test('flag change with an unknown flag → 400', async () => {
    const r = await inject({
      method: 'PATCH',
      url: '/admin/config',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { other: 1 },
    });
    assert.equal(r.statusCode, 400);
  });
  test('/metrics has process, HTTP (by route template) and domain metrics', async () => {
    const ev = await inject(signedIngest({ body: { m: uniq() }, key: uniq() }));
    await inject({ method: 'GET', url: `/v1/events/${ev.json().id}`, headers: { authorization: `Bearer ${TENANT_A.apiKey}` } });
    const r = await inject({ method: 'GET', url: '/metrics' });
    assert.equal(r.statusCode, 200);
    const text = r.body;
    assert.match(text, /process_cpu_user_seconds_total/);
    assert.match(text, /http_request_duration_seconds_bucket\{[^}]*route="\/v1\/events\/:id"/);
    assert.match(text, /http_requests_total\{[^}]*route="\/v1\/events"/);
    assert.doesNotMatch(text, new RegExp(ev.json().id));
    assert.match(text, /^pilot_events_ingested_total \d+$/m);
    assert.match(text, /pilot_events_deduplicated_total/);
    assert.match(text, /pilot_signatures_rejected_total\{reason="stale"\}/);
    assert.match(text, /pilot_webhooks_received_total\{provider="stripe"/);
  });
  test('a signed request for another path does not verify for /v1/events', async () => {
    const raw = JSON.stringify({ a: 1 });
    const sig = signRequest({ secret: TENANT_A.secret, method: 'POST', path: '/v1/other', body: raw });
    const r = await inject(signedIngest({ body: raw, key: uniq(), headers: { 'x-signature': sig } }));
    assert.equal(r.statusCode, 401);
  });
});

test('no response of this file was a 5xx', () => {
  assert.ok(responses.length > 50);
  const bad = responses.filter((r) => r.statusCode >= 500);
  assert.deepEqual(
    bad.map((r) => `${r.statusCode} ${r.body}`),
    [],
  );
});
