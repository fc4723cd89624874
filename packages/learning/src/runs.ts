import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import { trainingRuns, type Db } from "@finsentry/db";

export type RunRow = typeof trainingRuns.$inferSelect;
export type RunTrigger = "manual" | "schedule" | "threshold" | "test";

/** How long a `running` run may go without a heartbeat before it counts as abandoned (TRAIN_STALE_MS, default 60 s). */
export function defaultStaleMs(env: Record<string, string | undefined> = process.env): number {
  const v = Number(env.TRAIN_STALE_MS);
  return Number.isFinite(v) && v >= 1000 ? v : 60_000;
}

/**
 * Training run lifecycle. At most one run is `running` (a unique partial index is the lock). The trainer holding it
 * keeps it by heartbeat: a run without one for `staleMs` is abandoned (its trainer died or hangs) and becomes
 * `failed`. Every claim, and every read (the API's listing, the dashboard), settles abandoned runs first, so a dead
 * trainer's run never shows as `running` — whether or not any trainer is alive — and a run whose trainer is alive is
 * never failed, however many trainers start.
 */
export class RunStore {
  readonly staleMs: number;

  constructor(
    private db: Db,
    opts: { staleMs?: number } = {},
  ) {
    this.staleMs = opts.staleMs ?? defaultStaleMs();
  }

  /** Queues a run; a trigger during a run waits, it is never lost. Collapses into an already queued run. */
  async request(trigger: RunTrigger, by: string): Promise<RunRow> {
    const [queued] = await this.db.select().from(trainingRuns).where(eq(trainingRuns.status, "queued")).limit(1);
    if (queued) return queued;
    const [row] = await this.db.insert(trainingRuns).values({ id: randomUUID(), status: "queued", trigger, requestedBy: by }).returning();
    return row!;
  }

  /** Takes the oldest queued run unless one is running; returns null when nothing can start. */
  async claim(parentId: string | null): Promise<RunRow | null> {
    await this.failStale();
    const [next] = await this.db
      .select()
      .from(trainingRuns)
      .where(eq(trainingRuns.status, "queued"))
      .orderBy(asc(trainingRuns.createdAt))
      .limit(1);
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

  /**
   * Renews the run's lease (and records progress). Returns false when the run is no longer `running` — it was
   * settled as abandoned — so its trainer must not register or promote anything from it.
   */
  async heartbeat(id: string, progress?: Record<string, unknown>): Promise<boolean> {
    const r = await this.db
      .update(trainingRuns)
      .set({
        heartbeatAt: sql`now()`,
        ...(progress ? { progress, history: sql`${trainingRuns.history} || ${JSON.stringify([progress])}::jsonb` } : {}),
      })
      .where(and(eq(trainingRuns.id, id), eq(trainingRuns.status, "running")))
      .returning({ id: trainingRuns.id });
    return r.length > 0;
  }

  /** Ends a running run; false when it had already ended (e.g. settled as abandoned), which then stays as it was. */
  async finish(
    id: string,
    status: "promoted" | "rejected" | "failed",
    fields: { reason?: string; gate?: Record<string, unknown>; challengerId?: string | null },
  ): Promise<boolean> {
    const r = await this.db
      .update(trainingRuns)
      .set({
        status,
        finishedAt: sql`now()`,
        reason: fields.reason ?? null,
        gate: fields.gate ?? null,
        challengerId: fields.challengerId ?? null,
      })
      .where(and(eq(trainingRuns.id, id), eq(trainingRuns.status, "running")))
      .returning({ id: trainingRuns.id });
    return r.length > 0;
  }

  /**
   * Runs whose trainer stopped heartbeating for `staleMs` (it crashed, was killed, or hangs) become `failed` with
   * the reason, so nothing is stuck. Judged on the database's clock alone (heartbeats are written with its now()).
   */
  async failStale(staleMs = this.staleMs): Promise<number> {
    const secs = Math.max(0, staleMs) / 1000;
    const r = await this.db
      .update(trainingRuns)
      .set({
        status: "failed",
        finishedAt: sql`now()`,
        reason: sql`'trainer stopped during the run: no heartbeat for more than ' || ${String(secs)} || ' s (last at ' || ${trainingRuns.heartbeatAt}::text || ')'`,
      })
      .where(and(eq(trainingRuns.status, "running"), lt(trainingRuns.heartbeatAt, sql`now() - make_interval(secs => ${secs})`)))
      .returning({ id: trainingRuns.id });
    return r.length;
  }

  /** Recent runs, newest first; abandoned runs are settled first, so none shows as running without a live trainer. */
  async list(limit = 50): Promise<RunRow[]> {
    await this.failStale();
    return this.db.select().from(trainingRuns).orderBy(desc(trainingRuns.createdAt)).limit(limit);
  }

  async get(id: string): Promise<RunRow | null> {
    await this.failStale();
    const [r] = await this.db.select().from(trainingRuns).where(eq(trainingRuns.id, id));
    return r ?? null;
  }

  /** When the last finished run started: labels after it are "new". */
  async lastFinishedStart(): Promise<string | null> {
    const [r] = await this.db
      .select({ at: trainingRuns.startedAt })
      .from(trainingRuns)
      .where(sql`status in ('promoted','rejected')`)
      .orderBy(desc(trainingRuns.startedAt))
      .limit(1);
    return r?.at ?? null;
  }
}
