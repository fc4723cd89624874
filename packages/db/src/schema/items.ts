import { sql } from "drizzle-orm";
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, real, smallint, text, timestamp } from "drizzle-orm/pg-core";

/** One row per distinct item (id = content hash); written once by the scorer. */
export const items = pgTable(
  "items",
  {
    id: text("id").primaryKey(),
    externalId: text("external_id"),
    source: text("source").notNull(),
    stream: text("stream").notNull(),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "string" }).notNull(),
    ingestedAt: timestamp("ingested_at", { withTimezone: true, mode: "string" }).notNull(),
    text: text("text").notNull(),
    url: text("url"),
    author: text("author"),
    lang: text("lang"),
    raw: jsonb("raw"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" })
      .notNull()
      .default(sql`now()`),
  },
  (t) => [index("items_published_at_idx").on(t.publishedAt), index("items_stream_idx").on(t.stream, t.publishedAt)],
);

/**
 * Stored items whose scored event is not on items.scored yet (re-published on replay until then): one row per store,
 * holding the ids that store inserted, deleted once they are published. Only the stores in flight and what a crashed
 * scorer left for its replay live here. (A per-item flag on `items` rewrote every wide item row, and its three index
 * entries, a second time: docs/benchmarks.md, Pipeline.)
 */
export const scoredOutbox = pgTable("scored_outbox", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  itemIds: text("item_ids").array().notNull(),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "string" })
    .notNull()
    .default(sql`now()`),
});

/** The model's answer for an item, one row per (item, model version). */
export const scores = pgTable(
  "scores",
  {
    itemId: text("item_id")
      .notNull()
      .references(() => items.id, { onDelete: "cascade" }),
    modelVersion: text("model_version").notNull(),
    sentiment: text("sentiment").notNull(),
    sentimentScore: real("sentiment_score").notNull(),
    confidence: real("confidence").notNull(),
    topic: text("topic").notNull(),
    topicIndex: smallint("topic_index").notNull(),
    topicConfidence: real("topic_confidence").notNull(),
    output: jsonb("output").notNull(),
    scoredAt: timestamp("scored_at", { withTimezone: true, mode: "string" }).notNull(),
  },
  // The primary key leads with item_id, so it serves every lookup by item; a separate item_id index only cost a
  // third index write per stored item (docs/benchmarks.md, Pipeline).
  (t) => [primaryKey({ columns: [t.itemId, t.modelVersion] })],
);

/**
 * Entity mentions of an item, keyed by canonical entity (e.g. TICKER:TSLA).
 * The score columns are a copy of the item's most recent score (latest scored_at), written by the scorer in the
 * same transaction as the score, so the entity series reads mentions alone instead of probing `scores` once per
 * mention (docs/benchmarks.md, API). Null only for a mention whose item has no score.
 */
export const entityMentions = pgTable(
  "entity_mentions",
  {
    itemId: text("item_id")
      .notNull()
      .references(() => items.id, { onDelete: "cascade" }),
    start: integer("start").notNull(),
    end: integer("end").notNull(),
    entityKey: text("entity_key").notNull(),
    type: text("type").notNull(),
    text: text("text").notNull(),
    publishedAt: timestamp("published_at", { withTimezone: true, mode: "string" }).notNull(),
    sentiment: text("sentiment"),
    sentimentScore: real("sentiment_score"),
    confidence: real("confidence"),
    topic: text("topic"),
    /** Which score row the copy is: (item_id, model_version) in `scores`. */
    modelVersion: text("model_version"),
    scoredAt: timestamp("scored_at", { withTimezone: true, mode: "string" }),
  },
  (t) => [
    primaryKey({ columns: [t.itemId, t.start, t.end] }),
    // Covering (drizzle has no INCLUDE, so the fields are trailing key columns): the series and topic mix are one
    // index-only range scan. Replaces mentions_entity_time_idx (entity_key, published_at), its prefix.
    index("mentions_entity_time_score_idx").on(t.entityKey, t.publishedAt, t.sentiment, t.sentimentScore, t.confidence, t.topic),
  ],
);

/** Custom streams registered by users (Kafka topic + field mapping, or HTTP). */
export const streams = pgTable("streams", {
  id: text("id").primaryKey(),
  kind: text("kind").notNull(), // 'kafka' | 'http'
  topic: text("topic"),
  mapping: jsonb("mapping").notNull(),
  enabled: boolean("enabled").notNull().default(true),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "string" })
    .notNull()
    .default(sql`now()`),
});
