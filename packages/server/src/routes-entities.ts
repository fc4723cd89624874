import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { DbHandle } from "@finsentry/db";
import { validationFailed } from "./problems.ts";

const RESOLUTIONS = { "1m": "1 minute", "5m": "5 minutes", "1h": "1 hour", "1d": "1 day" } as const;

const SeriesQuery = z.object({
  resolution: z.enum(["1m", "5m", "1h", "1d"]).default("5m"),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

const MoversQuery = z.object({
  window: z.enum(["15m", "1h", "6h", "1d"]).default("1h"),
  min_mentions: z.coerce.number().int().min(1).max(1000).default(3),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
const WINDOWS = { "15m": "15 minutes", "1h": "1 hour", "6h": "6 hours", "1d": "1 day" } as const;

/** Entity time series (volume, mean sentiment, bearish count per bucket) and the entities moving most vs baseline. */
export async function entityRoutes(app: FastifyInstance, deps: { db: DbHandle }) {
  const { db } = deps;
  app.get("/api/v1/entities/:key/series", { config: { minRole: "viewer", summary: "An entity's mention volume and sentiment per time bucket, and its topic mix", query: SeriesQuery } }, async (req, reply) => {
    const key = z.string().min(3).max(300).safeParse((req.params as { key: string }).key);
    const q = SeriesQuery.safeParse(req.query);
    if (!key.success) return validationFailed(reply, key.error);
    if (!q.success) return validationFailed(reply, q.error);
    const to = q.data.to ?? new Date().toISOString();
    const from = q.data.from ?? new Date(new Date(to).getTime() - 24 * 3600_000).toISOString();
    const { rows } = await db.exec(
      `select date_bin($4::interval, em.published_at, timestamptz '2000-01-01') as t,
              count(*)::int as count,
              avg(s.sentiment_score)::float8 as mean_sentiment,
              (sum(s.sentiment_score * s.confidence) / nullif(sum(s.confidence), 0))::float8 as weighted_sentiment,
              count(*) filter (where s.sentiment = 'bearish')::int as bearish
         from entity_mentions em join scores s on s.item_id = em.item_id
        where em.entity_key = $1 and em.published_at >= $2 and em.published_at < $3
        group by 1 order by 1`,
      [key.data, from, to, RESOLUTIONS[q.data.resolution]],
    );
    const topics = await db.exec(
      `select s.topic, count(*)::int as n from entity_mentions em join scores s on s.item_id = em.item_id
        where em.entity_key = $1 and em.published_at >= $2 and em.published_at < $3 group by 1 order by 2 desc`,
      [key.data, from, to],
    );
    return {
      key: key.data, from, to, resolution: q.data.resolution,
      points: rows.map((r) => ({ ...r, t: new Date(r.t as string).toISOString() })),
      topic_mix: topics.rows,
    };
  });

  app.get("/api/v1/entities/top-movers", { config: { minRole: "viewer", summary: "Entities whose sentiment moved most against their 7-day baseline", query: MoversQuery } }, async (req, reply) => {
    const q = MoversQuery.safeParse(req.query);
    if (!q.success) return validationFailed(reply, q.error);
    const { rows } = await db.exec(
      `with m as (
         select em.entity_key, em.published_at, s.sentiment_score
           from entity_mentions em join scores s on s.item_id = em.item_id
          where em.published_at >= now() - interval '7 days'),
       recent as (select entity_key, avg(sentiment_score)::float8 as mean, count(*)::int as n
                    from m where published_at >= now() - $1::interval group by 1),
       base as (select entity_key, avg(sentiment_score)::float8 as mean, count(*)::int as n
                  from m where published_at < now() - $1::interval group by 1)
       select r.entity_key as key, r.n as mentions, r.mean as mean_sentiment, b.mean as baseline_sentiment,
              (r.mean - coalesce(b.mean, 0))::float8 as delta
         from recent r left join base b using (entity_key)
        where r.n >= $2
        order by abs(r.mean - coalesce(b.mean, 0)) desc, r.n desc
        limit $3`,
      [WINDOWS[q.data.window], q.data.min_mentions, q.data.limit],
    );
    return { window: q.data.window, movers: rows };
  });
}
