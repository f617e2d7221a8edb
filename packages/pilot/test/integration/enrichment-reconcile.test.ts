// The enrichment worker, its dead-letter queue and reconciliation, on PGlite and on the machine's real
// PostgreSQL (a fresh NOSUPERUSER NOBYPASSRLS role): the same SQL must hold on both.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { EnrichmentWorker, enrichEvent } from '../../src/services/enrichment.ts';
import { RECONCILE_LOCK_ID, ReconcileBusyError, reconcile } from '../../src/services/reconcile.ts';
import { ADMIN_TOKEN, createTestDatabase, makeApp, requireService, signedIngest, TENANT_A, TENANT_B, type TestDatabase, uniq } from '../helpers.ts';

const MANUAL = { ENRICH_WORKER: 'off', RECONCILE_INTERVAL_SEC: '0', RATE_LIMIT_MAX: '100000' };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const silent = { warn() {}, info() {} };

/** Inserts `n` events for a tenant directly (the trigger queues them), `payload` for each. */
async function plantEvents(app: FastifyInstance, tenantId: string, n: number, payload: object = { type: 'planted' }): Promise<string[]> {
  const r = await app.pilot.db.tx(
    (q) =>
      q.query<{ id: string }>(
        `INSERT INTO events (id, tenant_id, idempotency_key, payload)
         SELECT gen_random_uuid(), $1, $2 || g, $3::jsonb FROM generate_series(1, $4::int) g RETURNING id::text AS id`,
        [tenantId, `plant-${uniq()}-`, JSON.stringify(payload), n],
      ),
    { tenantId },
  );
  return r.rows.map((x) => x.id);
}

async function count(app: FastifyInstance, tenantId: string, sql: string): Promise<number> {
  const r = await app.pilot.db.tx((q) => q.query<{ n: number }>(sql), { tenantId });
  return Number(r.rows[0]?.n);
}

async function metric(app: FastifyInstance, name: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  assert.ok(line, `${name} is exported`);
  return Number(line.split(' ').pop());
}

test('enrichment derives type, time, size and digest; malformed fields are errors', () => {
  const e = enrichEvent({ id: 'x', payloadJson: '{"type":"order.paid","occurredAt":"2026-01-02T03:04:05Z"}', createdAt: new Date(0) });
  assert.equal(e.eventType, 'order.paid');
  assert.equal(e.occurredAt.toISOString(), '2026-01-02T03:04:05.000Z');
  assert.equal(e.payloadBytes, Buffer.byteLength('{"type":"order.paid","occurredAt":"2026-01-02T03:04:05Z"}'));
  assert.match(e.payloadSha256, /^[0-9a-f]{64}$/);
  assert.equal(enrichEvent({ id: 'x', payloadJson: '{}', createdAt: new Date(5) }).eventType, 'untyped');
  assert.throws(() => enrichEvent({ id: 'x', payloadJson: '{"occurredAt":"yesterday"}', createdAt: new Date() }), /occurredAt/);
  assert.throws(() => enrichEvent({ id: 'x', payloadJson: '{"type":42}', createdAt: new Date() }), /type/);
});

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`operations on ${kind}`, () => {
    let tdb: TestDatabase | undefined;
    let app: FastifyInstance | undefined;
    const setup = async (t: import('node:test').TestContext) => {
      if (kind === 'postgres' && !(await requireService(t, 'PostgreSQL', 5432))) return undefined;
      if (!app) {
        if (kind === 'postgres') tdb = await createTestDatabase();
        app = await makeApp({ ...MANUAL, ...(tdb ? { DATABASE_URL: tdb.url } : {}) });
      }
      return app;
    };
    after(async () => {
      await app?.close();
      await tdb?.drop();
    });

    test('the worker enriches signed ingests, dead-letters only the failing event, and requeue hands it back', async (t) => {
      const a = await setup(t);
      if (!a) return;
      await a.inject({ method: 'PATCH', url: '/admin/config', headers: admin, payload: { retryCap: 0, syncEnabled: true } });
      const good = await a.inject(signedIngest({ body: { type: 'order.created', n: 1 }, key: `good-${uniq()}` }));
      assert.equal(good.statusCode, 201);
      const bad = await a.inject(signedIngest({ body: { type: 'order.created', occurredAt: 'not a date' }, key: `bad-${uniq()}` }));
      assert.equal(bad.statusCode, 201);
      const other = await a.inject(signedIngest({ body: { type: 'b.thing' }, key: `b-${uniq()}`, tenant: TENANT_B }));
      assert.equal(other.statusCode, 201);
      const before = await metric(a, 'pilot_enrichment_processed_total');
      const r = await a.pilot.enrichment.runOnce();
      assert.equal(r.processed, 2);
      assert.equal(r.deadLettered, 1);
      assert.equal(await metric(a, 'pilot_enrichment_processed_total'), before + 2);
      assert.equal(await metric(a, 'pilot_dead_letter_events'), 1);
      assert.equal(await metric(a, 'pilot_enrichment_lag_seconds'), 0);
      const badId = JSON.parse(bad.body).id as string;
      const goodId = JSON.parse(good.body).id as string;
      // Row-level security: each tenant sees its own enriched rows only.
      assert.equal(await count(a, TENANT_A.tenantId, `SELECT count(*)::int AS n FROM events_enriched WHERE event_id = '${goodId}'`), 1);
      assert.equal(await count(a, TENANT_B.tenantId, `SELECT count(*)::int AS n FROM events_enriched WHERE event_id = '${goodId}'`), 0);
      assert.equal(await count(a, TENANT_B.tenantId, 'SELECT count(*)::int AS n FROM events_enriched'), 1);
      const typ = await a.pilot.db.tx((q) => q.query<{ t: string }>(`SELECT event_type AS t FROM events_enriched WHERE event_id = '${goodId}'`), {
        tenantId: TENANT_A.tenantId,
      });
      assert.equal(typ.rows[0]?.t, 'order.created');

      const dl = await a.inject({ method: 'GET', url: `/admin/dead-letters?tenant=${TENANT_A.tenantId}`, headers: admin });
      const list = JSON.parse(dl.body).deadLetters as { eventId: string; lastError: string }[];
      assert.deepEqual(
        list.map((d) => d.eventId),
        [badId],
      );
      assert.match(list[0]!.lastError, /occurredAt/);
      assert.ok(!list[0]!.lastError.includes('not a date'), 'the payload is not copied into the error');

      const rq = await a.inject({ method: 'POST', url: '/admin/dead-letters/requeue', headers: admin, payload: { tenantId: TENANT_A.tenantId } });
      assert.equal(JSON.parse(rq.body).requeued, 1);
      assert.equal(await count(a, TENANT_A.tenantId, `SELECT count(*)::int AS n FROM enrichment_queue WHERE event_id = '${badId}'`), 1);
      // A fixed enrichment (here: one that accepts anything) now succeeds for the requeued event.
      const lenient = new EnrichmentWorker(a.pilot.db, a.pilot.metrics, {
        pollIntervalMs: 1000,
        batchSize: 10,
        log: silent,
        enrich: (e) => ({ eventType: 'repaired', occurredAt: e.createdAt, payloadBytes: 1, payloadSha256: '0'.repeat(64) }),
      });
      const r2 = await lenient.runOnce();
      assert.equal(r2.processed, 1);
      assert.equal(await metric(a, 'pilot_dead_letter_events'), 0);
    });

    test('failures are retried no sooner than minIntervalSec, up to retryCap, then dead-lettered', async (t) => {
      const a = await setup(t);
      if (!a) return;
      await a.inject({ method: 'PATCH', url: '/admin/config', headers: admin, payload: { retryCap: 1, minIntervalSec: 1, syncEnabled: true } });
      const [id] = await plantEvents(a, TENANT_A.tenantId, 1, { occurredAt: 12 });
      const retriedBefore = await metric(a, 'pilot_enrichment_retried_total');
      const first = await a.pilot.enrichment.runOnce();
      assert.equal(first.retried, 1);
      assert.equal(first.deadLettered, 0);
      assert.equal(await metric(a, 'pilot_enrichment_retried_total'), retriedBefore + 1);
      assert.equal((await a.pilot.enrichment.runOnce()).retried, 0, 'not due before minIntervalSec');
      assert.ok((await metric(a, 'pilot_enrichment_lag_seconds')) >= 0);
      await new Promise((r) => setTimeout(r, 1100));
      const third = await a.pilot.enrichment.runOnce();
      assert.equal(third.deadLettered, 1);
      assert.equal(await count(a, TENANT_A.tenantId, `SELECT attempts AS n FROM dead_letter_events WHERE event_id = '${id}'`), 2);
    });

    test('syncEnabled=false pauses the worker; a backfill queues events stored before the queue', async (t) => {
      const a = await setup(t);
      if (!a) return;
      await a.inject({ method: 'PATCH', url: '/admin/config', headers: admin, payload: { syncEnabled: false } });
      const ids = await plantEvents(a, TENANT_B.tenantId, 3);
      const paused = await a.pilot.enrichment.runOnce();
      assert.equal(paused.skipped, true);
      assert.equal(paused.processed, 0);
      assert.equal(await metric(a, 'pilot_sync_enabled'), 0);
      assert.ok((await metric(a, 'pilot_enrichment_lag_seconds')) >= 0);
      // As if stored by a release without the queue: the worker's backfill finds them.
      await a.pilot.db.tx((q) => q.query('DELETE FROM enrichment_queue WHERE event_id = ANY($1::uuid[])', [ids]), { tenantId: TENANT_B.tenantId });
      await a.inject({ method: 'PATCH', url: '/admin/config', headers: admin, payload: { syncEnabled: true } });
      const fresh = new EnrichmentWorker(a.pilot.db, a.pilot.metrics, { pollIntervalMs: 1000, batchSize: 100, log: silent });
      assert.equal(await fresh.backfill(), 0, 'the backfill ran once for this database already');
      assert.equal(await fresh.backfill({ force: true }), 3);
      const r = await fresh.runOnce();
      assert.equal(r.processed, 3);
      assert.equal(await metric(a, 'pilot_sync_enabled'), 1);
    });

    test('reconcile: planted 2 % drift is reported above 1 %, 0.5 % is not; young events are ignored', async (t) => {
      const a = await setup(t);
      if (!a) return;
      const tenantId = `recon-${uniq()}`;
      const created = await a.inject({ method: 'POST', url: '/admin/tenants', headers: admin, payload: { tenantId } });
      assert.equal(created.statusCode, 201);
      await a.inject({ method: 'PATCH', url: '/admin/config', headers: admin, payload: { syncEnabled: true } });
      const from = new Date(Date.now() - 60_000).toISOString();
      const ids = await plantEvents(a, tenantId, 200);
      while ((await a.pilot.enrichment.runOnce()).processed > 0) {}
      // Plant 2 % drift in the new tenant: 4 of 200 events lose their enrichment.
      await a.pilot.db.tx((q) => q.query('DELETE FROM events_enriched WHERE event_id = ANY($1::uuid[])', [ids.slice(0, 4)]), { tenantId });
      // Only this tenant's events fall in a window starting now (others were stored before `from` or are enriched).
      const run = async (lagSec: number) => {
        const r = await a.inject({ method: 'POST', url: '/admin/reconcile', headers: admin, payload: { from, lagSec } });
        assert.equal(r.statusCode, 200, r.body);
        return JSON.parse(r.body) as { run: { driftRatio: number; outcome: string; source: number }; tenants: { tenantId: string; driftRatio: number }[] };
      };
      const drift = await run(0);
      const mine = drift.tenants.find((x) => x.tenantId === tenantId)!;
      assert.equal(mine.driftRatio, 0.02);
      assert.equal(drift.run.outcome, 'drift');
      assert.equal(await metric(a, 'pilot_reconcile_drift_ratio'), drift.run.driftRatio);
      assert.ok(drift.run.driftRatio > 0.01);
      const text = (await a.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(text, /pilot_reconcile_runs_total\{outcome="drift"\} [1-9]/);
      assert.ok((await metric(a, 'pilot_reconcile_last_run_timestamp_seconds')) > Date.now() / 1000 - 60);
      // Events younger than the allowed lag are not counted.
      assert.equal((await run(3600)).run.source, 0);

      // 0.5 %: three of the four get enriched again (1 of 200 missing).
      await a.pilot.db.tx(
        (q) =>
          q.query(
            'INSERT INTO enrichment_queue (event_id, tenant_id, event_created_at) SELECT id, tenant_id, created_at FROM events WHERE id = ANY($1::uuid[])',
            [ids.slice(1, 4)],
          ),
        { tenantId },
      );
      // The app's worker picks up the three requeued events (the fourth stays missing).
      await a.pilot.enrichment.runOnce();
      assert.equal(await count(a, tenantId, 'SELECT count(*)::int AS n FROM events_enriched'), 199);
      const low = await run(0);
      assert.equal(low.tenants.find((x) => x.tenantId === tenantId)!.driftRatio, 0.005);
      assert.equal(low.run.outcome, 'ok');
      assert.ok((await metric(a, 'pilot_reconcile_drift_ratio')) <= 0.01);

      // The admin health card shows the latest run and per-tenant drift.
      const card = JSON.parse((await a.inject({ method: 'GET', url: '/admin/health', headers: admin })).body);
      assert.equal(card.reconcile.outcome, 'ok');
      assert.equal(card.tenantDrift.find((x: { tenantId: string }) => x.tenantId === tenantId).driftRatio, 0.005);
    });

    test('reconcile over an empty window and over a huge one finishes quickly; bad windows are 400', async (t) => {
      const a = await setup(t);
      if (!a) return;
      const t0 = Date.now();
      const empty = await a.inject({ method: 'POST', url: '/admin/reconcile', headers: admin, payload: { from: '2000-01-01T00:00:00Z', to: '2000-01-02T00:00:00Z' } });
      assert.equal(empty.statusCode, 200);
      assert.equal(JSON.parse(empty.body).run.driftRatio, 0);
      assert.equal(JSON.parse(empty.body).run.source, 0);
      const huge = await a.inject({ method: 'POST', url: '/admin/reconcile', headers: admin, payload: { from: '1970-01-01T00:00:00Z', to: '9999-12-31T00:00:00Z', lagSec: 0 } });
      assert.equal(huge.statusCode, 200);
      assert.ok(JSON.parse(huge.body).run.source > 0);
      // A bound against hanging, not a speed assertion.
      assert.ok(Date.now() - t0 < 30_000);
      const bad: Record<string, unknown>[] = [{ from: 'yesterday' }, { from: '2020-01-02T00:00:00Z', to: '2020-01-01T00:00:00Z' }, { lagSec: -1 }, { window: 1 }];
      for (const payload of bad) {
        const res: { statusCode: number } = await a.inject({ method: 'POST', url: '/admin/reconcile', headers: admin, payload });
        assert.equal(res.statusCode, 400, JSON.stringify(payload));
      }
      assert.equal((await a.inject({ method: 'POST', url: '/admin/reconcile', payload: {} })).statusCode, 401);
    });

    if (kind === 'postgres') {
      test('the reconcile leader lock: a run while another holds it is refused, not doubled', async (t) => {
        const a = await setup(t);
        if (!a) return;
        const c = new pg.Client({ connectionString: tdb!.url });
        await c.connect();
        try {
          await c.query('SELECT pg_advisory_lock($1)', [RECONCILE_LOCK_ID]);
          await assert.rejects(
            reconcile(a.pilot.db, undefined, { from: new Date(0), to: new Date(), lagAllowedSec: 0, driftThreshold: 0.01, trigger: 'schedule' }),
            ReconcileBusyError,
          );
          const r = await a.inject({ method: 'POST', url: '/admin/reconcile', headers: admin, payload: {} });
          assert.equal(r.statusCode, 409);
        } finally {
          await c.end();
        }
      });

      test('two workers on one database share the queue without enriching an event twice', async (t) => {
        const a = await setup(t);
        if (!a) return;
        await a.inject({ method: 'PATCH', url: '/admin/config', headers: admin, payload: { syncEnabled: true } });
        const tenantId = TENANT_B.tenantId;
        const enrichedBefore = await count(a, tenantId, 'SELECT count(*)::int AS n FROM events_enriched');
        await plantEvents(a, tenantId, 300);
        const mk = () => new EnrichmentWorker(a.pilot.db, a.pilot.metrics, { pollIntervalMs: 1000, batchSize: 50, log: silent });
        const w1 = mk();
        const w2 = mk();
        let total = 0;
        for (let i = 0; i < 10; i++) {
          const [x, y] = await Promise.all([w1.runOnce(), w2.runOnce()]);
          total += x.processed + y.processed;
          if (x.processed + y.processed === 0) break;
        }
        // Every event enriched exactly once (the primary key refuses a second row; a double claim would
        // leave processed counts short of 300).
        assert.equal(await count(a, tenantId, 'SELECT count(*)::int AS n FROM events_enriched'), enrichedBefore + 300);
        assert.ok(total >= 300);
        assert.equal(await count(a, tenantId, 'SELECT count(*)::int AS n FROM enrichment_queue'), 0);
      });

      test('concurrent flag changes keep the audit complete and chained', async (t) => {
        const a = await setup(t);
        if (!a) return;
        const before = (await a.pilot.db.query<{ n: number }>('SELECT count(*)::int AS n FROM feature_flag_audit')).rows[0]!.n;
        const rs = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            a.inject({ method: 'PATCH', url: '/admin/config', headers: admin, payload: { minIntervalSec: 100 + i } }),
          ),
        );
        assert.ok(rs.every((r) => r.statusCode === 200));
        const rows = (
          await a.pilot.db.query<{ old_flags: { minIntervalSec: number }; new_flags: { minIntervalSec: number } }>(
            'SELECT old_flags, new_flags FROM feature_flag_audit ORDER BY id',
          )
        ).rows;
        assert.equal(rows.length, before + 20);
        for (let i = 1; i < rows.length; i++) assert.deepEqual(rows[i]!.old_flags, rows[i - 1]!.new_flags);
      });
    }
  });
}

test('shipping the enrichment on a PostgreSQL database with events backfills them (migrations 0001-0003 first)', async (t) => {
  if (!(await requireService(t, 'PostgreSQL', 5432))) return;
  const { listMigrationFiles, MIGRATIONS_DIR, MIGRATIONS_TABLE } = await import('../../src/db/migrate.ts');
  const { readFile } = await import('node:fs/promises');
  const tdb = await createTestDatabase();
  let app: FastifyInstance | undefined;
  try {
    // The previous release's schema and data, as the restricted role.
    const c = new pg.Client({ connectionString: tdb.url });
    await c.connect();
    try {
      await c.query(`CREATE TABLE ${MIGRATIONS_TABLE} (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const name of (await listMigrationFiles()).filter((f) => f < '0004')) {
        await c.query(`BEGIN;\n${await readFile(new URL(name, MIGRATIONS_DIR), 'utf8')}\n;INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES ('${name}');\nCOMMIT;`);
      }
      await c.query("INSERT INTO tenants (id, name, api_key_hash) VALUES ('old', 'old', repeat('a', 64))");
      await c.query('BEGIN');
      await c.query("SELECT set_config('app.tenant_id', 'old', true)");
      await c.query(
        `INSERT INTO events (id, tenant_id, idempotency_key, payload)
         SELECT gen_random_uuid(), 'old', 'old-' || g, '{"type":"legacy"}'::jsonb FROM generate_series(1, 2500) g`,
      );
      await c.query('COMMIT');
    } finally {
      await c.end();
    }
    app = await makeApp({ ...MANUAL, DATABASE_URL: tdb.url });
    const r = await app.pilot.enrichment.runOnce();
    assert.ok(r.processed > 0);
    while ((await app.pilot.enrichment.runOnce()).processed > 0) {}
    assert.equal(await count(app, 'old', 'SELECT count(*)::int AS n FROM events_enriched'), 2500);
    assert.equal(await count(app, 'old', 'SELECT count(*)::int AS n FROM enrichment_queue'), 0);
  } finally {
    await app?.close();
    await tdb.drop();
  }
});

test('inside the service: the worker enriches in the background and the reconcile runs on its schedule', async () => {
  const app = await makeApp({ ENRICH_WORKER: 'on', ENRICH_POLL_INTERVAL_MS: '50', RECONCILE_INTERVAL_SEC: '1', RECONCILE_LAG_SEC: '0' });
  try {
    const r = await app.inject(signedIngest({ body: { type: 'background' }, key: `bg-${uniq()}` }));
    assert.equal(r.statusCode, 201);
    const deadline = Date.now() + 20_000;
    let enriched = 0;
    let scheduled = 0;
    while (Date.now() < deadline && (enriched === 0 || scheduled === 0)) {
      await new Promise((res) => setTimeout(res, 200));
      enriched = await count(app, TENANT_A.tenantId, 'SELECT count(*)::int AS n FROM events_enriched');
      scheduled = Number((await app.pilot.db.query<{ n: number }>("SELECT count(*)::int AS n FROM reconcile_runs WHERE trigger = 'schedule'")).rows[0]?.n);
    }
    assert.equal(enriched, 1, 'enriched without a manual pass');
    assert.ok(scheduled >= 1, 'a scheduled reconcile was recorded');
    assert.ok((await metric(app, 'pilot_reconcile_last_run_timestamp_seconds')) > 0);
  } finally {
    await app.close();
  }
});
