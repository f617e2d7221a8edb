import { sha256Hex } from '../lib/signature.ts';
import type { Db, Queryable } from '../db/index.ts';
import type { PilotMetrics } from '../plugins/metrics.ts';
import { type Flags, readFlags } from './flags.ts';

/** What the worker derives from one event (a row of `events_enriched`). */
export interface Enrichment {
  eventType: string;
  /** When the event happened: the payload's `occurredAt`, else when pilot stored it. */
  occurredAt: Date;
  payloadBytes: number;
  payloadSha256: string;
}

/** An event as the worker reads it. */
export interface EventForEnrichment {
  id: string;
  payloadJson: string;
  createdAt: Date;
}

/** Thrown by {@link enrichEvent} for an event that cannot be enriched; its message is stored, so no payload text. */
export class EnrichmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnrichmentError';
  }
}

/** Name of the enrichment backfill in `maintenance_done`. */
const BACKFILL_NAME = 'enrichment-backfill';
/** Events per backfill transaction (more when many share one timestamp). */
const BACKFILL_CHUNK = 1000;
/** Longest pause between passes after consecutive failures (database down). */
const MAX_BACKOFF_MS = 30_000;

const EVENT_TYPE = /^[A-Za-z0-9_.:-]{1,100}$/;
// ISO 8601 date-time with a zone: nothing else is accepted as occurredAt (Date.parse alone takes too much).
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * pilot's enrichment: the event's type (`type`, or `untyped`), when it happened (`occurredAt`, an ISO
 * date-time with a zone, or the time it was stored), its size and its SHA-256. A present but malformed
 * `type` or `occurredAt` is an error: the event is retried, then dead-lettered.
 */
export function enrichEvent(e: EventForEnrichment): Enrichment {
  const payload = JSON.parse(e.payloadJson) as Record<string, unknown>;
  let eventType = 'untyped';
  if (payload.type !== undefined) {
    if (typeof payload.type !== 'string' || !EVENT_TYPE.test(payload.type)) {
      throw new EnrichmentError('type must be a string of 1-100 characters A-Z a-z 0-9 _ . : -');
    }
    eventType = payload.type;
  }
  let occurredAt = e.createdAt;
  if (payload.occurredAt !== undefined) {
    const t = typeof payload.occurredAt === 'string' && ISO_DATE_TIME.test(payload.occurredAt) ? Date.parse(payload.occurredAt) : Number.NaN;
    if (Number.isNaN(t)) throw new EnrichmentError('occurredAt must be an ISO 8601 date-time with a time zone');
    occurredAt = new Date(t);
  }
  return { eventType, occurredAt, payloadBytes: Buffer.byteLength(e.payloadJson), payloadSha256: sha256Hex(e.payloadJson) };
}

/** Options of {@link EnrichmentWorker}. */
export interface EnrichmentWorkerOptions {
  /** Pause between passes when there is no due work. */
  pollIntervalMs: number;
  /** Events claimed per tenant per transaction. */
  batchSize: number;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** The enrichment function (tests replace it to make chosen events fail). */
  enrich?: (e: EventForEnrichment) => Enrichment;
}

/** Counts of one pass. */
export interface PassResult {
  skipped: boolean;
  processed: number;
  retried: number;
  deadLettered: number;
}

/**
 * The background enrichment worker. Each pass reads the runtime flags (nothing is done while
 * `syncEnabled` is false), then visits every tenant in its own transaction with the tenant setting
 * (row-level security applies; the role cannot bypass it) and claims due queue rows with
 * `FOR UPDATE SKIP LOCKED`, so several instances share the work without taking the same event. An event
 * whose enrichment fails is retried no sooner than `minIntervalSec` later, and after `retryCap` retries
 * moves to `dead_letter_events`; the other events of its batch are not affected.
 */
export class EnrichmentWorker {
  readonly #db: Db;
  readonly #metrics: PilotMetrics;
  readonly #o: EnrichmentWorkerOptions;
  readonly #enrich: (e: EventForEnrichment) => Enrichment;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = true;
  #backfilled = false;
  #failures = 0;

  constructor(db: Db, metrics: PilotMetrics, o: EnrichmentWorkerOptions) {
    this.#db = db;
    this.#metrics = metrics;
    this.#o = o;
    this.#enrich = o.enrich ?? enrichEvent;
  }

  /** Starts passes in the background (the first one at once). */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops scheduling and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => {});
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const started = performance.now();
      const run = this.runOnce().then(
        (r) => {
          this.#failures = 0;
          // A full batch means a backlog: go on, but pause as long as the pass took, so catching up uses at
          // most about half of a CPU and of the database's time, and ingest keeps the rest.
          const full = r.processed + r.retried + r.deadLettered >= this.#o.batchSize;
          this.#schedule(full ? Math.min(this.#o.pollIntervalMs, performance.now() - started) : this.#o.pollIntervalMs);
        },
        (err: Error) => {
          // Back off while the database is unavailable: one warning per pause, not one per poll.
          this.#failures += 1;
          const delay = Math.min(MAX_BACKOFF_MS, this.#o.pollIntervalMs * 2 ** Math.min(this.#failures, 16));
          this.#o.log.warn({ err: { message: err.message }, retryInMs: delay }, 'enrichment pass failed');
          this.#schedule(delay);
        },
      );
      this.#running = run;
    }, delayMs);
    this.#timer.unref();
  }

  /**
   * Enqueues events stored before the queue existed (shipping the enrichment on a database with events)
   * that are neither enriched, queued nor dead-lettered. Once per database: recorded in
   * `maintenance_done` (the trigger queues every later event, whichever release inserts it). Walks each
   * tenant's events in `created_at` order, about `BACKFILL_CHUNK` per transaction, so it never holds
   * the database (PGlite's single connection) for long.
   */
  async backfill(o: { force?: boolean } = {}): Promise<number> {
    if (!o.force) {
      const done = await this.#db.query('SELECT 1 FROM maintenance_done WHERE name = $1', [BACKFILL_NAME]);
      if (done.rowCount > 0) {
        this.#backfilled = true;
        return 0;
      }
    }
    let n = 0;
    for (const tenantId of await this.#tenantIds()) {
      let cursor: string | null = null;
      for (;;) {
        const step: { queued: number; upTo: string | null } = await this.#db.tx(
          async (q) => {
            // The chunk's upper bound; every event sharing that timestamp goes in the same chunk.
            const b = await q.query<{ up_to: string | null }>(
              `SELECT max(created_at)::text AS up_to FROM (
                 SELECT created_at FROM events WHERE $1::timestamptz IS NULL OR created_at > $1::timestamptz
                  ORDER BY created_at LIMIT $2) s`,
              [cursor, BACKFILL_CHUNK],
            );
            const upTo = b.rows[0]?.up_to ?? null;
            if (upTo === null) return { queued: 0, upTo };
            const r = await q.query(
              `INSERT INTO enrichment_queue (event_id, tenant_id, event_created_at)
               SELECT e.id, e.tenant_id, e.created_at FROM events e
                WHERE ($1::timestamptz IS NULL OR e.created_at > $1::timestamptz) AND e.created_at <= $2::timestamptz
                  AND NOT EXISTS (SELECT 1 FROM events_enriched x WHERE x.event_id = e.id)
                  AND NOT EXISTS (SELECT 1 FROM dead_letter_events d WHERE d.event_id = e.id)
               ON CONFLICT DO NOTHING`,
              [cursor, upTo],
            );
            return { queued: r.rowCount, upTo };
          },
          { tenantId },
        );
        n += step.queued;
        if (step.upTo === null) break;
        cursor = step.upTo;
      }
    }
    await this.#db.query('INSERT INTO maintenance_done (name) VALUES ($1) ON CONFLICT DO NOTHING', [BACKFILL_NAME]);
    this.#backfilled = true;
    if (n > 0) this.#o.log.info({ events: n }, 'enrichment backfill queued events');
    return n;
  }

  /** One pass over every tenant; exported for tests and the CLI. */
  async runOnce(): Promise<PassResult> {
    const flags = await readFlags(this.#db);
    this.#metrics.syncEnabled.set(flags.syncEnabled ? 1 : 0);
    const result: PassResult = { skipped: !flags.syncEnabled, processed: 0, retried: 0, deadLettered: 0 };
    if (!this.#backfilled) await this.backfill();
    let oldest: number | undefined;
    let dead = 0;
    for (const tenantId of await this.#tenantIds()) {
      const r = await this.#db.tx((q) => this.#tenantPass(q, flags), { tenantId });
      result.processed += r.processed;
      result.retried += r.retried;
      result.deadLettered += r.deadLettered;
      dead += r.dead;
      if (r.oldestMs !== undefined && (oldest === undefined || r.oldestMs < oldest)) oldest = r.oldestMs;
    }
    this.#metrics.enrichmentProcessed.inc(result.processed);
    this.#metrics.enrichmentRetried.inc(result.retried);
    this.#metrics.enrichmentDeadLettered.inc(result.deadLettered);
    this.#metrics.deadLetterEvents.set(dead);
    this.#metrics.enrichmentLagSeconds.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    return result;
  }

  async #tenantIds(): Promise<string[]> {
    const r = await this.#db.query<{ id: string }>('SELECT id FROM tenants ORDER BY id');
    return r.rows.map((x) => x.id);
  }

  async #tenantPass(q: Queryable, flags: Flags) {
    const out = { processed: 0, retried: 0, deadLettered: 0, dead: 0, oldestMs: undefined as number | undefined };
    if (flags.syncEnabled) {
      const claimed = await q.query<{ id: string; payload: string; created_at: Date | string; attempts: number }>(
        `SELECT q.event_id::text AS id, e.payload::text AS payload, e.created_at, q.attempts
           FROM enrichment_queue q JOIN events e ON e.id = q.event_id
          WHERE q.next_attempt_at <= now()
          ORDER BY q.next_attempt_at
          LIMIT $1
          FOR UPDATE OF q SKIP LOCKED`,
        [this.#o.batchSize],
      );
      const done: { id: string; e: Enrichment; attempts: number }[] = [];
      const failed: { id: string; error: string; attempts: number }[] = [];
      for (const row of claimed.rows) {
        const attempts = Number(row.attempts) + 1;
        try {
          done.push({ id: row.id, e: this.#enrich({ id: row.id, payloadJson: row.payload, createdAt: new Date(row.created_at) }), attempts });
        } catch (err) {
          const message = err instanceof EnrichmentError ? err.message : `${(err as Error).name ?? 'Error'}: enrichment failed`;
          failed.push({ id: row.id, error: message.slice(0, 500), attempts });
        }
      }
      if (done.length > 0) {
        const ins = await q.query(
          `INSERT INTO events_enriched (event_id, tenant_id, event_type, occurred_at, payload_bytes, payload_sha256, attempts)
           SELECT u.id, current_setting('app.tenant_id', true), u.t, u.o, u.b, u.h, u.a
             FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::int[]) AS u(id, t, o, b, h, a)
           ON CONFLICT (event_id) DO NOTHING`,
          [
            done.map((d) => d.id),
            done.map((d) => d.e.eventType),
            done.map((d) => d.e.occurredAt.toISOString()),
            done.map((d) => d.e.payloadBytes),
            done.map((d) => d.e.payloadSha256),
            done.map((d) => d.attempts),
          ],
        );
        await q.query('DELETE FROM enrichment_queue WHERE event_id = ANY($1::uuid[])', [done.map((d) => d.id)]);
        out.processed += ins.rowCount;
      }
      for (const f of failed) {
        if (f.attempts > flags.retryCap) {
          await q.query(
            `INSERT INTO dead_letter_events (event_id, tenant_id, attempts, last_error)
             VALUES ($1, current_setting('app.tenant_id', true), $2, $3)
             ON CONFLICT (event_id) DO UPDATE SET attempts = EXCLUDED.attempts, last_error = EXCLUDED.last_error,
               dead_lettered_at = now(), requeued_at = NULL`,
            [f.id, f.attempts, f.error],
          );
          await q.query('DELETE FROM enrichment_queue WHERE event_id = $1', [f.id]);
          out.deadLettered += 1;
        } else {
          await q.query(
            `UPDATE enrichment_queue SET attempts = $2, last_error = $3,
               next_attempt_at = now() + make_interval(secs => $4) WHERE event_id = $1`,
            [f.id, f.attempts, f.error, flags.minIntervalSec],
          );
          out.retried += 1;
        }
      }
    }
    const s = await q.query<{ oldest: Date | string | null; dead: number }>(
      `SELECT (SELECT min(event_created_at) FROM enrichment_queue) AS oldest,
              (SELECT count(*)::int FROM dead_letter_events WHERE requeued_at IS NULL) AS dead`,
    );
    const st = s.rows[0];
    if (st?.oldest) out.oldestMs = new Date(st.oldest).getTime();
    out.dead = Number(st?.dead ?? 0);
    return out;
  }
}

/** A dead-lettered event as listed to operators (no payload). */
export interface DeadLetter {
  eventId: string;
  attempts: number;
  lastError: string;
  deadLetteredAt: string;
}

/** The tenant's dead-lettered events not yet requeued, oldest first. */
export async function listDeadLetters(db: Db, tenantId: string, limit = 100): Promise<DeadLetter[]> {
  const r = await db.tx(
    (q) =>
      q.query<{ event_id: string; attempts: number; last_error: string; dead_lettered_at: Date | string }>(
        `SELECT event_id::text AS event_id, attempts, last_error, dead_lettered_at FROM dead_letter_events
          WHERE requeued_at IS NULL ORDER BY dead_lettered_at LIMIT $1`,
        [limit],
      ),
    { tenantId },
  );
  return r.rows.map((x) => ({
    eventId: x.event_id,
    attempts: Number(x.attempts),
    lastError: x.last_error,
    deadLetteredAt: new Date(x.dead_lettered_at).toISOString(),
  }));
}

/**
 * Hands dead-lettered events of a tenant back to the worker (all of them, or those in `eventIds`):
 * marks them requeued and queues them with a fresh attempt count. Returns how many were requeued.
 */
export async function requeueDeadLetters(db: Db, tenantId: string, eventIds?: string[]): Promise<number> {
  return db.tx(
    async (q) => {
      const r = await q.query<{ event_id: string }>(
        `UPDATE dead_letter_events SET requeued_at = now()
          WHERE requeued_at IS NULL AND ($1::uuid[] IS NULL OR event_id = ANY($1::uuid[]))
          RETURNING event_id`,
        [eventIds ?? null],
      );
      if (r.rows.length === 0) return 0;
      await q.query(
        `INSERT INTO enrichment_queue (event_id, tenant_id, event_created_at)
         SELECT e.id, e.tenant_id, e.created_at FROM events e WHERE e.id = ANY($1::uuid[])
         ON CONFLICT (event_id) DO UPDATE SET attempts = 0, last_error = NULL, next_attempt_at = now()`,
        [r.rows.map((x) => x.event_id)],
      );
      return r.rows.length;
    },
    { tenantId },
  );
}

/** Dead letters not requeued and the age of the oldest pending event, all tenants (read under each tenant's setting). */
export async function enrichmentStatus(db: Db): Promise<{ deadLetterEvents: number; lagSeconds: number }> {
  const tenants = await db.query<{ id: string }>('SELECT id FROM tenants ORDER BY id');
  let dead = 0;
  let oldest: number | undefined;
  for (const { id: tenantId } of tenants.rows) {
    const r = await db.tx(
      (q) =>
        q.query<{ oldest: Date | string | null; dead: number }>(
          `SELECT (SELECT min(event_created_at) FROM enrichment_queue) AS oldest,
                  (SELECT count(*)::int FROM dead_letter_events WHERE requeued_at IS NULL) AS dead`,
        ),
      { tenantId },
    );
    const row = r.rows[0];
    dead += Number(row?.dead ?? 0);
    if (row?.oldest) {
      const t = new Date(row.oldest).getTime();
      if (oldest === undefined || t < oldest) oldest = t;
    }
  }
  return { deadLetterEvents: dead, lagSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000) };
}
