import { randomUUID } from "node:crypto";
import { desc, eq, inArray } from "drizzle-orm";
import { items, labels, type Db } from "@finsentry/db";
import { contentId } from "@finsentry/ingest";
import type { Label } from "@finsentry/schemas";
import { resolveLabels, type EffectiveLabel } from "./resolve.ts";

export class LabelError extends Error {
  constructor(
    public path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Stores one validated label; the text comes from the item when only `item_id` is given. Idempotent on `id`. */
export async function saveLabel(db: Db, label: Label, via: "api" | "dashboard" | "kafka"): Promise<{ id: string; item_id: string | null }> {
  let text = label.text;
  if (label.item_id) {
    const [item] = await db.select({ text: items.text }).from(items).where(eq(items.id, label.item_id));
    if (!item) throw new LabelError("item_id", `no item ${label.item_id}`);
    text ??= item.text;
  }
  if (!text) throw new LabelError("text", "a label needs item_id or text");
  for (const [i, e] of (label.entities ?? []).entries()) {
    if (e.end > text.length) throw new LabelError(`entities.${i}.end`, `span ends at ${e.end}, past the text's ${text.length} characters`);
  }
  const id = label.id ?? randomUUID();
  await db
    .insert(labels)
    .values({
      id,
      itemId: label.item_id ?? null,
      textHash: contentId("label", text),
      text,
      sentiment: label.sentiment ?? null,
      topic: label.topic ?? null,
      entities: label.entities ?? null,
      author: label.author,
      role: label.role,
      via,
      createdAt: label.created_at,
    })
    .onConflictDoNothing();
  return { id, item_id: label.item_id ?? null };
}

/** The effective label per item after the conflict rule, with the full history. */
export async function labelsForItems(
  db: Db,
  itemIds: string[],
): Promise<Map<string, { effective: EffectiveLabel; history: (typeof labels.$inferSelect)[] }>> {
  if (itemIds.length === 0) return new Map();
  const rows = await db.select().from(labels).where(inArray(labels.itemId, itemIds)).orderBy(desc(labels.createdAt));
  const by = new Map<string, (typeof labels.$inferSelect)[]>();
  for (const r of rows) by.set(r.itemId!, [...(by.get(r.itemId!) ?? []), r]);
  return new Map([...by].map(([id, history]) => [id, { effective: resolveLabels(history), history }]));
}

/** Training examples from all labels: one per labelled text, conflicts resolved. */
export async function labelledExamples(db: Db, opts: { since?: string } = {}) {
  const rows = await db.select().from(labels).orderBy(labels.createdAt);
  const by = new Map<string, (typeof labels.$inferSelect)[]>();
  for (const r of rows) by.set(r.textHash, [...(by.get(r.textHash) ?? []), r]);
  const out = [];
  for (const group of by.values()) {
    if (opts.since && !group.some((r) => r.receivedAt > opts.since!)) continue;
    out.push({ text: group[0]!.text, item_id: group[0]!.itemId, ...resolveLabels(group) });
  }
  return out;
}
