import pg from 'pg';
import type { Db, Queryable, QueryResult, TxOptions } from './types.ts';

/** Options of {@link PostgresDb.open}. */
export interface PostgresOptions {
  connectionString: string;
  poolMax: number;
  /** Called when an idle pooled connection fails (the pool replaces it); must not throw. */
  onPoolError?: (err: Error) => void;
}

/** PostgreSQL through a pg pool; transactions hold one pooled connection each. */
export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  #closed = false;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Creates the pool and checks the server answers. */
  static async open(o: PostgresOptions): Promise<PostgresDb> {
    const pool = new pg.Pool({
      connectionString: o.connectionString,
      max: o.poolMax,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 15_000,
      application_name: 'pilot',
    });
    pool.on('error', (err) => o.onPoolError?.(err));
    const db = new PostgresDb(pool);
    try {
      await db.ping();
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return db;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>> {
    const r = await this.#pool.query(sql, params);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
  }

  /** Runs a multi-statement script (migrations) on one connection; no parameters. */
  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql);
  }

  /** Runs `fn` with one dedicated connection (e.g. to hold a session-level advisory lock). */
  async withClient<T>(fn: (q: Queryable & { exec(sql: string): Promise<void> }) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      return await fn({
        query: async <R>(sql: string, params?: unknown[]) => {
          const r = await client.query(sql, params);
          return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
        },
        // Multi-statement scripts go through the simple protocol, which returns one result per statement.
        exec: async (sql: string) => {
          await client.query(sql);
        },
      });
    } finally {
      client.release();
    }
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>, options: TxOptions = {}): Promise<T> {
    const client = await this.#pool.connect();
    const q: Queryable = {
      query: async <R>(sql: string, params?: unknown[]) => {
        const r = await client.query(sql, params);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
      },
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      if (options.tenantId !== undefined) {
        await client.query("SELECT set_config('app.tenant_id', $1, true)", [options.tenantId]);
      }
      const result = await fn(q);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw err;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: drop it instead of reusing it.
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
