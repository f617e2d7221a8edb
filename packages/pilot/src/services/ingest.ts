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
 * Stores one event exactly once per (tenant, Idempotency-Key), in one transaction:
 * 1. record the signature (unique per tenant): a second use is an exact replay;
 * 2. take a transaction-scoped advisory lock on (tenant, key): if another transaction holds it,
 *    the first request is still in flight (409) — instead of blocking behind it;
 * 3. with the lock held, read the stored outcome (completed retry or other body);
 * 4. otherwise insert the event and the stored response together.
 * The unique constraints stay the last line of defence: they, not the lock, guarantee one row.
 */
export async function ingestEvent(db: Db, r: IngestRequest): Promise<IngestOutcome> {
  return db.tx(
    async (q) => {
      const first = await q.query<{ fresh: boolean; locked: boolean }>(
        `WITH sig AS (
           INSERT INTO seen_signatures (tenant_id, signature) VALUES ($1, $2)
           ON CONFLICT DO NOTHING RETURNING 1
         )
         SELECT EXISTS (SELECT 1 FROM sig) AS fresh,
                pg_try_advisory_xact_lock(hashtextextended($3, 0)) AS locked`,
        [r.tenantId, r.signature, idempotencyLockKey(r.tenantId, r.idempotencyKey)],
      );
      const row = first.rows[0];
      if (!row?.fresh) return { kind: 'signature_replayed' };
      if (!row.locked) return { kind: 'in_flight' };

      // A separate statement: its snapshot is taken after the lock, so it sees a committed first try.
      const stored = await q.query<{ request_hash: string; response_status: number; response_body: string }>(
        'SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE tenant_id = $1 AND key = $2',
        [r.tenantId, r.idempotencyKey],
      );
      const prior = stored.rows[0];
      if (prior) {
        if (prior.request_hash !== r.requestHash) return { kind: 'key_reused' };
        return { kind: 'replayed', status: prior.response_status, body: prior.response_body };
      }

      const id = randomUUID();
      const body = JSON.stringify({ id, idempotencyKey: r.idempotencyKey });
      await q.query(
        `WITH ev AS (
           INSERT INTO events (id, tenant_id, idempotency_key, payload) VALUES ($1, $2, $3, $4::jsonb)
           RETURNING id
         )
         INSERT INTO idempotency_keys (tenant_id, key, request_hash, response_status, response_body)
         SELECT $2, $3, $5, 201, $6 FROM ev`,
        [id, r.tenantId, r.idempotencyKey, r.payloadJson, r.requestHash, body],
      );
      return { kind: 'created', status: 201, body };
    },
    { tenantId: r.tenantId },
  );
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
