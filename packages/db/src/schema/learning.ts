import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });

/** Immutable model versions (files live in the model store at `uri`); exactly one is the champion. */
export const modelVersions = pgTable(
  "model_versions",
  {
    id: text("id").primaryKey(),
    parentId: text("parent_id"),
    uri: text("uri").notNull(),
    status: text("status").notNull(), // registered | champion | retired | rejected
    metrics: jsonb("metrics").$type<Record<string, unknown>>().notNull(),
    dataSummary: jsonb("data_summary").$type<Record<string, unknown>>().notNull(),
    createdAt: tz("created_at")
      .notNull()
      .default(sql`now()`),
    promotedAt: tz("promoted_at"),
    promotedBy: text("promoted_by"),
  },
  (t) => [
    uniqueIndex("model_versions_one_champion")
      .on(t.status)
      .where(sql`status = 'champion'`),
  ],
);

/** Promotion history: what served before, so a rollback knows where to go. */
export const modelPromotions = pgTable("model_promotions", {
  id: text("id").primaryKey(),
  versionId: text("version_id").notNull(),
  previousId: text("previous_id"),
  kind: text("kind").notNull(), // promote | rollback
  by: text("by").notNull(),
  at: tz("at")
    .notNull()
    .default(sql`now()`),
});

/** Training runs; at most one `running` (the lock), later triggers wait as `queued`. */
export const trainingRuns = pgTable(
  "training_runs",
  {
    id: text("id").primaryKey(),
    status: text("status").notNull(), // queued | running | promoted | rejected | failed
    trigger: text("trigger").notNull(), // manual | schedule | threshold | test
    requestedBy: text("requested_by").notNull(),
    parentId: text("parent_id"),
    challengerId: text("challenger_id"),
    progress: jsonb("progress").$type<Record<string, unknown>>(),
    history: jsonb("history")
      .$type<Record<string, unknown>[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    gate: jsonb("gate").$type<Record<string, unknown>>(),
    reason: text("reason"),
    createdAt: tz("created_at")
      .notNull()
      .default(sql`now()`),
    startedAt: tz("started_at"),
    heartbeatAt: tz("heartbeat_at"),
    finishedAt: tz("finished_at"),
  },
  (t) => [
    uniqueIndex("training_runs_one_running")
      .on(t.status)
      .where(sql`status = 'running'`),
    index("training_runs_created_idx").on(t.createdAt),
  ],
);
