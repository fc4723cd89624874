import { inArray, sql } from "drizzle-orm";
import { entityMentions, items, scores, scoredOutbox, type Db } from "@finsentry/db";
import type { RawItem, ScoredItem } from "@finsentry/schemas";

/** One scored item as the insert statement reads it (`jsonb_to_recordset`): every column, mentions nested. */
function rowOf(s: ScoredItem, n: number, raws: Map<string, RawItem>) {
  const o = s.output;
  return {
    n,
    id: s.item.id,
    external_id: s.item.external_id,
    source: s.item.source,
    stream: s.item.stream,
    published_at: s.item.published_at,
    ingested_at: s.item.ingested_at,
    text: s.item.text,
    url: s.item.url,
    author: s.item.author,
    lang: s.item.lang,
    raw: raws.get(s.item.id)?.raw ?? null,
    model_version: s.model_version,
    sentiment: o.sentiment.label,
    // Reals travel as text, as a bound parameter would: JSON has no NaN or Infinity.
    sentiment_score: String(o.sentiment.score),
    confidence: String(o.sentiment.confidence),
    topic: o.topic.label,
    topic_index: o.topic.index,
    topic_confidence: String(o.topic.confidence),
    output: o,
    scored_at: s.scored_at,
    mentions: s.mentions.map((mn) => ({ start: mn.start, end: mn.end, entity_key: mn.key, type: mn.type, text: mn.text })),
  };
}

/**
 * The three idempotent inserts as one statement over one jsonb parameter: one round trip and one parse however large
 * the batch, instead of three multi-row inserts with ~25 bound parameters per item. Rows go in batch order, so an id
 * twice in a batch keeps its first copy, as with separate inserts. The ids inserted just now go into one outbox row
 * (until their scored event is published). Returns those ids, each with the outbox row's id.
 */
const insertBatch = (payload: string) => sql`
  with input as (
    select * from jsonb_to_recordset(${payload}::jsonb) as x(
      n int, id text, external_id text, source text, stream text, published_at timestamptz, ingested_at timestamptz,
      text text, url text, author text, lang text, raw jsonb, model_version text, sentiment text, sentiment_score real,
      confidence real, topic text, topic_index smallint, topic_confidence real, output jsonb, scored_at timestamptz,
      mentions jsonb)
  ), new_items as (
    insert into ${items} (id, external_id, source, stream, published_at, ingested_at, text, url, author, lang, raw)
    select id, external_id, source, stream, published_at, ingested_at, text, url, author, lang, raw from input order by n
    on conflict (id) do nothing
    returning id
  ), new_scores as (
    insert into ${scores} (item_id, model_version, sentiment, sentiment_score, confidence, topic, topic_index,
                           topic_confidence, output, scored_at)
    select id, model_version, sentiment, sentiment_score, confidence, topic, topic_index, topic_confidence, output, scored_at
      from input order by n
    on conflict do nothing
  ), new_mentions as (
    insert into ${entityMentions} (item_id, start, "end", entity_key, type, text, published_at, sentiment, sentiment_score,
                                   confidence, topic, model_version, scored_at)
    select i.id, m.start, m."end", m.entity_key, m.type, m.text, i.published_at, i.sentiment, i.sentiment_score,
           i.confidence, i.topic, i.model_version, i.scored_at
      from input i cross join lateral jsonb_to_recordset(i.mentions) as m(start int, "end" int, entity_key text, type text, text text)
     order by i.n, m.start, m."end"
    on conflict do nothing
  ), outbox as (
    insert into ${scoredOutbox} (item_ids) select array_agg(id) from new_items having count(*) > 0
    returning id
  )
  select id, (select id from outbox) as outbox_id from new_items`;

/** Rows of a raw statement on either driver (node-postgres and PGlite both answer `{ rows }`). */
const rowsOf = <T>(r: unknown): T[] => (Array.isArray(r) ? (r as T[]) : ((r as { rows?: T[] }).rows ?? []));

/** What one store left to publish: the item ids, and the outbox rows that hold them until `markPublished`. */
export interface StoredBatch {
  /** Ids whose scored event is not published yet: inserted just now, or pending from an earlier store. */
  unpublished: Set<string>;
  /** The outbox row of the ids inserted just now (null when none were new). */
  outboxId: number | null;
  /** Ids that were pending in an earlier store's outbox row (a replay after a crash before the mark). */
  replayed: string[];
}

/**
 * Writes items, their scores and entity mentions in one transaction. Every insert is idempotent on its key,
 * so a replayed batch (after a crash before the offset commit) changes nothing.
 * Mention rows carry a copy of their item's most recent score (see `entityMentions`); an item scored again by
 * another model version gets a new score row, and its mentions then follow whichever score row is newest.
 */
export async function persistScored(db: Db, scored: ScoredItem[], raws: Map<string, RawItem>): Promise<StoredBatch> {
  if (scored.length === 0) return { unpublished: new Set(), outboxId: null, replayed: [] };
  const ids = scored.map((s) => s.item.id);
  const payload = JSON.stringify(scored.map((s, n) => rowOf(s, n, raws)));
  return db.transaction(async (tx) => {
    const inserted = rowsOf<{ id: string; outbox_id: string | number | null }>(await tx.execute(insertBatch(payload)));
    // A new item's only score is the one just written, so the insert above is exact. An item stored before (a
    // rescore by another model version, a replay) or twice in this batch may have older mention rows or a newer
    // score row: copy its newest score (as the backtest picks it: latest scored_at) into all its mentions.
    const fresh = new Set(inserted.map((r) => r.id));
    const outboxId = inserted.length ? Number(inserted[0]!.outbox_id) : null;
    const seen = new Set<string>();
    const resync = new Set<string>();
    for (const id of ids) {
      if (!fresh.has(id) || seen.has(id)) resync.add(id);
      seen.add(id);
    }
    if (resync.size === 0) return { unpublished: fresh, outboxId, replayed: [] };
    await copyLatestScore(tx, [...resync]);
    // Items stored before are published already unless an earlier store's outbox row still holds them.
    const pending = rowsOf<{ id: string }>(
      await tx.execute(sql`
        select distinct x as id from ${scoredOutbox}, unnest(item_ids) as x
         where id is distinct from ${outboxId} and x in (select jsonb_array_elements_text(${JSON.stringify([...resync])}::jsonb))`),
    ).map((r) => r.id);
    for (const id of pending) fresh.add(id);
    return { unpublished: fresh, outboxId, replayed: pending };
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

/**
 * Records that a store's items are on items.scored: deletes its outbox row, and takes replayed ids out of the earlier
 * rows that held them (one transaction, so a crash leaves every id either pending or published).
 */
export async function markPublished(db: Db, stored: StoredBatch): Promise<void> {
  const deleteOwn = async (x: Pick<Db, "execute">) => {
    if (stored.outboxId !== null) await x.execute(sql`delete from ${scoredOutbox} where id = ${stored.outboxId}`);
  };
  if (stored.replayed.length === 0) return deleteOwn(db);
  const replayed = sql`(select jsonb_array_elements_text(${JSON.stringify(stored.replayed)}::jsonb))`;
  await db.transaction(async (tx) => {
    await deleteOwn(tx);
    await tx.execute(sql`
      update ${scoredOutbox} set item_ids = array(select x from unnest(item_ids) as x where x not in ${replayed})
       where exists (select 1 from unnest(item_ids) as x where x in ${replayed})`);
    await tx.execute(sql`delete from ${scoredOutbox} where cardinality(item_ids) = 0`);
  });
}
