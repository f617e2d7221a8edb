import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.ts';

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
 * One round trip instead of six keeps the single PGlite connection and the pool short-held.
 */
export async function ingestEvent(db: Db, r: IngestRequest): Promise<IngestOutcome> {
  const id = randomUUID();
  const body = JSON.stringify({ id, idempotencyKey: r.idempotencyKey });
  const res = await db.query<{ outcome: string; status: number; body: string | null }>(
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
  const row = res.rows[0];
  switch (row?.outcome) {
    case 'created':
      return { kind: 'created', status: row.status, body: row.body ?? body };
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
