import { sql } from "drizzle-orm";
import { z } from "zod";
import { parseEnv, type Logger } from "@finsentry/core";
import { deleteInBatches, type Db } from "@finsentry/db";
import { m } from "./metrics.ts";

const days = (def: number) => z.coerce.number().min(0).max(36_500).default(def);

/**
 * How long each kind of operational record is kept, in days (0 = forever), and how often the job runs. What is
 * deleted is never what a window, an alert's evidence or an entity page reads (see the functions below).
 */
export const RetentionConfig = z.object({
  /** `late_items` rows (diagnostics: items that arrived behind the watermark), by when they were recorded. */
  RETENTION_LATE_ITEMS_DAYS: days(30),
  /** Superseded `scores` rows (an item rescored by a later model version), by scored_at; an item's newest score is kept. */
  RETENTION_SCORES_DAYS: days(90),
  /** Succeeded webhook deliveries (with their attempts), by delivered_at. Keep it longer than the alerts topic's retention. */
  RETENTION_WEBHOOK_DELIVERIES_DAYS: days(30),
  /** Webhook attempt rows, by started_at; each delivery keeps its latest attempt while the delivery is kept. */
  RETENTION_WEBHOOK_ATTEMPTS_DAYS: days(7),
  /** Dead-lettered webhook deliveries (exhausted retries, replayable until then), by dead_at. */
  RETENTION_DEAD_LETTERS_DAYS: days(90),
  /** Minutes between runs on the alerter leader (0 = never). */
  RETENTION_INTERVAL_MINUTES: z.coerce.number().min(0).max(10_080).default(60),
});
export type RetentionConfig = z.infer<typeof RetentionConfig>;

export function loadRetentionConfig(env: Record<string, string | undefined> = process.env): RetentionConfig {
  return parseEnv(RetentionConfig, env, "retention configuration");
}

const DAY = 86_400_000;
/** Rows per DELETE statement, so one run never holds many row locks or a long transaction. */

/** A cutoff `days` before `now`, or null when that kind is kept forever. */
export const cutoff = (now: Date, d: number): Date | null => (d > 0 ? new Date(now.getTime() - d * DAY) : null);

/**
 * Late-item records older than `before`. Nothing reads them back: the engine only inserts them (the idempotency set
 * is `alert_items`, pruned by the engine itself), so they are pure diagnostics.
 */
export async function pruneLateItems(db: Db, before: Date): Promise<number> {
  return deleteInBatches(
    db,
    (limit) => sql`
    with gone as (
      delete from late_items where item_id in (select item_id from late_items where recorded_at < ${before.toISOString()} limit ${limit})
      returning 1)
    select count(*)::int as n from gone`,
  );
}

/**
 * Score rows older than `before` that are not their item's newest score (newest = greatest (scored_at,
 * model_version), the order the scorer uses to copy a score onto the entity mentions). Every reader takes the newest
 * score — item lists and details, alert evidence, backtests, the drift series — and the entity pages read the copy on
 * `entity_mentions`, so only superseded answers of earlier model versions go.
 */
export async function pruneSupersededScores(db: Db, before: Date): Promise<number> {
  return deleteInBatches(
    db,
    (limit) => sql`
    with doomed as (
      select s.item_id, s.model_version from scores s
       where s.scored_at < ${before.toISOString()}
         and exists (select 1 from scores n where n.item_id = s.item_id and (n.scored_at, n.model_version) > (s.scored_at, s.model_version))
       limit ${limit}),
    gone as (
      delete from scores s using doomed d where s.item_id = d.item_id and s.model_version = d.model_version returning 1)
    select count(*)::int as n from gone`,
  );
}

/** One retention step: a table name (the metric label) and what to delete now. */
export interface RetentionTask {
  table: string;
  run(db: Db, now: Date): Promise<number>;
}

/** The alert side's tasks for a configuration (webhook tasks come from @finsentry/webhooks). */
export function alertRetentionTasks(cfg: RetentionConfig): RetentionTask[] {
  const tasks: RetentionTask[] = [];
  if (cfg.RETENTION_LATE_ITEMS_DAYS > 0)
    tasks.push({ table: "late_items", run: (db, now) => pruneLateItems(db, cutoff(now, cfg.RETENTION_LATE_ITEMS_DAYS)!) });
  if (cfg.RETENTION_SCORES_DAYS > 0)
    tasks.push({ table: "scores", run: (db, now) => pruneSupersededScores(db, cutoff(now, cfg.RETENTION_SCORES_DAYS)!) });
  return tasks;
}

/** Runs every task once; returns rows deleted per table. A failing task is logged and the others still run. */
export async function runRetention(db: Db, tasks: RetentionTask[], log: Logger, now = new Date()): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let failed = false;
  for (const t of tasks) {
    try {
      const n = await t.run(db, now);
      out[t.table] = (out[t.table] ?? 0) + n;
      m.retentionDeleted.inc({ table: t.table }, n);
    } catch (err) {
      failed = true;
      log.error({ err, table: t.table }, "retention task failed");
    }
  }
  m.retentionRuns.inc({ outcome: failed ? "error" : "ok" });
  m.retentionLastRun.set(Date.now() / 1000);
  if (Object.values(out).some((n) => n > 0)) log.info({ deleted: out }, "retention: old rows deleted");
  return out;
}

/**
 * Runs the retention tasks every `intervalMinutes` (first run after `firstDelayMs`), one run at a time. The alerter
 * starts it while it holds the lease, so exactly one process deletes. Returns its stop function.
 */
export function startRetention(deps: {
  db: Db;
  log: Logger;
  tasks: RetentionTask[];
  intervalMinutes: number;
  firstDelayMs?: number;
}): () => Promise<void> {
  const { db, log, tasks } = deps;
  if (deps.intervalMinutes <= 0 || tasks.length === 0) return async () => {};
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const go = () => {
    if (stopped || running) return;
    running = runRetention(db, tasks, log).finally(() => (running = null));
  };
  const first = setTimeout(() => {
    go();
    timer.refresh();
  }, deps.firstDelayMs ?? 60_000);
  const timer = setInterval(go, deps.intervalMinutes * 60_000);
  first.unref();
  timer.unref();
  log.info({ tables: tasks.map((t) => t.table), everyMinutes: deps.intervalMinutes }, "retention job scheduled");
  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
    await running?.catch(() => undefined);
  };
}
