import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import { trainingRuns, type Db } from "@finsentry/db";

export type RunRow = typeof trainingRuns.$inferSelect;
export type RunTrigger = "manual" | "schedule" | "threshold" | "test";

/** Training run lifecycle. At most one run is `running` (a unique partial index is the lock). */
export class RunStore {
  constructor(private db: Db) {}

  /** Queues a run; a trigger during a run waits, it is never lost. Collapses into an already queued run. */
  async request(trigger: RunTrigger, by: string): Promise<RunRow> {
    const [queued] = await this.db.select().from(trainingRuns).where(eq(trainingRuns.status, "queued")).limit(1);
    if (queued) return queued;
    const [row] = await this.db.insert(trainingRuns).values({ id: randomUUID(), status: "queued", trigger, requestedBy: by }).returning();
    return row!;
  }

  /** Takes the oldest queued run unless one is running; returns null when nothing can start. */
  async claim(parentId: string | null): Promise<RunRow | null> {
    const [next] = await this.db.select().from(trainingRuns).where(eq(trainingRuns.status, "queued")).orderBy(asc(trainingRuns.createdAt)).limit(1);
    if (!next) return null;
    try {
      const [row] = await this.db
        .update(trainingRuns)
        .set({ status: "running", parentId, startedAt: sql`now()`, heartbeatAt: sql`now()` })
        .where(and(eq(trainingRuns.id, next.id), eq(trainingRuns.status, "queued")))
        .returning();
      return row ?? null;
    } catch (err) {
      // Unique violation: another trainer holds the running slot.
      const e = err as { code?: string; cause?: { code?: string } };
      if (e.code === "23505" || e.cause?.code === "23505") return null;
      throw err;
    }
  }

  async heartbeat(id: string, progress?: Record<string, unknown>): Promise<void> {
    await this.db.update(trainingRuns).set({ heartbeatAt: sql`now()`, ...(progress ? { progress, history: sql`${trainingRuns.history} || ${JSON.stringify([progress])}::jsonb` } : {}) }).where(eq(trainingRuns.id, id));
  }

  async finish(id: string, status: "promoted" | "rejected" | "failed", fields: { reason?: string; gate?: Record<string, unknown>; challengerId?: string | null }): Promise<void> {
    await this.db
      .update(trainingRuns)
      .set({ status, finishedAt: sql`now()`, reason: fields.reason ?? null, gate: fields.gate ?? null, challengerId: fields.challengerId ?? null })
      .where(eq(trainingRuns.id, id));
  }

  /** Runs left `running` by a crashed trainer become `failed` with the reason, so nothing is stuck. */
  async failStale(staleMs: number): Promise<number> {
    const cutoff = new Date(Date.now() - staleMs).toISOString();
    const r = await this.db
      .update(trainingRuns)
      .set({ status: "failed", finishedAt: sql`now()`, reason: sql`'trainer stopped during the run (no heartbeat since ' || ${trainingRuns.heartbeatAt}::text || ')'` })
      .where(and(eq(trainingRuns.status, "running"), lt(trainingRuns.heartbeatAt, cutoff)))
      .returning({ id: trainingRuns.id });
    return r.length;
  }

  async list(limit = 50): Promise<RunRow[]> {
    return this.db.select().from(trainingRuns).orderBy(desc(trainingRuns.createdAt)).limit(limit);
  }

  async get(id: string): Promise<RunRow | null> {
    const [r] = await this.db.select().from(trainingRuns).where(eq(trainingRuns.id, id));
    return r ?? null;
  }

  /** When the last finished run started: labels after it are "new". */
  async lastFinishedStart(): Promise<string | null> {
    const [r] = await this.db.select({ at: trainingRuns.startedAt }).from(trainingRuns).where(sql`status in ('promoted','rejected')`).orderBy(desc(trainingRuns.startedAt)).limit(1);
    return r?.at ?? null;
  }
}
