import { sql } from "drizzle-orm";
import { deleteInBatches, type Db } from "@finsentry/db";

const DAY = 86_400_000;
/**
 * Succeeded deliveries delivered before `before`, with their attempts (cascade). Pending and in-flight deliveries are
 * never touched, and dead ones have their own retention. A delivery row is also what stops a replayed alert event
 * from being delivered twice (unique event + subscription), so keep them longer than the alerts topic retains events.
 */
export async function pruneSucceededDeliveries(db: Db, before: Date): Promise<number> {
  return pruneDeliveries(db, "succeeded", before);
}

/** Dead-lettered deliveries (retries exhausted, replayable through the API) that died before `before`. */
export async function pruneDeadDeliveries(db: Db, before: Date): Promise<number> {
  return pruneDeliveries(db, "dead", before);
}

/** Deliveries in a terminal state that reached it (delivered_at / dead_at) before `before`; attempts go by cascade. */
function pruneDeliveries(db: Db, status: "succeeded" | "dead", before: Date): Promise<number> {
  const at = status === "succeeded" ? sql`delivered_at` : sql`dead_at`;
  return deleteInBatches(
    db,
    (limit) => sql`
    with gone as (
      delete from webhook_deliveries where id in (
        select id from webhook_deliveries where status = ${status} and ${at} < ${before.toISOString()} limit ${limit})
      returning 1)
    select count(*)::int as n from gone`,
  );
}

/**
 * Attempt rows started before `before`, except each delivery's latest attempt (the one that explains its current
 * state on the dashboard and in a replay decision).
 */
export async function pruneAttempts(db: Db, before: Date): Promise<number> {
  return deleteInBatches(
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
