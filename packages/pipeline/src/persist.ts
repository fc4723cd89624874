import { and, eq, inArray, sql } from "drizzle-orm";
import { entityMentions, items, scores, type Db } from "@finsentry/db";
import type { RawItem, ScoredItem } from "@finsentry/schemas";

/**
 * Writes items, their scores and entity mentions in one transaction. Every insert is idempotent on its key,
 * so a replayed batch (after a crash before the offset commit) changes nothing.
 * Mention rows carry a copy of their item's most recent score (see `entityMentions`); an item scored again by
 * another model version gets a new score row, and its mentions then follow whichever score row is newest.
 * Returns the ids whose scored event has not been published yet.
 */
export async function persistScored(db: Db, scored: ScoredItem[], raws: Map<string, RawItem>): Promise<Set<string>> {
  if (scored.length === 0) return new Set();
  const ids = scored.map((s) => s.item.id);
  return db.transaction(async (tx) => {
    const inserted = await tx
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
      .onConflictDoNothing({ target: items.id })
      .returning({ id: items.id });
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
      s.mentions.map((mn) => ({
        itemId: s.item.id,
        start: mn.start,
        end: mn.end,
        entityKey: mn.key,
        type: mn.type,
        text: mn.text,
        publishedAt: s.item.published_at,
        sentiment: s.output.sentiment.label,
        sentimentScore: s.output.sentiment.score,
        confidence: s.output.sentiment.confidence,
        topic: s.output.topic.label,
        modelVersion: s.model_version,
        scoredAt: s.scored_at,
      })),
    );
    if (mentionRows.length) await tx.insert(entityMentions).values(mentionRows).onConflictDoNothing();
    // A new item's only score is the one just written, so the insert above is exact. An item stored before (a
    // rescore by another model version, a replay) or twice in this batch may have older mention rows or a newer
    // score row: copy its newest score (as the backtest picks it: latest scored_at) into all its mentions.
    const fresh = new Set(inserted.map((r) => r.id));
    const seen = new Set<string>();
    const resync = new Set<string>();
    for (const id of ids) {
      if (!fresh.has(id) || seen.has(id)) resync.add(id);
      seen.add(id);
    }
    if (resync.size) await copyLatestScore(tx, [...resync]);
    // Rows inserted just now carry scored_published = false (the column default), so only the ids that already
    // existed need the published-mark lookup; a batch of all-new items skips that round trip.
    if (resync.size === 0) return fresh;
    const pending = await tx
      .select({ id: items.id })
      .from(items)
      .where(and(inArray(items.id, [...resync]), eq(items.scoredPublished, false)));
    for (const r of pending) fresh.add(r.id);
    return fresh;
  });
}

/**
 * Sets the score columns of the given items' mentions from each item's newest score row. Rows already equal are
 * left alone, so a replay writes nothing. The migration that added the columns runs the same update for all rows.
 */
async function copyLatestScore(tx: Pick<Db, "execute">, itemIds: string[]): Promise<void> {
  await tx.execute(sql`
    update ${entityMentions} em
       set sentiment = s.sentiment, sentiment_score = s.sentiment_score, confidence = s.confidence, topic = s.topic,
           model_version = s.model_version, scored_at = s.scored_at
      from (select distinct on (item_id) item_id, sentiment, sentiment_score, confidence, topic, model_version, scored_at
              from ${scores} where ${inArray(scores.itemId, itemIds)}
             order by item_id, scored_at desc, model_version desc) s
     where em.item_id = s.item_id
       and (em.model_version, em.scored_at) is distinct from (s.model_version, s.scored_at)`);
}

export async function markPublished(db: Db, ids: string[]): Promise<void> {
  if (ids.length) await db.update(items).set({ scoredPublished: true }).where(inArray(items.id, ids));
}
