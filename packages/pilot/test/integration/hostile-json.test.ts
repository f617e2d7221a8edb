// JSON that JavaScript's parser accepts but PostgreSQL's jsonb refuses: a 400 naming the problem, before
// storing, on ingest and on the Stripe webhook, on PGlite and on PostgreSQL; a data error that still gets
// through is a 4xx; rows stored before the depth cap existed do not break reads.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import type { Db } from '../../src/db/index.ts';
import { createTestDatabase, makeApp, STRIPE_SECRET, signedIngest, TENANT_A, type TestDatabase, uniq } from '../helpers.ts';

const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const HOSTILE: Array<[string, string, string]> = [
  ['NUL in a value', '{"a":"\\u0000"}', 'body_nul_character'],
  ['NUL in a key', '{"\\u0000":1}', 'body_nul_character'],
  ['lone surrogate', '{"a":"\\ud800"}', 'body_lone_surrogate'],
  ['byte order mark', '\ufeff{"a":1}', 'body_bom'],
  ['1e999999', '{"a":1e999999}', 'body_number_out_of_range'],
  ['1e-999999', '{"a":1e-999999}', 'body_number_out_of_range'],
  ['20 000 levels', `{"a":${nest(20_000)}}`, 'body_too_deep'],
  ['5 000 levels', `{"a":${nest(5_000)}}`, 'body_too_deep'],
];
const auth = { authorization: `Bearer ${TENANT_A.apiKey}` };

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`hostile JSON on ${backend}`, () => {
    let app: FastifyInstance;
    let tdb: TestDatabase | undefined;
    before(async () => {
      tdb = backend === 'postgres' ? await createTestDatabase() : undefined;
      app = await makeApp({ RATE_LIMIT_MAX: '100000', ...(tdb ? { DATABASE_URL: tdb.url } : {}) });
    });
    after(async () => {
      await app?.close();
      await tdb?.drop();
    });

    test('signed ingest: 400 naming the problem, nothing stored, and the tenant still ingests', async () => {
      for (const [name, body, code] of HOSTILE) {
        const key = uniq();
        const r = await app.inject(signedIngest({ body, key }));
        assert.equal(r.statusCode, 400, `${name}: ${r.statusCode} ${r.body.slice(0, 120)}`);
        assert.equal(r.json().error, code, name);
        // The body was read in full: the refusal keeps the connection (a parser error would close it).
        assert.notEqual(r.headers.connection, 'close', name);
        const n = await app.pilot.db.tx((q) => q.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE idempotency_key = $1', [key]), {
          tenantId: TENANT_A.tenantId,
        });
        assert.equal(n.rows[0]?.n, 0, name);
      }
      const ok = await app.inject(signedIngest({ body: { fine: true }, key: uniq() }));
      assert.equal(ok.statusCode, 201);
    });

    test('Stripe webhook with a valid signature: 400 naming the problem', async () => {
      for (const [name, raw, code] of HOSTILE) {
        // A real event shape around the hostile part, signed with the configured secret.
        const payload = raw.startsWith('\ufeff') ? `\ufeff{"id":"evt_${uniq()}","type":"x"}` : `{"id":"evt_${uniq()}","type":"x","data":${raw}}`;
        const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: STRIPE_SECRET });
        const r = await app.inject({
          method: 'POST',
          url: '/api/stripe/webhook',
          headers: { 'content-type': 'application/json', 'stripe-signature': header },
          payload,
        });
        assert.equal(r.statusCode, 400, `${name}: ${r.statusCode} ${r.body.slice(0, 120)}`);
        assert.equal(r.json().error, code, name);
      }
    });

    test('a row stored before the depth cap existed: the event and the whole list still read (200)', async () => {
      const id = randomUUID();
      const deep = `{"deep":${nest(5_000)}}`;
      // Stored directly, as an older pilot did (201) before validation existed.
      await app.pilot.db.tx(
        (q) =>
          q.query('INSERT INTO events (id, tenant_id, idempotency_key, payload) VALUES ($1, $2, $3, $4::jsonb)', [
            id,
            TENANT_A.tenantId,
            `legacy-${uniq()}`,
            deep,
          ]),
        { tenantId: TENANT_A.tenantId },
      );
      const one = await app.inject({ method: 'GET', url: `/v1/events/${id}`, headers: auth });
      assert.equal(one.statusCode, 200, one.body.slice(0, 200));
      assert.equal(one.json().id, id);
      assert.match(one.body, /"payload":\{"deep": ?\[{5000}\]{5000}\}/);
      const list = await app.inject({ method: 'GET', url: '/v1/events?limit=1000', headers: auth });
      assert.equal(list.statusCode, 200, list.body.slice(0, 200));
      const parsed = list.json() as { count: number; events: { id: string; payload: unknown }[] };
      assert.ok(parsed.events.some((e) => e.id === id));
      assert.equal(parsed.count, parsed.events.length);
    });
  });
}

describe('caps are configurable', () => {
  test('JSON_MAX_DEPTH and JSON_MAX_BYTES', async () => {
    const app = await makeApp({ JSON_MAX_DEPTH: '3', JSON_MAX_BYTES: '200' });
    try {
      const three = await app.inject(signedIngest({ body: '{"a":[[1]]}', key: uniq() }));
      assert.equal(three.statusCode, 201);
      const four = await app.inject(signedIngest({ body: '{"a":[[[1]]]}', key: uniq() }));
      assert.equal(four.statusCode, 400);
      assert.match(four.json().message, /deeper than 3 levels/);
      const big = await app.inject(signedIngest({ body: { a: 'x'.repeat(200) }, key: uniq() }));
      assert.equal(big.statusCode, 413);
      assert.equal(big.json().error, 'body_too_large');
    } finally {
      await app.close();
    }
  });
});

test('a database data error that still gets through is a 400, never a 500', async () => {
  const base = await makeApp();
  // The real database, except that ingest statements fail the way jsonb refuses data (22P02).
  const inner = base.pilot.db;
  const refusing: Db = {
    kind: inner.kind,
    get closed() {
      return inner.closed;
    },
    query: async <T,>(sql: string, params?: unknown[]) => {
      if (sql.includes('pilot_ingest')) {
        throw Object.assign(new Error('invalid input syntax for type json'), { code: '22P02', severity: 'ERROR' });
      }
      return inner.query<T>(sql, params);
    },
    tx: (fn, o) => inner.tx(fn, o),
    ping: () => inner.ping(),
    close: async () => {},
  };
  const app = await makeApp({}, refusing);
  try {
    const r = await app.inject(signedIngest({ body: { a: 1 }, key: uniq() }));
    assert.equal(r.statusCode, 400, r.body);
    assert.equal(r.json().error, 'body_unstorable');
  } finally {
    await app.close();
    await base.close();
  }
});
