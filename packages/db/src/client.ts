import { fileURLToPath } from "node:url";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import * as schema from "./schema/index.ts";

export type Schema = typeof schema;
/** Either driver: both speak the same Postgres dialect through drizzle. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface DbHandle {
  db: Db;
  kind: "pg" | "pglite";
  /** Raw SQL for the few statements drizzle cannot express (LISTEN/NOTIFY, advisory locks). */
  exec(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  close(): Promise<void>;
}

const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));

/**
 * Opens the database: real Postgres when `url` is a postgres:// URL, otherwise embedded PGlite
 * (in memory when `url` is undefined or "memory://", or on disk at a directory path / "file://…").
 * Migrations are applied on open.
 */
export async function openDb(
  url?: string,
  opts: {
    migrate?: boolean;
    poolSize?: number;
    /** Told when an idle pooled connection fails (default: one line on stderr); the pool replaces it. */
    onIdleError?: (err: Error) => void;
  } = {},
): Promise<DbHandle> {
  const migrate = opts.migrate ?? true;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
    // An idle connection that Postgres ends (a restart, pg_terminate_backend, DROP DATABASE … WITH (FORCE)) is
    // emitted as 'error' on the pool: without a listener that is an uncaught exception that ends the process.
    pool.on("error", opts.onIdleError ?? ((err) => process.stderr.write(`[db] idle Postgres connection failed: ${err.message}\n`)));
    const db = drizzlePg(pool, { schema });
    if (migrate) await migratePg(db, { migrationsFolder });
    return {
      db: db as unknown as Db,
      kind: "pg",
      exec: async (sql, params) => {
        const r = await pool.query(sql, params as unknown[]);
        return { rows: r.rows };
      },
      close: () => pool.end(),
    };
  }
  const dataDir = !url || url === "memory://" ? undefined : url.replace(/^file:\/\//, "");
  const client = new PGlite(dataDir);
  const db = drizzlePglite(client, { schema });
  if (migrate) await migratePglite(db, { migrationsFolder });
  return {
    db: db as unknown as Db,
    kind: "pglite",
    exec: async (sql, params) => {
      const r = await client.query<Record<string, unknown>>(sql, params as unknown[]);
      return { rows: r.rows };
    },
    close: () => client.close(),
  };
}
