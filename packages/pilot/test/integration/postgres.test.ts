// Storage, RLS and idempotency races on the machine's real PostgreSQL: a fresh database owned by a
// fresh NOSUPERUSER NOBYPASSRLS role, dropped afterwards. True concurrency needs a real server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp, UnsafeDatabaseRoleError } from '../../src/app.ts';
import { listMigrationFiles } from '../../src/db/migrate.ts';
import { idempotencyLockKey } from '../../src/services/ingest.ts';
import {
  createTestDatabase,
  makeApp,
  reachable,
  requireService,
  signedIngest,
  type TestDatabase,
  TENANT_A,
  TENANT_B,
  testConfig,
  uniq,
} from '../helpers.ts';

let tdb: TestDatabase | undefined;
let app: FastifyInstance | undefined;
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  if (!(await reachable(5432))) return;
  tdb = await createTestDatabase();
  app = await makeApp({ DATABASE_URL: tdb.url, DATABASE_POOL_MAX: '20', RATE_LIMIT_MAX: '100000' });
});
after(async () => {
  await app?.close();
  await tdb?.drop();
});

test('migrations ran as the restricted role and the startup probe says current', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  assert.equal(app!.pilot.db.kind, 'postgres');
  const r = await app!.inject({ method: 'GET', url: '/health/startup' });
  assert.equal(r.statusCode, 200);
  const role = await app!.pilot.db.query<{ u: string }>('SELECT current_user AS u');
  assert.equal(role.rows[0]?.u, tdb!.role);
});

test('a second boot on the same database applies no migration and keeps the bootstrap tenant', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const second = await buildApp({ config: testConfig({ DATABASE_URL: tdb!.url }), logger: false });
  try {
    const r = await second.pilot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM pilot_migrations');
    assert.equal(r.rows[0]?.n, (await listMigrationFiles()).length);
    const tenants = await second.pilot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants WHERE id = $1', [
      TENANT_A.tenantId,
    ]);
    assert.equal(tenants.rows[0]?.n, 1);
  } finally {
    await second.close();
  }
});

for (const unsafe of [{ superuser: true }, { bypassRls: true }] as const) {
  test(`refuses to start as a ${Object.keys(unsafe)[0]} role`, async (t) => {
    if (!(await requireService(t, 'PostgreSQL', 5432))) return;
    const bad = await createTestDatabase(unsafe);
    try {
      await assert.rejects(
        buildApp({ config: testConfig({ DATABASE_URL: bad.url }), logger: false }),
        (err: unknown) => err instanceof UnsafeDatabaseRoleError && !err.message.includes(bad.url),
      );
    } finally {
      await bad.drop();
    }
  });
}

test('RLS: no tenant context → 0 rows, even for the table owner', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const created = await app!.inject(signedIngest({ body: { pg: uniq() }, key: uniq() }));
  assert.equal(created.statusCode, 201);
  const c = new pg.Client({ connectionString: tdb!.url });
  await c.connect();
  try {
    const owner = await c.query('SELECT tableowner FROM pg_tables WHERE tablename = $1', ['events']);
    assert.equal(owner.rows[0]?.tableowner, tdb!.role);
    assert.equal((await c.query('SELECT * FROM events')).rowCount, 0);
    assert.equal((await c.query('DELETE FROM events')).rowCount, 0);
    await c.query('BEGIN');
    await c.query("SELECT set_config('app.tenant_id', $1, true)", [TENANT_B.tenantId]);
    const b = await c.query('SELECT * FROM events WHERE id = $1', [created.json().id]);
    await c.query('COMMIT');
    assert.equal(b.rowCount, 0);
  } finally {
    await c.end();
  }
});

test('another tenant resource by id → 404 and 0 rows changed', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const created = await app!.inject(signedIngest({ body: { pg: uniq() }, key: uniq() }));
  const id = created.json().id as string;
  const headersB = { authorization: `Bearer ${TENANT_B.apiKey}` };
  assert.equal((await app!.inject({ method: 'GET', url: `/v1/events/${id}`, headers: headersB })).statusCode, 404);
  assert.equal((await app!.inject({ method: 'DELETE', url: `/v1/events/${id}`, headers: headersB })).statusCode, 404);
  const own = await app!.inject({ method: 'GET', url: `/v1/events/${id}`, headers: { authorization: `Bearer ${TENANT_A.apiKey}` } });
  assert.equal(own.statusCode, 200);
});

test('N concurrent identical requests over real connections make exactly one row', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const key = uniq();
  const t0 = now();
  const n = 40;
  const rs = await Promise.all(
    Array.from({ length: n }, (_, i) => app!.inject(signedIngest({ body: { race: key }, key, timestamp: t0 - i }))),
  );
  const codes = rs.map((r) => r.statusCode);
  // Each answer is the first create, a replay of it, or "in flight" (409) while the first holds the key.
  assert.ok(
    codes.every((c) => c === 201 || c === 409),
    codes.join(','),
  );
  const created = rs.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined);
  assert.equal(created.length, 1, codes.join(','));
  const ids = new Set(rs.filter((r) => r.statusCode === 201).map((r) => r.json().id));
  assert.equal(ids.size, 1);
  const rows = await app!.pilot.db.tx((q) => q.query('SELECT 1 FROM events WHERE idempotency_key = $1', [key]), {
    tenantId: TENANT_A.tenantId,
  });
  assert.equal(rows.rowCount, 1);
});

test('the same key while the first request is in flight → 409', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const key = uniq();
  // Hold the key's lock from another connection, exactly as an in-flight first request does.
  const holder = new pg.Client({ connectionString: tdb!.url });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [idempotencyLockKey(TENANT_A.tenantId, key)]);
    // The retry is signed one second before the first attempt, so it never repeats that signature (`now()`
    // read again could have moved on by exactly one second).
    const first = now();
    const r = await app!.inject(signedIngest({ body: { flight: key }, key, timestamp: first }));
    assert.equal(r.statusCode, 409);
    assert.equal(r.json().error, 'idempotency_in_flight');
    await holder.query('COMMIT');
    const after = await app!.inject(signedIngest({ body: { flight: key }, key, timestamp: first - 1 }));
    assert.equal(after.statusCode, 201);
    assert.equal(after.headers['idempotent-replayed'], undefined);
  } finally {
    await holder.end();
  }
});

test('concurrent same key with different bodies: one 201, the others 409 or 422, one row', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const key = uniq();
  const rs = await Promise.all(
    Array.from({ length: 10 }, (_, i) => app!.inject(signedIngest({ body: { variant: i, key }, key }))),
  );
  const codes = rs.map((r) => r.statusCode).sort();
  assert.equal(codes.filter((c) => c === 201).length, 1, codes.join(','));
  assert.ok(
    codes.every((c) => c === 201 || c === 409 || c === 422),
    codes.join(','),
  );
  const rows = await app!.pilot.db.tx((q) => q.query('SELECT 1 FROM events WHERE idempotency_key = $1', [key]), {
    tenantId: TENANT_A.tenantId,
  });
  assert.equal(rows.rowCount, 1);
});

test('two app instances on one database agree on replays (signature table is shared)', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const other = await buildApp({ config: testConfig({ DATABASE_URL: tdb!.url }), logger: false });
  try {
    const req = signedIngest({ body: { twin: uniq() }, key: uniq() });
    assert.equal((await app!.inject(req)).statusCode, 201);
    const replay = await other.inject(req);
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().error, 'signature_replayed');
  } finally {
    await other.close();
  }
});
