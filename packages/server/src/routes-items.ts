import type { FastifyInstance } from "fastify";
import { and, desc, eq, gte, ilike, lte, sql } from "drizzle-orm";
import { z } from "zod";
import { entityMentions, items, scores, type Db } from "@finsentry/db";
import { problem, sendProblem, validationProblem } from "@finsentry/core";
import { EntityType, IsoDate, ModelOutput, pgText, SentimentLabel, TopicLabel } from "@finsentry/schemas";
import { declareResponses } from "./openapi.ts";
import { validationFailed } from "./problems.ts";

const ItemQuery = z.object({
  entity: pgText().min(1).max(200).optional(),
  topic: TopicLabel.optional(),
  sentiment: SentimentLabel.optional(),
  q: pgText().min(1).max(200).optional(),
  stream: pgText().min(1).max(63).optional(),
  from: IsoDate.optional(),
  to: IsoDate.optional(),
  /** Opaque cursor: `<published_at>|<id>` of the last item of the previous page. */
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]*$/, "invalid cursor")
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const ItemId = /^[0-9a-f]{32}$/;
const ItemIdParams = z.object({ id: z.string().regex(ItemId) });

// Response bodies, for the OpenAPI document (snake_case, instants as ISO-8601 UTC).
const Iso = z.iso.datetime();
declareResponses({
  "GET /api/v1/items": z.object({
    items: z.array(
      z.object({
        id: z.string(),
        source: z.string(),
        stream: z.string(),
        published_at: Iso,
        text: z.string(),
        url: z.string().nullable(),
        model_version: z.string().nullable().describe("null while the item is not scored yet"),
        output: ModelOutput.nullable(),
      }),
    ),
    next_cursor: z.string().nullable().describe("pass as `cursor` for the next page; null on the last page"),
  }),
  "GET /api/v1/items/count": z.object({ count: z.number().int() }),
  "GET /api/v1/items/:id": z.object({
    item: z.object({
      id: z.string(),
      external_id: z.string().nullable(),
      source: z.string(),
      stream: z.string(),
      published_at: Iso,
      ingested_at: Iso,
      text: z.string(),
      url: z.string().nullable(),
      author: z.string().nullable(),
      lang: z.string().nullable(),
      raw: z.unknown().describe("the document as received"),
    }),
    score: z
      .object({
        model_version: z.string(),
        sentiment: SentimentLabel,
        sentiment_score: z.number(),
        confidence: z.number(),
        topic: TopicLabel,
        topic_index: z.number().int(),
        topic_confidence: z.number(),
        output: ModelOutput,
        scored_at: Iso,
      })
      .nullable(),
    mentions: z.array(
      z.object({
        item_id: z.string(),
        start: z.number().int(),
        end: z.number().int(),
        entity_key: z.string(),
        type: EntityType,
        text: z.string(),
        published_at: Iso,
      }),
    ),
  }),
});

const Instant = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-](?:0\d|1[0-5])(?::?[0-5]\d)?)$/;

/** A timestamp as Postgres writes it (or ISO-8601), with a real calendar date and time of day. */
function isInstant(at: string): boolean {
  const m = Instant.exec(at);
  if (!m) return false;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const day = new Date(Date.UTC(y, mo - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d && h < 24 && mi < 60 && sec < 60;
}

/**
 * A cursor is `<published_at>|<id>` as the previous page ended (microseconds kept, so no item is skipped). It is only
 * trusted after it decodes to a real instant and an item id: anything else is a 400, never a garbage timestamp in SQL.
 */
function decodeCursor(c: string): { at: string; id: string } | null {
  const parts = Buffer.from(c, "base64url").toString().split("|");
  if (parts.length !== 2) return null;
  const [at, id] = parts as [string, string];
  return ItemId.test(id) && isInstant(at) ? { at, id } : null;
}
const encodeCursor = (publishedAt: string, id: string) => Buffer.from(`${publishedAt}|${id}`).toString("base64url");

export async function itemRoutes(app: FastifyInstance, deps: { db: Db }) {
  const { db } = deps;
  app.get(
    "/api/v1/items",
    { config: { minRole: "viewer", summary: "Scored items, newest first, filtered and paged by cursor", query: ItemQuery } },
    async (req, reply) => {
      const parsed = ItemQuery.safeParse(req.query);
      if (!parsed.success) return validationFailed(reply, parsed.error);
      const q = parsed.data;
      const where = [];
      if (q.topic) where.push(eq(scores.topic, q.topic));
      if (q.sentiment) where.push(eq(scores.sentiment, q.sentiment));
      if (q.stream) where.push(eq(items.stream, q.stream));
      if (q.from) where.push(gte(items.publishedAt, q.from));
      if (q.to) where.push(lte(items.publishedAt, q.to));
      if (q.q) where.push(ilike(items.text, `%${q.q.replace(/[%_\\]/g, (c) => `\\${c}`)}%`));
      if (q.entity)
        where.push(sql`exists (select 1 from ${entityMentions} em where em.item_id = ${items.id} and em.entity_key = ${q.entity})`);
      if (q.cursor) {
        const c = decodeCursor(q.cursor);
        if (!c) return sendProblem(reply, validationProblem([{ path: "cursor", message: "invalid cursor" }]));
        where.push(sql`(${items.publishedAt}, ${items.id}) < (${c.at}::timestamptz, ${c.id})`);
      }
      const rows = await db
        .select({ item: items, score: scores })
        .from(items)
        .leftJoin(scores, eq(scores.itemId, items.id))
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(items.publishedAt), desc(items.id))
        .limit(q.limit);
      const last = rows[rows.length - 1];
      return {
        items: rows.map(({ item, score }) => ({
          id: item.id,
          source: item.source,
          stream: item.stream,
          published_at: new Date(item.publishedAt).toISOString(),
          text: item.text,
          url: item.url,
          model_version: score?.modelVersion ?? null,
          output: score?.output ?? null,
        })),
        next_cursor: rows.length === q.limit && last ? encodeCursor(last.item.publishedAt, last.item.id) : null,
      };
    },
  );

  app.get("/api/v1/items/count", { config: { minRole: "viewer", summary: "How many items are stored" } }, async () => {
    const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(items);
    return { count: r?.n ?? 0 };
  });

  app.get(
    "/api/v1/items/:id",
    { config: { minRole: "viewer", summary: "One item with its score and entity mentions", params: ItemIdParams } },
    async (req, reply) => {
      const p = ItemIdParams.safeParse(req.params);
      if (!p.success) return validationFailed(reply, p.error);
      const [row] = await db
        .select({ item: items, score: scores })
        .from(items)
        .leftJoin(scores, eq(scores.itemId, items.id))
        .where(eq(items.id, p.data.id));
      if (!row) return sendProblem(reply, problem(404, "not_found", `no item ${p.data.id}`));
      // The span columns only: the score copies on entity_mentions are a read path for the entity series, and this
      // response already carries the score.
      const m = entityMentions;
      const mentions = await db
        .select({
          item_id: m.itemId,
          start: m.start,
          end: m.end,
          entity_key: m.entityKey,
          type: m.type,
          text: m.text,
          published_at: m.publishedAt,
        })
        .from(m)
        .where(eq(m.itemId, p.data.id));
      const { item, score } = row;
      // snake_case like every other response (the row objects are drizzle's camelCase).
      return {
        item: {
          id: item.id,
          external_id: item.externalId,
          source: item.source,
          stream: item.stream,
          published_at: iso(item.publishedAt),
          ingested_at: iso(item.ingestedAt),
          text: item.text,
          url: item.url,
          author: item.author,
          lang: item.lang,
          raw: item.raw,
        },
        score: score && {
          model_version: score.modelVersion,
          sentiment: score.sentiment,
          sentiment_score: score.sentimentScore,
          confidence: score.confidence,
          topic: score.topic,
          topic_index: score.topicIndex,
          topic_confidence: score.topicConfidence,
          output: score.output,
          scored_at: iso(score.scoredAt),
        },
        mentions: mentions.map((x) => ({ ...x, published_at: iso(x.published_at) })),
      };
    },
  );
}

const iso = (t: string) => new Date(t).toISOString();
