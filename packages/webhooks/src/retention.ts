import { sql } from "drizzle-orm";
import type { Db } from "@finsentry/db";

const DAY = 86_400_000;
const BATCH = 5_000;

type Row = Record<string, unknown>;
const countOf = (r: unknown): number => Number(((Array.isArray(r) ? r : ((r as { rows?: Row[] }).rows ?? [])) as Row[])[0]?.n ?? 0);

async function inBatches(db: Db, statement: (limit: number) => ReturnType<typeof sql>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = countOf(await db.execute(statement(BATCH)));
    total += n;
    if (n < BATCH) return total;
  }
}

/**
 * Succeeded deliveries delivered before `before`, with their attempts (cascade). Pending and in-flight deliveries are
 * never touched, and dead ones have their own retention. A delivery row is also what stops a replayed alert event
 * from being delivered twice (unique event + subscription), so keep them longer than the alerts topic retains events.
 */
export async function pruneSucceededDeliveries(db: Db, before: Date): Promise<number> {
  return inBatches(
    db,
    (limit) => sql`
    with gone as (
      delete from webhook_deliveries where id in (
        select id from webhook_deliveries where status = 'succeeded' and delivered_at < ${before.toISOString()} limit ${limit})
      returning 1)
    select count(*)::int as n from gone`,
  );
}

/** Dead-lettered deliveries (retries exhausted, replayable through the API) that died before `before`. */
export async function pruneDeadDeliveries(db: Db, before: Date): Promise<number> {
  return inBatches(
    db,
    (limit) => sql`
    with gone as (
      delete from webhook_deliveries where id in (
        select id from webhook_deliveries where status = 'dead' and dead_at < ${before.toISOString()} limit ${limit})
      returning 1)
    select count(*)::int as n from gone`,
  );
}

/**
 * Attempt rows started before `before`, except each delivery's latest attempt (the one that explains its current
 * state on the dashboard and in a replay decision).
 */
export async function pruneAttempts(db: Db, before: Date): Promise<number> {
  return inBatches(
    db,
    (limit) => sql`
    with doomed as (
      select a.id from webhook_attempts a
       where a.started_at < ${before.toISOString()}
         and exists (select 1 from webhook_attempts b where b.delivery_id = a.delivery_id and (b.attempt, b.id) > (a.attempt, a.id))
       limit ${limit}),
    gone as (delete from webhook_attempts where id in (select id from doomed) returning 1)
    select count(*)::int as n from gone`,
  );
}

export interface WebhookRetention {
  /** Days to keep succeeded deliveries (0 = forever). */
  deliveriesDays: number;
  /** Days to keep attempt rows other than each delivery's latest (0 = forever). */
  attemptsDays: number;
  /** Days to keep dead-lettered deliveries (0 = forever). */
  deadDays: number;
}

/** Retention tasks (table label + delete step) for the alerter's retention job. */
export function webhookRetentionTasks(cfg: WebhookRetention): { table: string; run(db: Db, now: Date): Promise<number> }[] {
  const at = (now: Date, days: number) => new Date(now.getTime() - days * DAY);
  const tasks: { table: string; run(db: Db, now: Date): Promise<number> }[] = [];
  if (cfg.attemptsDays > 0) tasks.push({ table: "webhook_attempts", run: (db, now) => pruneAttempts(db, at(now, cfg.attemptsDays)) });
  if (cfg.deliveriesDays > 0)
    tasks.push({ table: "webhook_deliveries", run: (db, now) => pruneSucceededDeliveries(db, at(now, cfg.deliveriesDays)) });
  if (cfg.deadDays > 0) tasks.push({ table: "webhook_dead_letters", run: (db, now) => pruneDeadDeliveries(db, at(now, cfg.deadDays)) });
  return tasks;
}
