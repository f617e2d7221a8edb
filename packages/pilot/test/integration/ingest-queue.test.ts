// Group commit of ingests (IngestQueue / pilot_ingest_batch) on embedded PGlite: every item gets the
// decision a lone request would get, batches form under concurrency, one bad item fails alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Db, QueryResult } from '../../src/db/index.ts';
import { type IngestRequest, IngestQueue, IngestQueueFullError, ingestBatch } from '../../src/services/ingest.ts';
import { makeApp, signedIngest, TENANT_A, TENANT_B, uniq } from '../helpers.ts';

let app: FastifyInstance;
let db: Db;

before(async () => {
  app = await makeApp({ RATE_LIMIT_MAX: '100000' });
  db = app.pilot.db;
});
after(async () => {
  await app?.close();
});

type Run = (sql: string, params?: unknown[]) => Promise<QueryResult<Record<string, unknown>>>;

/** The real database with every statement (in or out of a transaction) passed through `intercept`. */
function wrapDb(inner: Db, intercept: (sql: string, params: unknown[] | undefined, run: Run) => Promise<QueryResult<Record<string, unknown>>>): Db {
  return {
    kind: inner.kind,
    get closed() {
      return inner.closed;
    },
    query: ((sql: string, params?: unknown[]) => intercept(sql, params, (s, p) => inner.query(s, p))) as Db['query'],
    tx: (fn, o) => inner.tx((q) => fn({ query: ((sql: string, params?: unknown[]) => intercept(sql, params, (s, p) => q.query(s, p))) as Db['query'] }), o),
    ping: () => inner.ping(),
    close: async () => {},
  };
}

function req(o: Partial<IngestRequest> = {}): IngestRequest {
  const key = o.idempotencyKey ?? uniq();
  return {
    tenantId: TENANT_A.tenantId,
    signature: o.signature ?? `${uniq()}${'0'.repeat(32)}`,
    idempotencyKey: key,
    requestHash: 'a'.repeat(64),
    payloadJson: JSON.stringify({ key }),
    ...o,
  };
}

async function countEvents(tenantId: string, keys: string[]): Promise<number> {
  const r = await db.tx(
    (q) => q.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE idempotency_key = ANY($1::text[])', [keys]),
    { tenantId },
  );
  return r.rows[0]?.n ?? -1;
}

test('ingestBatch: each item gets the decision a lone request gets, in order', async () => {
  const first = req();
  const sig = `${uniq()}sig`;
  const items = [
    first,
    req({ idempotencyKey: first.idempotencyKey }), // same key, same request hash: replay of item 1
    req({ idempotencyKey: first.idempotencyKey, requestHash: 'b'.repeat(64) }), // same key, other body
    req({ signature: sig }),
    req({ signature: sig }), // the same signature again: an exact replay
    req({ tenantId: TENANT_B.tenantId }), // another tenant in the same transaction
  ];
  const out = await ingestBatch(db, items);
  assert.deepEqual(
    out.map((o) => o.kind),
    ['created', 'replayed', 'key_reused', 'created', 'signature_replayed', 'created'],
  );
  const created = out[0]!;
  const replayed = out[1]!;
  assert.ok(created.kind === 'created' && replayed.kind === 'replayed');
  assert.equal(replayed.status, 201);
  assert.equal(replayed.body, created.body, 'the replay returns the stored body of the first');
  assert.equal(JSON.parse(created.body).idempotencyKey, first.idempotencyKey);
  assert.equal(await countEvents(TENANT_A.tenantId, [first.idempotencyKey, items[3]!.idempotencyKey]), 2);
  // Row-level security still applies per item: tenant B's row is B's only.
  assert.equal(await countEvents(TENANT_A.tenantId, [items[5]!.idempotencyKey]), 0);
  assert.equal(await countEvents(TENANT_B.tenantId, [items[5]!.idempotencyKey]), 1);
  // A later batch sees the committed rows: a retry of item 1 is a replay, as for lone requests.
  const [again] = await ingestBatch(db, [req({ idempotencyKey: first.idempotencyKey })]);
  assert.equal(again?.kind, 'replayed');
});

test('IngestQueue: concurrent requests go in batches of at most maxBatch, all stored once', async () => {
  const sizes: number[] = [];
  const q = new IngestQueue(db, { maxBatch: 16, maxInFlight: 1, onBatch: (n) => sizes.push(n) });
  const items = Array.from({ length: 50 }, () => req());
  const out = await Promise.all(items.map((r) => q.submit(r)));
  assert.ok(
    out.every((o) => o.kind === 'created'),
    JSON.stringify(out.map((o) => o.kind)),
  );
  assert.equal(sizes.reduce((a, b) => a + b, 0), 50);
  assert.ok(
    sizes.every((n) => n <= 16),
    sizes.join(','),
  );
  assert.ok(sizes.length < 50, `requests submitted together were batched: ${sizes.join(',')}`);
  assert.equal(await countEvents(TENANT_A.tenantId, items.map((r) => r.idempotencyKey)), 50);
  assert.equal(q.waiting, 0);
  const ids = new Set(out.map((o) => (o.kind === 'created' ? JSON.parse(o.body).id : null)));
  assert.equal(ids.size, 50, 'each event has its own id');
});

test('IngestQueue: a lone request is not held back', async () => {
  const sizes: number[] = [];
  const q = new IngestQueue(db, { maxBatch: 64, maxInFlight: 1, onBatch: (n) => sizes.push(n) });
  const o = await q.submit(req());
  assert.equal(o.kind, 'created');
  assert.deepEqual(sizes, [1]);
});

test('IngestQueue: one bad item fails alone; the rest of its batch is stored', async () => {
  const q = new IngestQueue(db, { maxBatch: 64, maxInFlight: 1 });
  const good = Array.from({ length: 5 }, () => req());
  // Not JSON: the cast to jsonb fails, which aborts the batch's transaction as a whole.
  const bad = req({ payloadJson: '{not json' });
  const settled = await Promise.allSettled([...good.slice(0, 2), bad, ...good.slice(2)].map((r) => q.submit(r)));
  assert.equal(settled[2]?.status, 'rejected');
  const others = settled.filter((_, i) => i !== 2);
  assert.ok(others.every((s) => s.status === 'fulfilled' && s.value.kind === 'created'));
  assert.equal(await countEvents(TENANT_A.tenantId, good.map((r) => r.idempotencyKey)), 5);
  assert.equal(await countEvents(TENANT_A.tenantId, [bad.idempotencyKey]), 0);
});

test('IngestQueue: maxBatch 1 stores each request in its own transaction', async () => {
  const sizes: number[] = [];
  const q = new IngestQueue(db, { maxBatch: 1, maxInFlight: 1, onBatch: (n) => sizes.push(n) });
  const out = await Promise.all(Array.from({ length: 4 }, () => q.submit(req())));
  assert.deepEqual(
    out.map((o) => o.kind),
    ['created', 'created', 'created', 'created'],
  );
  assert.deepEqual(sizes, [1, 1, 1, 1]);
});

test('IngestQueue refuses nonsensical sizes', () => {
  assert.throws(() => new IngestQueue(db, { maxBatch: 0, maxInFlight: 1 }), /maxBatch/);
  assert.throws(() => new IngestQueue(db, { maxBatch: 8, maxInFlight: 0.5 }), /maxInFlight/);
});

test('through the app: concurrent signed ingests share transactions and each is answered once', async () => {
  const keys = Array.from({ length: 30 }, () => uniq());
  const t0 = Math.floor(Date.now() / 1000);
  const before = await app.inject({ method: 'GET', url: '/metrics' });
  const batchesBefore = Number(/pilot_ingest_batch_size_count (\d+)/.exec(before.body)?.[1] ?? 0);
  const rs = await Promise.all(
    [...keys, keys[0]!].map((key, i) => app.inject(signedIngest({ body: { key }, key, timestamp: t0 - i }))),
  );
  assert.ok(
    rs.every((r) => r.statusCode === 201),
    rs.map((r) => r.statusCode).join(','),
  );
  // The repeat of the first key is a replay of it (same batch or a later one), never a second event.
  const repeat = rs[30]!;
  assert.equal(repeat.headers['idempotent-replayed'], 'true');
  assert.equal(repeat.json().id, rs[0]!.json().id);
  assert.equal(await countEvents(TENANT_A.tenantId, keys), 30);
  const m = await app.inject({ method: 'GET', url: '/metrics' });
  const sum = Number(/pilot_ingest_batch_size_sum (\d+)/.exec(m.body)?.[1]);
  const count = Number(/pilot_ingest_batch_size_count (\d+)/.exec(m.body)?.[1]);
  assert.ok(count - batchesBefore < 31, `31 requests in ${count - batchesBefore} transactions`);
  assert.ok(sum >= 31);
});

test('IngestQueue: after a batch has committed, an item without a valid answer fails alone and nothing is retried', async () => {
  // The real database, with the batch statement's last answer row dropped on the way back.
  const lossy = wrapDb(db, async (sql, params, run) => {
    const r = await run(sql, params);
    return sql.includes('pilot_ingest_batch') ? { rows: r.rows.slice(0, -1), rowCount: r.rowCount - 1 } : r;
  });
  const q = new IngestQueue(lossy, { maxBatch: 64, maxInFlight: 1 });
  const items = Array.from({ length: 4 }, () => req());
  const settled = await Promise.allSettled(items.map((r) => q.submit(r)));
  assert.deepEqual(
    settled.map((s) => (s.status === 'fulfilled' ? s.value.kind : 'rejected')),
    ['created', 'created', 'created', 'rejected'],
  );
  // All four were committed by the one statement; a retry would have answered "signature_replayed".
  assert.equal(await countEvents(TENANT_A.tenantId, items.map((r) => r.idempotencyKey)), 4);
});

test('IngestQueue: a bad item is isolated by bisection in about 2·log2(n) statements, not n', async () => {
  let statements = 0;
  const counting = wrapDb(db, (sql, params, run) => {
    if (sql.includes('pilot_ingest')) statements += 1;
    return run(sql, params);
  });
  const q = new IngestQueue(counting, { maxBatch: 32, maxInFlight: 1 });
  const items = Array.from({ length: 32 }, () => req());
  // Not JSON: the cast to jsonb fails (22P02), which aborts the whole batch's transaction.
  items[10] = req({ payloadJson: '{not json' });
  const settled = await Promise.allSettled(items.map((r) => q.submit(r)));
  assert.equal(settled[10]?.status, 'rejected');
  assert.ok(settled.every((s, i) => i === 10 || (s.status === 'fulfilled' && s.value.kind === 'created')));
  assert.equal(await countEvents(TENANT_A.tenantId, items.filter((_, i) => i !== 10).map((r) => r.idempotencyKey)), 31);
  // 32 → 16 → 8 → 4 → 2 → 1: one failing and one succeeding statement per level, plus the first.
  assert.ok(statements <= 11, `${statements} statements for one bad item among 32 (one at a time would be 33)`);
});

test('IngestQueue: a failure that is not about an item (connection lost) fails the batch at once, no retries', async () => {
  let statements = 0;
  const broken = wrapDb(db, (sql, params, run) => {
    if (!sql.includes('pilot_ingest')) return run(sql, params);
    statements += 1;
    return Promise.reject(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
  });
  const q = new IngestQueue(broken, { maxBatch: 16, maxInFlight: 1 });
  const settled = await Promise.allSettled(Array.from({ length: 16 }, () => q.submit(req())));
  assert.ok(settled.every((s) => s.status === 'rejected' && (s.reason as { code?: string }).code === '57P01'));
  assert.equal(statements, 1, 'no request is retried into a database that is not answering');
});

test('IngestQueue: bounded; past maxQueued waiting requests a submit is refused at once', async () => {
  const q = new IngestQueue(db, { maxBatch: 64, maxInFlight: 1, maxQueued: 5 });
  const settled = await Promise.allSettled(Array.from({ length: 8 }, () => q.submit(req())));
  assert.deepEqual(
    settled.map((s) => (s.status === 'fulfilled' ? s.value.kind : s.reason instanceof IngestQueueFullError ? 'full' : String(s.reason))),
    ['created', 'created', 'created', 'created', 'created', 'full', 'full', 'full'],
  );
  assert.throws(() => new IngestQueue(db, { maxBatch: 8, maxInFlight: 1, maxQueued: 0 }), /maxQueued/);
});

test('through the app: a full ingest queue answers 503 with Retry-After, never queues without bound', async () => {
  // Batches take 300 ms, so requests pile up behind the first one.
  const slow = wrapDb(db, async (sql, params, run) => {
    if (sql.includes('pilot_ingest')) await new Promise((r) => setTimeout(r, 300));
    return run(sql, params);
  });
  const small = await makeApp({ INGEST_QUEUE_MAX: '2', RATE_LIMIT_MAX: '100000' }, slow);
  try {
    const t0 = Math.floor(Date.now() / 1000);
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => small.inject(signedIngest({ body: { i }, key: uniq(), timestamp: t0 - i }))));
    const codes = rs.map((r) => r.statusCode);
    assert.ok(codes.filter((c) => c === 201).length >= 2, codes.join(','));
    const refused = rs.filter((r) => r.statusCode === 503);
    assert.ok(refused.length >= 1, codes.join(','));
    for (const r of refused) {
      assert.equal(r.headers['retry-after'], '1');
      assert.equal(r.json().error, 'ingest_overloaded');
    }
    assert.ok(codes.every((c) => c === 201 || c === 503), codes.join(','));
  } finally {
    await small.close();
  }
});
