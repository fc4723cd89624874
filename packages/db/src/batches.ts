import type { sql } from "drizzle-orm";
import type { Db } from "./client.ts";

/** Rows per bounded DELETE of the retention jobs: short transactions, no long locks on busy tables. */
export const DELETE_BATCH = 5_000;

type Row = Record<string, unknown>;
const countOf = (r: unknown): number => {
  const rows = Array.isArray(r) ? (r as Row[]) : ((r as { rows?: Row[] }).rows ?? []);
  return Number(rows[0]?.n ?? 0);
};

/**
 * Repeats a bounded DELETE until it removes fewer rows than a batch. `statement(limit)` deletes at most `limit` rows
 * and selects their count as `n` (on pg and PGlite alike). Returns the total removed.
 */
export async function deleteInBatches(db: Db, statement: (limit: number) => ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = countOf(await db.execute(statement(DELETE_BATCH)));
    total += n;
    if (n < DELETE_BATCH) return total;
  }
}
