/** Rows and the number of rows a statement changed. */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/** Anything that runs parameterised SQL: the database itself or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

/** Options of {@link Db.tx}. */
export interface TxOptions {
  /**
   * Tenant whose rows the transaction may see. Set with `set_config('app.tenant_id', $1, true)`
   * (transaction-local), which the row-level security policies read. Omit it and tenant tables
   * show 0 rows.
   */
  tenantId?: string;
}

/**
 * The one storage interface the routes use, implemented over PGlite (embedded) and pg (PostgreSQL).
 * The same SQL runs on both.
 */
export interface Db {
  readonly kind: 'pglite' | 'postgres';
  /** Runs one statement outside any tenant context. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs `fn` in a transaction; commits when it resolves, rolls back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>, options?: TxOptions): Promise<T>;
  /** Cheap round trip for readiness probes. */
  ping(): Promise<void>;
  /** Releases the connection(s); further calls fail. */
  close(): Promise<void>;
  readonly closed: boolean;
}
