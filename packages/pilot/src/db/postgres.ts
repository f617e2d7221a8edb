import pg from 'pg';
import { classifyDatabaseError, isDatabaseUnavailable } from './errors.ts';
import type { Db, Queryable, QueryResult, TxOptions } from './types.ts';

/** Options of {@link PostgresDb.open}. */
export interface PostgresOptions {
  connectionString: string;
  poolMax: number;
  /** Limit of one statement: PostgreSQL's statement_timeout, and (plus a margin) the client's own. */
  queryTimeoutMs?: number;
  /** Longest wait for a pooled connection, connecting included. */
  acquireTimeoutMs?: number;
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
    const queryTimeoutMs = o.queryTimeoutMs ?? 5_000;
    const pool = new pg.Pool({
      connectionString: o.connectionString,
      max: o.poolMax,
      // Waiting for a free connection and opening one: bounded, or a saturated or unreachable server
      // holds every request for as long as it lasts.
      connectionTimeoutMillis: o.acquireTimeoutMs ?? 2_000,
      idleTimeoutMillis: 30_000,
      // The server cancels a slow statement itself (and the connection stays usable)...
      statement_timeout: queryTimeoutMs,
      // ...but it cannot when it is frozen or cut off: then the client gives up, a second later so the
      // server's cancellation wins whenever the server is alive. The connection is then discarded.
      query_timeout: queryTimeoutMs + 1_000,
      // Detects a peer that vanished (partition) on idle pooled connections.
      keepAlive: true,
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
    // pool.query destroys the connection of a failed query, so a timed-out one is never reused.
    const r = await this.#pool.query(sql, params).catch(rethrow);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
  }

  /** Runs a multi-statement script (migrations) on one connection; no parameters. */
  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql).catch(rethrow);
  }

  /**
   * Runs `fn` with one dedicated connection (e.g. to hold a session-level advisory lock). Statements
   * on it may run up to `timeoutMs` (default: the pool's query timeout): migrations and waiting for
   * another instance's migration lock take longer than a request's statement may.
   */
  async withClient<T>(
    fn: (q: Queryable & { exec(sql: string): Promise<void> }) => Promise<T>,
    o: { timeoutMs?: number } = {},
  ): Promise<T> {
    const client = await this.#pool.connect().catch(rethrow);
    const long = o.timeoutMs !== undefined;
    let broken = false;
    // Client-side limit per statement (pg's query_timeout), a second above the server's own.
    const run = (text: string, values?: unknown[]) =>
      client.query((long ? { text, values, query_timeout: o.timeoutMs! + 1_000 } : { text, values }) as pg.QueryConfig);
    try {
      if (long) await run(`SET statement_timeout = ${Math.trunc(o.timeoutMs!)}`);
      const result = await fn({
        query: async <R>(sql: string, params?: unknown[]) => {
          const r = await run(sql, params);
          return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
        },
        // Multi-statement scripts go through the simple protocol, which returns one result per statement.
        exec: async (sql: string) => {
          await run(sql);
        },
      });
      // Back to the pool's statement_timeout (the connection's startup value).
      if (long) await run('RESET statement_timeout');
      return result;
    } catch (err) {
      broken = true;
      throw classifyDatabaseError(err);
    } finally {
      // A connection whose session settings or state are unknown is not reused.
      client.release(broken);
    }
  }

  async tx<T>(fn: (q: Queryable) => Promise<T>, options: TxOptions = {}): Promise<T> {
    const client = await this.#pool.connect().catch(rethrow);
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
      if (isDatabaseUnavailable(err)) {
        // A ROLLBACK would wait for the same dead server; the server rolls back when the
        // connection, destroyed below, goes away.
        broken = true;
      } else {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      }
      throw classifyDatabaseError(err);
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: drop it instead of reusing it.
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1').catch(rethrow);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

function rethrow(err: unknown): never {
  throw classifyDatabaseError(err);
}
