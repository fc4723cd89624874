import { and, eq, inArray } from "drizzle-orm";
import { entityMentions, items, scores, type Db } from "@finsentry/db";
import type { RawItem, ScoredItem } from "@finsentry/schemas";

/**
 * Writes items, their scores and entity mentions in one transaction. Every insert is idempotent on its key,
 * so a replayed batch (after a crash before the offset commit) changes nothing.
 * Returns the ids whose scored event has not been published yet.
 */
export async function persistScored(db: Db, scored: ScoredItem[], raws: Map<string, RawItem>): Promise<Set<string>> {
  if (scored.length === 0) return new Set();
  const ids = scored.map((s) => s.item.id);
  return db.transaction(async (tx) => {
    await tx
      .insert(items)
      .values(
        scored.map((s) => ({
          id: s.item.id,
          externalId: s.item.external_id,
          source: s.item.source,
          stream: s.item.stream,
          publishedAt: s.item.published_at,
          ingestedAt: s.item.ingested_at,
          text: s.item.text,
          url: s.item.url,
          author: s.item.author,
          lang: s.item.lang,
          raw: raws.get(s.item.id)?.raw ?? null,
        })),
      )
      .onConflictDoNothing({ target: items.id });
    await tx
      .insert(scores)
      .values(
        scored.map((s) => ({
          itemId: s.item.id,
          modelVersion: s.model_version,
          sentiment: s.output.sentiment.label,
          sentimentScore: s.output.sentiment.score,
          confidence: s.output.sentiment.confidence,
          topic: s.output.topic.label,
          topicIndex: s.output.topic.index,
          topicConfidence: s.output.topic.confidence,
          output: s.output,
          scoredAt: s.scored_at,
        })),
      )
      .onConflictDoNothing();
    const mentionRows = scored.flatMap((s) =>
      s.mentions.map((mn) => ({ itemId: s.item.id, start: mn.start, end: mn.end, entityKey: mn.key, type: mn.type, text: mn.text, publishedAt: s.item.published_at })),
    );
    if (mentionRows.length) await tx.insert(entityMentions).values(mentionRows).onConflictDoNothing();
    const pending = await tx.select({ id: items.id }).from(items).where(and(inArray(items.id, ids), eq(items.scoredPublished, false)));
    return new Set(pending.map((r) => r.id));
  });
}

export async function markPublished(db: Db, ids: string[]): Promise<void> {
  if (ids.length) await db.update(items).set({ scoredPublished: true }).where(inArray(items.id, ids));
}
