import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/** Alert rules; `definition` is the full zod-validated rule, the other columns are copies for filtering. */
export const alertRules = pgTable("alert_rules", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  type: text("type").notNull(),
  severity: text("severity").notNull(),
  enabled: boolean("enabled").notNull().default(true),
  definition: jsonb("definition").notNull(),
  /** Bumped on every change; the engine reloads when the (id, version) set differs from what it runs. */
  version: integer("version").notNull().default(1),
  source: text("source").notNull().default("api"),
  createdAt: tz("created_at")
    .notNull()
    .default(sql`now()`),
  updatedAt: tz("updated_at")
    .notNull()
    .default(sql`now()`),
  updatedBy: text("updated_by"),
});

/** One row per alert; at most one open (firing/acknowledged) alert per (rule, entity). Times are event time. */
export const alerts = pgTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    ruleId: text("rule_id").notNull(),
    ruleVersion: integer("rule_version").notNull(),
    ruleName: text("rule_name").notNull(),
    ruleType: text("rule_type").notNull(),
    entityKey: text("entity_key").notNull(),
    severity: text("severity").notNull(),
    state: text("state").notNull(),
    title: text("title").notNull(),
    summary: text("summary").notNull(),
    /** Latest window figures while the condition holds. */
    figures: jsonb("figures").$type<Record<string, number>>().notNull(),
    /** Window figures at fire time, never updated. */
    fireFigures: jsonb("fire_figures").$type<Record<string, number>>().notNull(),
    evidenceItemIds: jsonb("evidence_item_ids").$type<string[]>().notNull(),
    firedAt: tz("fired_at").notNull(),
    updatedAt: tz("updated_at").notNull(),
    acknowledgedAt: tz("acknowledged_at"),
    acknowledgedBy: text("acknowledged_by"),
    resolvedAt: tz("resolved_at"),
    resolvedBy: text("resolved_by"),
    resolveReason: text("resolve_reason"),
    /** Sequence of the last lifecycle event; event ids are `${id}:${seq}` so they are stable across replays. */
    lastEventSeq: integer("last_event_seq").notNull().default(0),
    createdAt: tz("created_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [
    uniqueIndex("alerts_open_rule_entity_uq")
      .on(t.ruleId, t.entityKey)
      .where(sql`state <> 'resolved'`),
    // One alert per (rule, entity, fire time) whatever the id says: two alerters (or a replay after a failover)
    // can never record the same episode twice.
    uniqueIndex("alerts_rule_entity_fired_uq").on(t.ruleId, t.entityKey, t.firedAt),
    index("alerts_state_fired_idx").on(t.state, t.firedAt),
    index("alerts_entity_fired_idx").on(t.entityKey, t.firedAt),
    index("alerts_fired_idx").on(t.firedAt),
  ],
);

/** Lifecycle events (fired/updated/acknowledged/resolved) with who/when; also the outbox for the `alerts` topic. */
export const alertEvents = pgTable(
  "alert_events",
  {
    id: text("id").primaryKey(),
    alertId: text("alert_id")
      .notNull()
      .references(() => alerts.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    type: text("type").notNull(),
    state: text("state").notNull(),
    actor: text("actor").notNull(),
    note: text("note"),
    at: tz("at").notNull(),
    payload: jsonb("payload").notNull(),
    published: boolean("published").notNull().default(false),
    createdAt: tz("created_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [
    uniqueIndex("alert_events_alert_seq_uq").on(t.alertId, t.seq),
    index("alert_events_unpublished_idx")
      .on(t.createdAt)
      .where(sql`published = false`),
  ],
);

/** What each counted item contributed per entity: the idempotency set and the source for rebuilding windows. */
export const alertItems = pgTable(
  "alert_items",
  {
    itemId: text("item_id").notNull(),
    entityKey: text("entity_key").notNull(),
    eventTime: bigint("event_time", { mode: "number" }).notNull(),
    score: real("score").notNull(),
    confidence: real("confidence").notNull(),
    bearish: boolean("bearish").notNull(),
    topic: text("topic").notNull(),
    topicConfidence: real("topic_confidence").notNull(),
    /** Sentiment label (bearish/neutral/bullish), for the drift rule's class shares; null on rows counted before it was kept. */
    sentiment: text("sentiment"),
    receivedAt: tz("received_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.itemId, t.entityKey] }), index("alert_items_event_time_idx").on(t.eventTime)],
);

/** Items that arrived behind the watermark (or implausibly far ahead of the clock). */
export const lateItems = pgTable(
  "late_items",
  {
    itemId: text("item_id").primaryKey(),
    entityKeys: jsonb("entity_keys").$type<string[]>().notNull(),
    eventTime: bigint("event_time", { mode: "number" }).notNull(),
    watermark: bigint("watermark", { mode: "number" }).notNull(),
    latenessMs: bigint("lateness_ms", { mode: "number" }).notNull(),
    reason: text("reason").notNull(),
    recordedAt: tz("recorded_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [index("late_items_recorded_idx").on(t.recordedAt)],
);

/** Engine checkpoint: per-partition max event time, watermark and how far each window spec has been evaluated. */
export const alertEngineState = pgTable("alert_engine_state", {
  id: text("id").primaryKey(),
  partitions: jsonb("partitions").$type<Record<string, number>>().notNull(),
  watermark: bigint("watermark", { mode: "number" }),
  specCursors: jsonb("spec_cursors").$type<Record<string, number>>().notNull(),
  updatedAt: tz("updated_at")
    .notNull()
    .default(sql`now()`),
});

/** EWMA baselines per (window spec, entity). */
export const alertBaselines = pgTable(
  "alert_baselines",
  {
    specKey: text("spec_key").notNull(),
    entityKey: text("entity_key").notNull(),
    state: jsonb("state").notNull(),
    updatedAt: tz("updated_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.specKey, t.entityKey] })],
);

/** Pending/cooldown state per (rule, entity), so `for` and cooldown survive restarts. */
export const alertRuleStates = pgTable(
  "alert_rule_states",
  {
    ruleId: text("rule_id").notNull(),
    entityKey: text("entity_key").notNull(),
    state: jsonb("state").notNull(),
    updatedAt: tz("updated_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.entityKey] })],
);

/**
 * Leader leases (alerter high availability): at most one holder per `name` at a time. A holder renews `expires_at`
 * (database clock) while it lives; another process may take the row once it has expired, bumping `epoch`. Writes made
 * as leader check the epoch inside their own transaction (fencing), so a paused or partitioned ex-leader cannot commit.
 */
export const leaderLeases = pgTable("leader_leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  epoch: bigint("epoch", { mode: "number" }).notNull(),
  acquiredAt: tz("acquired_at")
    .notNull()
    .default(sql`now()`),
  renewedAt: tz("renewed_at")
    .notNull()
    .default(sql`now()`),
  expiresAt: tz("expires_at").notNull(),
});
