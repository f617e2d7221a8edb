import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Mutex } from '../lib/mutex.ts';
import { type DataDirLock, lockDataDir } from './dir-lock.ts';
import { DatabaseUnavailableError } from './errors.ts';
import type { Db, Queryable, QueryResult, TxOptions } from './types.ts';

/** Role the embedded database switches to after migrations, so row-level security applies. */
export const PGLITE_APP_ROLE = 'pilot_app';

/**
 * Embedded PostgreSQL (PGlite, WebAssembly). Single connection: every statement and transaction
 * goes through one mutex. `dataDir` = `memory://` keeps the data in memory.
 */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  readonly #pg: PGlite;
  readonly #mutex = new Mutex();
  readonly #lock: DataDirLock | undefined;
  readonly #acquire: { timeoutMs?: number; onTimeout: () => Error };
  #closed = false;

  private constructor(pg: PGlite, lock: DataDirLock | undefined, acquireTimeoutMs: number | undefined) {
    this.#pg = pg;
    this.#lock = lock;
    // The one connection is held by a long statement or a queue of them: a request gives up after
    // acquireTimeoutMs instead of waiting for all of it.
    this.#acquire = {
      ...(acquireTimeoutMs === undefined ? {} : { timeoutMs: acquireTimeoutMs }),
      onTimeout: () => new DatabaseUnavailableError(`no connection free within ${acquireTimeoutMs} ms`),
    };
  }

  /**
   * Opens (and creates when needed) the database in `dataDir`, holding the directory's exclusive lock
   * until {@link close}: a second process on the same directory would run its own engine over the same
   * files and lose acknowledged writes, so it is refused ({@link DataDirLockedError}).
   */
  static async open(dataDir: string, o: { acquireTimeoutMs?: number } = {}): Promise<PgliteDb> {
    const onDisk = dataDir !== 'memory://' && !dataDir.includes('://');
    if (onDisk) mkdirSync(dataDir, { recursive: true });
    const lock = onDisk ? await lockDataDir(dataDir) : undefined;
    try {
      const pg = dataDir === 'memory://' ? new PGlite() : new PGlite(dataDir);
      await pg.waitReady;
      return new PgliteDb(pg, lock, o.acquireTimeoutMs);
    } catch (err) {
      await lock?.release();
      throw err;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  async #raw<T>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    const r = await this.#pg.query<T>(sql, params as never[] | undefined);
    // PGlite reports affectedRows 0 for SELECT; pg reports the row count. Align on pg.
    return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
  }

  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    return this.#mutex.run(() => this.#raw<T>(sql, params), this.#acquire);
  }

  /** Runs a multi-statement script (migrations); no parameters. */
  exec(sql: string): Promise<void> {
    return this.#mutex.run(async () => {
      await this.#pg.exec(sql);
    }, this.#acquire);
  }

  tx<T>(fn: (q: Queryable) => Promise<T>, options: TxOptions = {}): Promise<T> {
    return this.#mutex.run(async () => {
      await this.#pg.exec('BEGIN');
      const q: Queryable = { query: (sql, params) => this.#raw(sql, params) };
      try {
        if (options.tenantId !== undefined) {
          await this.#raw("SELECT set_config('app.tenant_id', $1, true)", [options.tenantId]);
        }
        const result = await fn(q);
        await this.#pg.exec('COMMIT');
        return result;
      } catch (err) {
        await this.#pg.exec('ROLLBACK').catch(() => {});
        throw err;
      }
    }, this.#acquire);
  }

  /**
   * PGlite runs as a superuser, and superusers bypass row-level security even with FORCE. After
   * migrations, create an ordinary role and switch the session to it for good.
   */
  async assumeAppRole(): Promise<void> {
    await this.exec(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PGLITE_APP_ROLE}') THEN
          CREATE ROLE ${PGLITE_APP_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB;
        END IF;
      END $$;
      GRANT USAGE ON SCHEMA public TO ${PGLITE_APP_ROLE};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${PGLITE_APP_ROLE};
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${PGLITE_APP_ROLE};
      SET ROLE ${PGLITE_APP_ROLE};
    `);
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Wait for the transaction in progress, if any, before closing the engine.
    try {
      await this.#mutex.run(() => this.#pg.close());
    } finally {
      // Only once the engine has flushed and closed may another process open the directory.
      await this.#lock?.release();
    }
  }
}
