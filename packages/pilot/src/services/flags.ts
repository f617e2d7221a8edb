import { z } from 'zod';
import type { Db, Queryable } from '../db/index.ts';

/** Runtime flags, as served by `GET /config` and changed on the admin page or `PATCH /admin/config`. */
export interface Flags {
  syncEnabled: boolean;
  /** Minimum interval between two background syncs of a client, and between two attempts of one event. */
  minIntervalSec: number;
  /** Failed enrichment attempts retried before an event is dead-lettered. */
  retryCap: number;
}

/** Defaults when the flags row is missing (it is inserted by the first migration). */
export const DEFAULT_FLAGS: Flags = { syncEnabled: true, minIntervalSec: 900, retryCap: 3 };

/** The one validation of a flag change, shared by the JSON API and the admin page. */
export const flagsPatch = z
  .object({
    syncEnabled: z.boolean(),
    minIntervalSec: z.number().int().min(1).max(86_400),
    retryCap: z.number().int().min(0).max(100),
  })
  .partial()
  .strict()
  .refine((o) => Object.keys(o).length > 0, 'at least one flag is required');

/** A validated change of some flags. */
export type FlagsPatch = z.infer<typeof flagsPatch>;

interface FlagsRow {
  sync_enabled: boolean;
  min_interval_sec: number;
  retry_cap: number;
}

const toFlags = (f: FlagsRow | undefined): Flags =>
  f ? { syncEnabled: f.sync_enabled, minIntervalSec: f.min_interval_sec, retryCap: f.retry_cap } : { ...DEFAULT_FLAGS };

/** The current flags. */
export async function readFlags(q: Queryable): Promise<Flags> {
  const r = await q.query<FlagsRow>('SELECT sync_enabled, min_interval_sec, retry_cap FROM feature_flags WHERE id = 1');
  return toFlags(r.rows[0]);
}

/**
 * Applies a validated change and writes its audit row in the same transaction. The flags row is
 * locked first (FOR UPDATE), so concurrent changes are serialised: each audit row's `old_flags` is
 * exactly the previous row's `new_flags`, and no change goes unrecorded.
 */
export async function changeFlags(db: Db, patch: FlagsPatch, actor: string): Promise<Flags> {
  return db.tx(async (q) => {
    const before = await q.query<FlagsRow>(
      'SELECT sync_enabled, min_interval_sec, retry_cap FROM feature_flags WHERE id = 1 FOR UPDATE',
    );
    const old = toFlags(before.rows[0]);
    const next: Flags = { ...old, ...patch };
    await q.query(
      `UPDATE feature_flags SET sync_enabled = $1, min_interval_sec = $2, retry_cap = $3, updated_at = now() WHERE id = 1`,
      [next.syncEnabled, next.minIntervalSec, next.retryCap],
    );
    await q.query('INSERT INTO feature_flag_audit (actor, old_flags, new_flags) VALUES ($1, $2::jsonb, $3::jsonb)', [
      actor,
      JSON.stringify(old),
      JSON.stringify(next),
    ]);
    return next;
  });
}

/** One audit row: when, which surface, the flags before and after. */
export interface FlagAuditEntry {
  id: number;
  changedAt: string;
  actor: string;
  oldFlags: Flags;
  newFlags: Flags;
}

/** The latest audit rows, newest first. */
export async function readFlagAudit(q: Queryable, limit = 20): Promise<FlagAuditEntry[]> {
  const r = await q.query<{ id: string | number; changed_at: Date | string; actor: string; old_flags: Flags | string; new_flags: Flags | string }>(
    'SELECT id, changed_at, actor, old_flags, new_flags FROM feature_flag_audit ORDER BY id DESC LIMIT $1',
    [limit],
  );
  const json = (v: Flags | string): Flags => (typeof v === 'string' ? (JSON.parse(v) as Flags) : v);
  return r.rows.map((x) => ({
    id: Number(x.id),
    changedAt: new Date(x.changed_at).toISOString(),
    actor: x.actor,
    oldFlags: json(x.old_flags),
    newFlags: json(x.new_flags),
  }));
}
