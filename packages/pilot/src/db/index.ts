import type { PilotConfig } from '../config.ts';
import { migrate } from './migrate.ts';
import { PgliteDb } from './pglite.ts';
import { PostgresDb } from './postgres.ts';
import type { Db } from './types.ts';

export { DataDirLockedError } from './dir-lock.ts';
export { classifyDatabaseError, DatabaseUnavailableError, isDatabaseUnavailable } from './errors.ts';
export type { Db, Queryable, QueryResult, TxOptions } from './types.ts';

/** Thrown when the database role could bypass row-level security; pilot refuses to start. */
export class UnsafeDatabaseRoleError extends Error {
  readonly code = 'PILOT_ERR_DB_ROLE';
  constructor(role: string, reasons: string[]) {
    super(
      `database role "${role}" is ${reasons.join(' and ')}: row-level security would not apply. ` +
        'Connect as a role created with NOSUPERUSER NOBYPASSRLS (see README, "Running on PostgreSQL").',
    );
    this.name = 'UnsafeDatabaseRoleError';
  }
}

/** Minimal logger the storage layer needs. */
export interface DbLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Arbitrary constant identifying pilot's migration lock among advisory locks. */
const MIGRATION_LOCK_ID = 0x70696c6f;
/** Limit of each statement of the migration session (the lock wait included). */
const MIGRATION_TIMEOUT_MS = 600_000;

/**
 * Opens the configured database (PostgreSQL when DATABASE_URL is set, PGlite otherwise), applies
 * migrations, and checks that the role in use is subject to row-level security.
 */
export async function openDatabase(config: PilotConfig, log: DbLogger): Promise<Db> {
  if (config.databaseUrl) {
    const db = await PostgresDb.open({
      connectionString: config.databaseUrl,
      poolMax: config.databasePoolMax,
      queryTimeoutMs: config.databaseQueryTimeoutMs,
      acquireTimeoutMs: config.databaseAcquireTimeoutMs,
      onPoolError: (err) => log.error({ err: { message: err.message } }, 'idle database connection failed'),
    });
    try {
      await assertRoleIsRestricted(db);
      // Several instances may start at once: one migrates, the others wait on the lock.
      const applied = await db.withClient(
        async (c) => {
          await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
          try {
            return await migrate(c);
          } finally {
            await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
          }
        },
        // Waiting for another instance's migrations, and running ours, may outlast a request's statement.
        { timeoutMs: MIGRATION_TIMEOUT_MS },
      );
      if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');
      return db;
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
  }
  const db = await PgliteDb.open(config.dataDir, { acquireTimeoutMs: config.databaseAcquireTimeoutMs });
  try {
    const applied = await migrate({ query: (s, p) => db.query(s, p), exec: (s) => db.exec(s) });
    if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');
    await db.assumeAppRole();
    await assertRoleIsRestricted(db);
    return db;
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}

/** Refuses a superuser or BYPASSRLS role: with either, every tenant could read every row. */
export async function assertRoleIsRestricted(db: Db): Promise<void> {
  const r = await db.query<{ role: string; rolsuper: boolean; rolbypassrls: boolean }>(
    'SELECT current_user AS role, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
  );
  const row = r.rows[0];
  if (!row) throw new UnsafeDatabaseRoleError('(unknown)', ['not found in pg_roles']);
  const reasons: string[] = [];
  if (row.rolsuper) reasons.push('a superuser');
  if (row.rolbypassrls) reasons.push('BYPASSRLS');
  if (reasons.length > 0) throw new UnsafeDatabaseRoleError(row.role, reasons);
}
