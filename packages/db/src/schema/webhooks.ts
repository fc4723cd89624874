import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * A webhook endpoint and what it wants to hear about. Empty filter arrays mean "everything".
 * `secret` holds the signing secret as sealed by @finsentry/webhooks (AES-256-GCM `enc:v1:…` when
 * WEBHOOK_SECRET_KEY is configured, else the plain `whsec_…`): HMAC signing needs the key itself, so it cannot be hashed.
 */
export const webhookSubscriptions = pgTable("webhook_subscriptions", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  description: text("description").notNull().default(""),
  enabled: boolean("enabled").notNull().default(true),
  eventTypes: jsonb("event_types")
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'::jsonb`),
  severities: jsonb("severities")
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'::jsonb`),
  ruleIds: jsonb("rule_ids")
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'::jsonb`),
  entityKeys: jsonb("entity_keys")
    .$type<string[]>()
    .notNull()
    .default(sql`'[]'::jsonb`),
  secret: text("secret").notNull(),
  /** The secret being rotated out: deliveries are signed with both until `previous_secret_expires_at`. */
  previousSecret: text("previous_secret"),
  previousSecretExpiresAt: ts("previous_secret_expires_at"),
  secretRotatedAt: ts("secret_rotated_at"),
  /** Start of the current unbroken run of failed attempts; null after any success. Drives auto-disable. */
  failingSince: ts("failing_since"),
  disabledAt: ts("disabled_at"),
  disabledReason: text("disabled_reason"),
  createdAt: ts("created_at")
    .notNull()
    .default(sql`now()`),
  updatedAt: ts("updated_at")
    .notNull()
    .default(sql`now()`),
});

/**
 * The durable outbox: one row per (event, subscription). The id is the `webhook-id` header, stable across retries
 * and replays so receivers can deduplicate. Due rows: status pending|delivering with next_attempt_at <= now
 * (a claimed row's next_attempt_at is its lease expiry, so a crashed worker's rows come back by themselves).
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id")
      .notNull()
      .references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The exact JSON body sent, so every attempt carries identical bytes. */
    body: text("body").notNull(),
    /** pending | delivering | succeeded | dead */
    status: text("status").notNull().default("pending"),
    nextAttemptAt: ts("next_attempt_at").notNull(),
    /** Fencing token of the current claim; a worker whose lease expired cannot overwrite the new claimer's result. */
    lockToken: text("lock_token"),
    /** Attempts ever made (numbers the attempt rows). */
    attempts: integer("attempts").notNull().default(0),
    /** Position in the backoff schedule for the current round; reset by a replay. */
    retryIndex: integer("retry_index").notNull().default(0),
    replays: integer("replays").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: ts("created_at")
      .notNull()
      .default(sql`now()`),
    updatedAt: ts("updated_at")
      .notNull()
      .default(sql`now()`),
    deliveredAt: ts("delivered_at"),
    deadAt: ts("dead_at"),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event_sub_uq").on(t.eventId, t.subscriptionId),
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_sub_created_idx").on(t.subscriptionId, t.createdAt),
  ],
);

/** Every HTTP attempt of a delivery, for the dashboard and debugging. */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    subscriptionId: text("subscription_id").notNull(),
    attempt: integer("attempt").notNull(),
    startedAt: ts("started_at").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    statusCode: integer("status_code"),
    /** First ≤ 1 KB of the response body. */
    responseExcerpt: text("response_excerpt"),
    error: text("error"),
    /** success | retry | failed */
    outcome: text("outcome").notNull(),
    /** When the next attempt was scheduled because of this one (null when none). */
    retryAt: ts("retry_at"),
  },
  (t) => [index("webhook_attempts_delivery_idx").on(t.deliveryId, t.attempt)],
);

/** Things an admin should see on the dashboard, e.g. an endpoint auto-disabled after failing for too long. */
export const webhookNotices = pgTable(
  "webhook_notices",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    subscriptionId: text("subscription_id").references(() => webhookSubscriptions.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    message: text("message").notNull(),
    createdAt: ts("created_at")
      .notNull()
      .default(sql`now()`),
    acknowledgedAt: ts("acknowledged_at"),
  },
  (t) => [index("webhook_notices_created_idx").on(t.createdAt)],
);
