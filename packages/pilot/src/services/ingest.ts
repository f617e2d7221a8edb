import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../db/index.ts';
import { ServiceUnavailableError } from '../lib/http-errors.ts';

/** Input of {@link ingestEvent}: everything already authenticated and validated. */
export interface IngestRequest {
  tenantId: string;
  /** The v1 value of the accepted signature; seen twice = replay. */
  signature: string;
  idempotencyKey: string;
  /** SHA-256 of method, path and raw body: a retry must match it exactly. */
  requestHash: string;
  /** The JSON body as received. */
  payloadJson: string;
}

/** Outcome of {@link ingestEvent}, a union the route maps to HTTP. */
export type IngestOutcome =
  | { kind: 'created'; status: number; body: string }
  | { kind: 'replayed'; status: number; body: string }
  | { kind: 'in_flight' }
  | { kind: 'key_reused' }
  | { kind: 'signature_replayed' };

/**
 * Stores one event exactly once per (tenant, Idempotency-Key). The decision runs in the database
 * function `pilot_ingest` (migration 0002), one statement and so one transaction:
 * 1. record the signature (unique per tenant): a second use is an exact replay;
 * 2. take a transaction-scoped advisory lock on (tenant, key): if another transaction holds it,
 *    the first request is still in flight (409) — instead of blocking behind it;
 * 3. with the lock held, read the stored outcome (completed retry or other body);
 * 4. otherwise insert the event and the stored response together.
 * One round trip instead of six keeps the single PGlite connection and the pool short-held. Under
 * load, {@link IngestQueue} sends concurrent requests together through {@link ingestBatch}.
 */
export async function ingestEvent(db: Db, r: IngestRequest): Promise<IngestOutcome> {
  const id = randomUUID();
  const body = createdBody(id, r.idempotencyKey);
  const res = await db.query<OutcomeRow>(
    'SELECT outcome, status, body FROM pilot_ingest($1, $2, $3, $4, $5, $6, $7::jsonb, $8)',
    [
      r.tenantId,
      r.signature,
      r.idempotencyKey,
      idempotencyLockKey(r.tenantId, r.idempotencyKey),
      r.requestHash,
      id,
      r.payloadJson,
      body,
    ],
  );
  return toOutcome(res.rows[0], body);
}

/**
 * Ingests several requests in one statement (`pilot_ingest_batch`, migration 0003), so in one
 * transaction with one commit. Each item gets exactly the decision {@link ingestEvent} would give it,
 * in order; an item repeating an earlier item's key is answered as a replay of it (or key_reused).
 * All or nothing: when it throws, nothing of the batch is stored.
 */
export async function ingestBatch(db: Db, items: readonly IngestRequest[]): Promise<IngestOutcome[]> {
  const answer = await storeBatch(db, items);
  return items.map((_, i) => answer(i));
}

/**
 * Runs the batch statement; once it has committed, returns the mapping of item i to its outcome (which
 * throws for that item alone if the statement returned nothing valid for it).
 */
async function storeBatch(db: Queryable, items: readonly IngestRequest[]): Promise<(i: number) => IngestOutcome> {
  const ids = items.map(() => randomUUID());
  const bodies = items.map((r, i) => createdBody(ids[i]!, r.idempotencyKey));
  const res = await db.query<OutcomeRow & { ord: number }>(
    `SELECT ord, outcome, status, body FROM pilot_ingest_batch(
       $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], $8::text[])`,
    [
      items.map((r) => r.tenantId),
      items.map((r) => r.signature),
      items.map((r) => r.idempotencyKey),
      items.map((r) => idempotencyLockKey(r.tenantId, r.idempotencyKey)),
      items.map((r) => r.requestHash),
      ids,
      items.map((r) => r.payloadJson),
      bodies,
    ],
  );
  const byOrd = new Map(res.rows.map((row) => [Number(row.ord), row]));
  return (i) => toOutcome(byOrd.get(i + 1), bodies[i]!);
}

interface OutcomeRow {
  outcome: string;
  status: number;
  body: string | null;
}

function createdBody(id: string, idempotencyKey: string): string {
  return JSON.stringify({ id, idempotencyKey });
}

function toOutcome(row: OutcomeRow | undefined, createdBody: string): IngestOutcome {
  switch (row?.outcome) {
    case 'created':
      return { kind: 'created', status: row.status, body: row.body ?? createdBody };
    case 'replayed':
      return { kind: 'replayed', status: row.status, body: row.body ?? '' };
    case 'in_flight':
      return { kind: 'in_flight' };
    case 'key_reused':
      return { kind: 'key_reused' };
    case 'signature_replayed':
      return { kind: 'signature_replayed' };
    default:
      throw new Error(`pilot_ingest returned an unknown outcome: ${String(row?.outcome)}`);
  }
}

/** Options of {@link IngestQueue}. */
export interface IngestQueueOptions {
  /** Most requests committed together; 1 turns group commit off (one transaction per request). */
  maxBatch: number;
  /** Batches running at once (each holds one database connection). PGlite has one connection: 1. */
  maxInFlight: number;
  /**
   * Most requests waiting for a batch; one more is refused at once with {@link IngestQueueFullError}
   * (503 with Retry-After) instead of queueing without bound while the database is slow. Default: unbounded.
   */
  maxQueued?: number;
  /** Called with the size of every batch sent (a metric). */
  onBatch?: (size: number) => void;
}

/**
 * Thrown by {@link IngestQueue.submit} when `maxQueued` requests are already waiting: the app's error
 * handler answers it `503 ingest_overloaded` with `Retry-After: 1`, like any {@link ServiceUnavailableError}.
 */
export class IngestQueueFullError extends ServiceUnavailableError {
  readonly code = 'PILOT_ERR_INGEST_QUEUE_FULL';
  readonly maxQueued: number;
  constructor(maxQueued: number) {
    super('ingest_overloaded', 'too many ingests are waiting for the database; retry shortly', { retryAfterSec: 1 });
    this.name = 'IngestQueueFullError';
    this.maxQueued = maxQueued;
  }
}

// SQLSTATE classes an item's own data can cause: 22 data exception, 23 integrity constraint, 54 program
// limit. Worth isolating the item; anything else (connection lost, timeout, shutdown) fails every item alike.
const ITEM_ERROR = /^(22|23|54)[0-9A-Z]{3}$/;

function isItemError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ITEM_ERROR.test(code);
}

interface Pending {
  request: IngestRequest;
  resolve: (o: IngestOutcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit of concurrent ingests. Requests that arrive while earlier batches are running wait and
 * then go together, in arrival order, as one statement and one transaction: the cost of a commit (a WAL
 * flush on PostgreSQL, a round trip and the engine's transaction overhead everywhere) is shared. Nothing
 * is acknowledged before its batch has committed, so every 2xx is durable exactly as without batching.
 * Alone, a request waits for nothing: a batch leaves as soon as a slot is free (after the current turn
 * of the event loop, so requests parsed in the same turn share it).
 *
 * A batch that fails on an item's data (SQLSTATE class 22, 23 or 54) is rolled back as a whole and split
 * in halves, each stored as a batch again (in order, so a later half sees the earlier half's rows): the bad
 * item is isolated in about 2·log2(n) statements while the others still share commits, instead of n
 * statements one request at a time. A failure of any other kind (connection, timeout) fails the whole batch
 * at once rather than retrying into a database that is not answering. Batches run in an explicit
 * transaction whose ROLLBACK is awaited on the same connection: PostgreSQL reports an error before it has
 * released the failed transaction's locks, and a half retried on another connection in that window found
 * its own keys' advisory locks still held (409 idempotency_in_flight for a fresh key).
 */
export class IngestQueue {
  readonly #db: Db;
  readonly #o: IngestQueueOptions;
  #queue: Pending[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(db: Db, options: IngestQueueOptions) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError('maxBatch must be an integer >= 1');
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new RangeError('maxInFlight must be an integer >= 1');
    }
    if (options.maxQueued !== undefined && (!Number.isInteger(options.maxQueued) || options.maxQueued < 1)) {
      throw new RangeError('maxQueued must be an integer >= 1');
    }
    this.#db = db;
    this.#o = options;
  }

  /** Requests waiting for a batch (not counting those in running batches). */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Ingests one request; resolves once its batch has committed. Rejects at once with
   * {@link IngestQueueFullError} when `maxQueued` requests are already waiting.
   */
  submit(request: IngestRequest): Promise<IngestOutcome> {
    if (this.#o.maxBatch === 1) {
      this.#o.onBatch?.(1);
      return ingestEvent(this.#db, request);
    }
    if (this.#o.maxQueued !== undefined && this.#queue.length >= this.#o.maxQueued) {
      return Promise.reject(new IngestQueueFullError(this.#o.maxQueued));
    }
    return new Promise<IngestOutcome>((resolve, reject) => {
      this.#queue.push({ request, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#o.maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.#o.maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#o.maxBatch);
      this.#inFlight += 1;
      void this.#run(batch).finally(() => {
        this.#inFlight -= 1;
        this.#schedule();
      });
    }
  }

  async #run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const p = batch[0]!;
      this.#o.onBatch?.(1);
      await ingestEvent(this.#db, p.request).then(p.resolve, p.reject);
      return;
    }
    this.#o.onBatch?.(batch.length);
    let answer: (i: number) => IngestOutcome;
    try {
      answer = await this.#db.tx((q) =>
        storeBatch(
          q,
          batch.map((p) => p.request),
        ),
      );
    } catch (err) {
      // Rolled back as a whole (and the rollback has completed): nothing of it is stored.
      if (!isItemError(err)) {
        for (const p of batch) p.reject(err);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.#run(batch.slice(0, half));
      await this.#run(batch.slice(half));
      return;
    }
    // Committed: never retried from here (a retry would meet its own signature and answer "replayed").
    for (const [i, p] of batch.entries()) {
      try {
        p.resolve(answer(i));
      } catch (err) {
        p.reject(err);
      }
    }
  }
}

/**
 * The text hashed into the advisory lock id (`hashtextextended(text, 0)` in SQL). Exported so an
 * operator (or a test) can hold the same lock to inspect or simulate an in-flight request.
 */
export function idempotencyLockKey(tenantId: string, idempotencyKey: string): string {
  return `pilot:idem:${tenantId}\n${idempotencyKey}`;
}

/** Deletes seen signatures older than twice the tolerance window, tenant by tenant (under RLS). */
export async function pruneSeenSignatures(db: Db, olderThanSec: number): Promise<number> {
  const tenants = await db.query<{ id: string }>('SELECT id FROM tenants');
  let removed = 0;
  for (const t of tenants.rows) {
    const r = await db.tx(
      (q) =>
        q.query(`DELETE FROM seen_signatures WHERE seen_at < now() - make_interval(secs => $1)`, [olderThanSec]),
      { tenantId: t.id },
    );
    removed += r.rowCount;
  }
  return removed;
}
