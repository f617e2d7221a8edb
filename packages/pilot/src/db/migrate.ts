import { readdir, readFile } from 'node:fs/promises';
import { Umzug, type UmzugStorage } from 'umzug';
import type { Queryable } from './types.ts';

/** Directory of the SQL migrations; the same two levels up from src/db and dist/db. */
export const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);

/** Table recording applied migrations (umzug's custom storage). */
export const MIGRATIONS_TABLE = 'pilot_migrations';

/** What a migration needs: one connection that runs multi-statement scripts. */
export interface MigrationContext extends Queryable {
  exec(sql: string): Promise<void>;
}

const NAME = /^\d{4}_[a-z0-9_]+\.sql$/;

/** Names of the migration files shipped with this build, in order. */
export async function listMigrationFiles(): Promise<string[]> {
  const files = await readdir(MIGRATIONS_DIR);
  return files.filter((f) => NAME.test(f)).sort();
}

function storage(ctx: MigrationContext): UmzugStorage<MigrationContext> {
  return {
    async executed() {
      await ctx.exec(
        `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const r = await ctx.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY name`);
      return r.rows.map((x) => x.name);
    },
    async logMigration({ name }) {
      // Normally already recorded by the migration's own transaction; kept for umzug's contract.
      await ctx.query(`INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [name]);
    },
    async unlogMigration({ name }) {
      await ctx.query(`DELETE FROM ${MIGRATIONS_TABLE} WHERE name = $1`, [name]);
    },
  };
}

/**
 * Applies pending SQL migrations with umzug. Each file runs in one transaction together with the
 * row that records it, so a crash never leaves a half-applied migration marked as done (or the
 * reverse). Returns the names applied now.
 */
export async function migrate(ctx: MigrationContext): Promise<string[]> {
  const files = await listMigrationFiles();
  const umzug = new Umzug<MigrationContext>({
    context: ctx,
    storage: storage(ctx),
    logger: undefined,
    migrations: files.map((name) => ({
      name,
      up: async ({ context }) => {
        const sql = await readFile(new URL(name, MIGRATIONS_DIR), 'utf8');
        try {
          await context.exec(
            `BEGIN;\n${sql}\n;INSERT INTO ${MIGRATIONS_TABLE} (name) VALUES ('${name}');\nCOMMIT;`,
          );
        } catch (err) {
          await context.exec('ROLLBACK').catch(() => {});
          throw err;
        }
      },
    })),
  });
  const applied = await umzug.up();
  return applied.map((m) => m.name);
}

/** Migrations shipped with this build that the database has not recorded (empty = current). */
export async function pendingMigrations(q: Queryable): Promise<string[]> {
  const files = await listMigrationFiles();
  const r = await q.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const done = new Set(r.rows.map((x) => x.name));
  return files.filter((f) => !done.has(f));
}
