// On PostgreSQL a failed statement's error reaches the client before the backend has aborted the
// transaction and released its locks. A batch retried on another pooled connection in that window found its
// own keys' advisory locks still held: a fresh key answered 409 idempotency_in_flight. Here the window is
// widened on purpose: the failing batch's locks stay held until its transaction is rolled back, 300 ms later
// when nobody waits for the rollback, at once when the queue awaits it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { Db, QueryResult } from '../../src/db/index.ts';
import { PostgresDb } from '../../src/db/postgres.ts';
import { migrate } from '../../src/db/migrate.ts';
import { type IngestRequest, IngestQueue } from '../../src/services/ingest.ts';
import { upsertTenant } from '../../src/services/tenants.ts';
import { createTestDatabase, TENANT_A, type TestDatabase, uniq } from '../helpers.ts';

let tdb: TestDatabase;
let db: PostgresDb;
const held: pg.Client[] = [];

before(async () => {
  tdb = await createTestDatabase();
  db = await PostgresDb.open({ connectionString: tdb.url, poolMax: 6 });
  await db.withClient((c) => migrate(c));
  await upsertTenant(db, { tenantId: TENANT_A.tenantId, apiKey: TENANT_A.apiKey, signingSecret: TENANT_A.secret, keyId: 'k1' });
});
after(async () => {
  for (const c of held) await c.end().catch(() => {});
  await db?.close();
  await tdb?.drop();
});

const LOCK_ALL = 'SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) AS k';
const dataError = () => Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' });

/**
 * Every batch statement takes its items' advisory locks (as pilot_ingest does) and then fails on an item's
 * data. Outside an explicit transaction the locks are released 300 ms after the error is reported.
 */
function failingBatches(inner: PostgresDb): Db {
  const intercept = async (sql: string, params: unknown[] | undefined, run: (s: string, p?: unknown[]) => Promise<QueryResult<never>>) => {
    if (!sql.includes('pilot_ingest_batch')) return run(sql, params);
    await run(LOCK_ALL, [params?.[3]]);
    throw dataError();
  };
  return {
    kind: inner.kind,
    get closed() {
      return inner.closed;
    },
    query: (async (sql: string, params?: unknown[]) => {
      if (!sql.includes('pilot_ingest_batch')) return inner.query(sql, params);
      const c = new pg.Client({ connectionString: tdb.url });
      held.push(c);
      await c.connect();
      await c.query('BEGIN');
      await c.query(LOCK_ALL, [params?.[3]]);
      setTimeout(() => void c.query('ROLLBACK').catch(() => {}), 300);
      throw dataError();
    }) as Db['query'],
    tx: (fn, o) => inner.tx((q) => fn({ query: ((sql: string, params?: unknown[]) => intercept(sql, params, (s, p) => q.query(s, p))) as Db['query'] }), o),
    ping: () => inner.ping(),
    close: async () => {},
  };
}

test('after a failed batch its requests are stored, never answered in flight because of its own locks', async () => {
  const q = new IngestQueue(failingBatches(db), { maxBatch: 8, maxInFlight: 3 });
  const items: IngestRequest[] = Array.from({ length: 8 }, () => {
    const key = uniq();
    return { tenantId: TENANT_A.tenantId, signature: `${uniq()}${'0'.repeat(52)}`, idempotencyKey: key, requestHash: 'a'.repeat(64), payloadJson: JSON.stringify({ key }) };
  });
  const out = await Promise.all(items.map((r) => q.submit(r)));
  assert.deepEqual(
    out.map((o) => o.kind),
    items.map(() => 'created'),
  );
});
