import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDb, type DbHandle } from "@finsentry/db";

/** Real services for integration tests; absent on a fresh developer machine, present in CI (.ci/run starts them). */
export const KAFKA_BROKERS = process.env.KAFKA_BROKERS?.split(",").filter(Boolean);
export const DATABASE_URL = process.env.DATABASE_URL;
export const haveKafka = !!KAFKA_BROKERS?.length;
export const havePostgres = !!DATABASE_URL && /^postgres/.test(DATABASE_URL);

/** Printed once per file that skips, so a skip is never silent. */
export function skipReason(needs: ("kafka" | "postgres")[]): string | null {
  const missing = needs.filter((n) => (n === "kafka" ? !haveKafka : !havePostgres));
  if (missing.length === 0) return null;
  const why = `skipped: needs ${missing.join(" + ")} (set ${missing.map((m) => (m === "kafka" ? "KAFKA_BROKERS" : "DATABASE_URL")).join(" and ")}; .ci/run starts both)`;
  console.warn(why);
  return why;
}

export const uniqueName = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;

/** A fresh database on the DATABASE_URL server, dropped by the returned function. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = new URL(DATABASE_URL!);
  const name = uniqueName("finsentry_t");
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes; returns the last value. */
export async function waitFor<T>(fn: () => Promise<T>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!last && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, everyMs));
    last = await fn();
  }
  return last;
}

/** Where a test can run its database: PGlite always, plus Postgres when DATABASE_URL points at one. */
export const dbKinds: ("pglite" | "pg")[] = havePostgres ? ["pglite", "pg"] : ["pglite"];

/** An open, migrated database of that kind — in-memory PGlite, or a throw-away Postgres database — and its cleanup. */
export async function openTestDb(kind: "pglite" | "pg"): Promise<{ db: DbHandle; drop(): Promise<void> }> {
  if (kind === "pglite") {
    const db = await openDb("memory://");
    return { db, drop: () => db.close() };
  }
  const t = await createTestDatabase();
  const db = await openDb(t.url);
  return {
    db,
    async drop() {
      await db.close();
      await t.drop();
    },
  };
}
