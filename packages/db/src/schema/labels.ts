import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Every label people gave, kept as history. The effective label of an item for a task is the one from the highest
 * role, latest first among equals (see packages/labels/src/resolve.ts).
 */
export const labels = pgTable(
  "labels",
  {
    id: text("id").primaryKey(),
    itemId: text("item_id"),
    /** Content hash of the text: groups labels given for text that was never an item. */
    textHash: text("text_hash").notNull(),
    text: text("text").notNull(),
    sentiment: text("sentiment"),
    topic: text("topic"),
    entities: jsonb("entities").$type<{ start: number; end: number; type: string }[]>(),
    author: text("author").notNull(),
    role: text("role").notNull(),
    via: text("via").notNull(), // api | dashboard | kafka
    createdAt: timestamp("created_at", { withTimezone: true, mode: "string" }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true, mode: "string" })
      .notNull()
      .default(sql`now()`),
  },
  (t) => [
    index("labels_item_idx").on(t.itemId),
    index("labels_text_hash_idx").on(t.textHash),
    index("labels_received_idx").on(t.receivedAt),
  ],
);
