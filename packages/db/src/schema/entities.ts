import { sql } from "drizzle-orm";
import { bigint, bigserial, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * The entity registry (issue 20): one row per canonical entity, keyed `E:<id>` in mentions and alerts. A merged entity
 * keeps its row (so its id still answers and a split can revive it) with `merged_into` set; it takes no part in
 * resolution, and its aliases have moved to the target.
 */
export const entities = pgTable(
  "entities",
  {
    id: text("id").primaryKey(),
    /** instrument | person | place */
    kind: text("kind").notNull(),
    name: text("name").notNull(),
    ticker: text("ticker"),
    exchange: text("exchange"),
    mergedInto: text("merged_into"),
    createdAt: tz("created_at")
      .notNull()
      .default(sql`now()`),
    updatedAt: tz("updated_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [index("entities_merged_into_idx").on(t.mergedInto), index("entities_ticker_idx").on(t.ticker)],
);

/** Surface forms of an entity. `alias_norm` (normaliseAlias) is unique over the whole registry: a collision is an error. */
export const entityAliases = pgTable(
  "entity_aliases",
  {
    entityId: text("entity_id")
      .notNull()
      .references(() => entities.id, { onDelete: "cascade" }),
    aliasNorm: text("alias_norm").notNull(),
    aliasText: text("alias_text").notNull(),
    createdAt: tz("created_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [uniqueIndex("entity_aliases_norm_uq").on(t.aliasNorm), index("entity_aliases_entity_idx").on(t.entityId)],
);

/** Every change to the registry, with who made it; `version` is the registry version the change produced. */
export const entityChanges = pgTable(
  "entity_changes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    at: tz("at")
      .notNull()
      .default(sql`now()`),
    actor: text("actor").notNull(),
    /** add_entity | add_alias | remove_alias | merge | split | seed */
    action: text("action").notNull(),
    /** The ids the change touched, for an entity's history. */
    entityIds: jsonb("entity_ids").$type<string[]>().notNull(),
    version: bigint("version", { mode: "number" }).notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
  },
  (t) => [index("entity_changes_at_idx").on(t.at)],
);

/** One row (id 1): bumped in the same transaction as every change, so scorers reload when it moves. */
export const registryVersion = pgTable(
  "registry_version",
  {
    id: integer("id").primaryKey().default(1),
    version: bigint("version", { mode: "number" }).notNull(),
    updatedAt: tz("updated_at")
      .notNull()
      .default(sql`now()`),
  },
  (t) => [check("registry_version_single_row", sql`${t.id} = 1`)],
);

/**
 * What each seed source (a listings directory, the demo's companies) last seeded: a content hash of the entities it
 * seeded and the registry version after. A scorer skips a seed whose content is unchanged since (issue 20).
 */
export const entitySeeds = pgTable("entity_seeds", {
  source: text("source").primaryKey(),
  contentHash: text("content_hash").notNull(),
  entities: integer("entities").notNull(),
  /** The registry version once seeded: a registry rebuilt since (a lower version) is seeded again. */
  registryVersion: bigint("registry_version", { mode: "number" }).notNull(),
  seededAt: tz("seeded_at")
    .notNull()
    .default(sql`now()`),
});
