import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.ts';
import type { PilotMetrics } from '../plugins/metrics.ts';

/** Advisory lock id of the scheduled reconcile: one leader among instances runs it. */
export const RECONCILE_LOCK_ID = 0x7265636f;

/** Input of one reconcile run. */
export interface ReconcileRequest {
  /** Window start (inclusive) and end (exclusive) on events' `created_at`. */
  from: Date;
  to: Date;
  /** Events younger than this are not counted: the worker may not have reached them yet. */
  lagAllowedSec: number;
  /** Drift above this ratio makes the run's outcome `drift`. */
  driftThreshold: number;
  trigger: 'schedule' | 'manual';
}

/** Figures of one tenant in one run. */
export interface TenantDrift {
  tenantId: string;
  source: number;
  enriched: number;
  deadLettered: number;
  driftRatio: number;
}

/** A recorded run. */
export interface ReconcileRun {
  id: string;
  trigger: 'schedule' | 'manual';
  windowFrom: string;
  windowTo: string;
  lagAllowedSec: number;
  startedAt: string;
  finishedAt: string;
  tenants: number;
  source: number;
  enriched: number;
  deadLettered: number;
  driftRatio: number;
  outcome: 'ok' | 'drift' | 'error';
  error?: string;
}

/** Thrown when another instance holds the reconcile lock (a scheduled run then does nothing). */
export class ReconcileBusyError extends Error {
  constructor() {
    super('another reconcile run is in progress');
    this.name = 'ReconcileBusyError';
  }
}

/** Drift of one window: events neither enriched nor dead-lettered, over all events; 0 for an empty window. */
export function driftRatio(source: number, enriched: number, deadLettered: number): number {
  return source === 0 ? 0 : Math.max(0, source - enriched - deadLettered) / source;
}

/**
 * Compares source events with `events_enriched` per tenant over a window, in one transaction that
 * holds the reconcile advisory lock (another run at the same moment gets {@link ReconcileBusyError}).
 * Each tenant is counted under its own tenant setting (row-level security applies). Counting uses the
 * `(tenant_id, created_at)` index and primary-key lookups: the time grows with the events in the window,
 * and every statement is bounded by the database's statement timeout. Records the run and its per-tenant
 * figures, and sets the reconcile metrics.
 */
export async function reconcile(db: Db, metrics: PilotMetrics | undefined, req: ReconcileRequest): Promise<{ run: ReconcileRun; tenants: TenantDrift[] }> {
  const id = randomUUID();
  const startedAt = new Date();
  // Never count events younger than the allowed lag, whatever the window says.
  const cutoff = new Date(Math.min(req.to.getTime(), Date.now() - req.lagAllowedSec * 1000));
  try {
    const result = await db.tx(async (q) => {
      const lock = await q.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [RECONCILE_LOCK_ID]);
      if (!lock.rows[0]?.ok) throw new ReconcileBusyError();
      const tenants = await q.query<{ id: string }>('SELECT id FROM tenants ORDER BY id');
      const per: TenantDrift[] = [];
      for (const { id: tenantId } of tenants.rows) {
        await q.query("SELECT set_config('app.tenant_id', $1, true)", [tenantId]);
        const c = await q.query<{ source: string; enriched: string; dead: string }>(
          `SELECT count(*) AS source,
                  count(x.event_id) AS enriched,
                  count(d.event_id) FILTER (WHERE x.event_id IS NULL) AS dead
             FROM events e
             LEFT JOIN events_enriched x ON x.event_id = e.id
             LEFT JOIN dead_letter_events d ON d.event_id = e.id AND d.requeued_at IS NULL
            WHERE e.created_at >= $1 AND e.created_at < $2`,
          [req.from.toISOString(), cutoff.toISOString()],
        );
        const row = c.rows[0];
        const t: TenantDrift = {
          tenantId,
          source: Number(row?.source ?? 0),
          enriched: Number(row?.enriched ?? 0),
          deadLettered: Number(row?.dead ?? 0),
          driftRatio: 0,
        };
        t.driftRatio = driftRatio(t.source, t.enriched, t.deadLettered);
        per.push(t);
        await q.query(
          `INSERT INTO reconcile_tenant_results (run_id, tenant_id, source, enriched, dead_lettered, drift_ratio)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [id, tenantId, t.source, t.enriched, t.deadLettered, t.driftRatio],
        );
      }
      await q.query("SELECT set_config('app.tenant_id', '', true)");
      const source = per.reduce((s, t) => s + t.source, 0);
      const enriched = per.reduce((s, t) => s + t.enriched, 0);
      const dead = per.reduce((s, t) => s + t.deadLettered, 0);
      const ratio = driftRatio(source, enriched, dead);
      const outcome: 'ok' | 'drift' = ratio > req.driftThreshold ? 'drift' : 'ok';
      const fin = await q.query<{ finished_at: Date | string }>(
        `INSERT INTO reconcile_runs (id, trigger, window_from, window_to, lag_allowed_sec, started_at, tenants, source,
            enriched, dead_lettered, drift_ratio, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING finished_at`,
        [id, req.trigger, req.from.toISOString(), req.to.toISOString(), req.lagAllowedSec, startedAt.toISOString(), per.length, source, enriched, dead, ratio, outcome],
      );
      const run: ReconcileRun = {
        id,
        trigger: req.trigger,
        windowFrom: req.from.toISOString(),
        windowTo: req.to.toISOString(),
        lagAllowedSec: req.lagAllowedSec,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date(fin.rows[0]?.finished_at ?? Date.now()).toISOString(),
        tenants: per.length,
        source,
        enriched,
        deadLettered: dead,
        driftRatio: ratio,
        outcome,
      };
      return { run, tenants: per };
    });
    if (metrics) {
      metrics.reconcileDriftRatio.set(result.run.driftRatio);
      metrics.reconcileLastRunTimestampSeconds.set(Math.floor(Date.parse(result.run.finishedAt) / 1000));
      metrics.reconcileRuns.inc({ outcome: result.run.outcome });
    }
    return result;
  } catch (err) {
    if (err instanceof ReconcileBusyError) throw err;
    metrics?.reconcileRuns.inc({ outcome: 'error' });
    // The failed run is recorded too (outside the rolled-back transaction), best effort.
    await db
      .query(
        `INSERT INTO reconcile_runs (id, trigger, window_from, window_to, lag_allowed_sec, started_at, tenants, source,
            enriched, dead_lettered, drift_ratio, outcome, error)
         VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, 0, 0, 'error', $7)`,
        [id, req.trigger, req.from.toISOString(), req.to.toISOString(), req.lagAllowedSec, startedAt.toISOString(), (err as Error).message.slice(0, 500)],
      )
      .catch(() => {});
    throw err;
  }
}

interface RunRow {
  id: string;
  trigger: 'schedule' | 'manual';
  window_from: Date | string;
  window_to: Date | string;
  lag_allowed_sec: number;
  started_at: Date | string;
  finished_at: Date | string;
  tenants: number;
  source: string | number;
  enriched: string | number;
  dead_lettered: string | number;
  drift_ratio: number;
  outcome: 'ok' | 'drift' | 'error';
  error: string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** The latest completed run (any outcome), or undefined before the first. */
export async function latestReconcileRun(db: Db): Promise<ReconcileRun | undefined> {
  const r = await db.query<RunRow>('SELECT * FROM reconcile_runs ORDER BY finished_at DESC LIMIT 1');
  const x = r.rows[0];
  if (!x) return undefined;
  return {
    id: x.id,
    trigger: x.trigger,
    windowFrom: iso(x.window_from),
    windowTo: iso(x.window_to),
    lagAllowedSec: Number(x.lag_allowed_sec),
    startedAt: iso(x.started_at),
    finishedAt: iso(x.finished_at),
    tenants: Number(x.tenants),
    source: Number(x.source),
    enriched: Number(x.enriched),
    deadLettered: Number(x.dead_lettered),
    driftRatio: Number(x.drift_ratio),
    outcome: x.outcome,
    ...(x.error ? { error: x.error } : {}),
  };
}

/** Per-tenant figures of a run, read tenant by tenant (row-level security applies). */
export async function reconcileTenantResults(db: Db, runId: string): Promise<TenantDrift[]> {
  const tenants = await db.query<{ id: string }>('SELECT id FROM tenants ORDER BY id');
  const out: TenantDrift[] = [];
  for (const { id: tenantId } of tenants.rows) {
    const r = await db.tx(
      (q) =>
        q.query<{ source: string; enriched: string; dead_lettered: string; drift_ratio: number }>(
          'SELECT source, enriched, dead_lettered, drift_ratio FROM reconcile_tenant_results WHERE run_id = $1',
          [runId],
        ),
      { tenantId },
    );
    const x = r.rows[0];
    if (x) {
      out.push({
        tenantId,
        source: Number(x.source),
        enriched: Number(x.enriched),
        deadLettered: Number(x.dead_lettered),
        driftRatio: Number(x.drift_ratio),
      });
    }
  }
  return out;
}

/** Options of {@link ReconcileScheduler}. */
export interface ReconcileSchedule {
  intervalSec: number;
  windowSec: number;
  lagAllowedSec: number;
  driftThreshold: number;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/**
 * Runs {@link reconcile} every `intervalSec` over the last `windowSec`. Every instance schedules it;
 * the advisory lock lets one of them run at a time, the others skip that turn.
 */
export class ReconcileScheduler {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  readonly #db: Db;
  readonly #metrics: PilotMetrics;
  readonly #o: ReconcileSchedule;

  constructor(db: Db, metrics: PilotMetrics, o: ReconcileSchedule) {
    this.#db = db;
    this.#metrics = metrics;
    this.#o = o;
  }

  /** Starts the schedule; the first run comes after one interval. Also restores the metrics of the last run. */
  async start(): Promise<void> {
    const last = await latestReconcileRun(this.#db).catch(() => undefined);
    if (last && last.outcome !== 'error') {
      this.#metrics.reconcileDriftRatio.set(last.driftRatio);
      this.#metrics.reconcileLastRunTimestampSeconds.set(Math.floor(Date.parse(last.finishedAt) / 1000));
    }
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.runNow()
        .catch((err: Error) => {
          if (!(err instanceof ReconcileBusyError)) this.#o.log.warn({ err: { message: err.message } }, 'scheduled reconcile failed');
        })
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#o.intervalSec * 1000);
    this.#timer.unref();
  }

  /** One scheduled-style run over the configured window ending now. */
  async runNow(): Promise<ReconcileRun> {
    const to = new Date();
    const from = new Date(to.getTime() - this.#o.windowSec * 1000);
    const { run } = await reconcile(this.#db, this.#metrics, {
      from,
      to,
      lagAllowedSec: this.#o.lagAllowedSec,
      driftThreshold: this.#o.driftThreshold,
      trigger: 'schedule',
    });
    if (run.outcome === 'drift') this.#o.log.warn({ driftRatio: run.driftRatio, source: run.source }, 'reconcile found drift');
    return run;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => {});
  }
}
