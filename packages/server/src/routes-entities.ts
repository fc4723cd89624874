import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { DbHandle } from "@finsentry/db";
import { entityLabels } from "@finsentry/entities";
import { IsoDate, pgText } from "@finsentry/schemas";
import { declareResponses } from "./openapi.ts";
import { validationFailed } from "./problems.ts";

const RESOLUTIONS = { "1m": "1 minute", "5m": "5 minutes", "1h": "1 hour", "1d": "1 day" } as const;

const EntityKeyParam = z.object({ key: pgText().min(3).max(300) });

const SeriesQuery = z.object({
  resolution: z.enum(["1m", "5m", "1h", "1d"]).default("5m"),
  from: IsoDate.optional(),
  to: IsoDate.optional(),
});

const MoversQuery = z.object({
  window: z.enum(["15m", "1h", "6h", "1d"]).default("1h"),
  min_mentions: z.coerce.number().int().min(1).max(1000).default(3),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
// Response bodies, for the OpenAPI document.
declareResponses({
  "GET /api/v1/entities/:key/series": z.object({
    key: z.string(),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    resolution: SeriesQuery.shape.resolution.unwrap(),
    points: z.array(
      z.object({
        t: z.iso.datetime().describe("bucket start"),
        count: z.number().int(),
        mean_sentiment: z.number(),
        weighted_sentiment: z.number().nullable().describe("confidence-weighted mean; null when every confidence is 0"),
        bearish: z.number().int(),
      }),
    ),
    topic_mix: z.array(z.object({ topic: z.string(), n: z.number().int() })),
  }),
  "GET /api/v1/entities/top-movers": z.object({
    window: MoversQuery.shape.window.unwrap(),
    movers: z.array(
      z.object({
        key: z.string(),
        entity_name: z.string().nullable().describe("the registry name of a canonical key (`E:<id>`); null for legacy keys"),
        mentions: z.number().int(),
        mean_sentiment: z.number(),
        baseline_sentiment: z.number().nullable().describe("null without mentions before the window"),
        delta: z.number(),
      }),
    ),
  }),
});

const WINDOWS = { "15m": "15 minutes", "1h": "1 hour", "6h": "6 hours", "1d": "1 day" } as const;

/**
 * An entity's series and topic mix in one pass over its mentions in [$2, $3): one range scan of the covering
 * mentions_entity_time_score_idx (index-only where autovacuum has marked pages all-visible; the score fields are the
 * copies on entity_mentions, so no mention is joined to `scores`), summed per (bucket, topic) — a few hundred groups,
 * hashed — then rolled up per bucket and per topic.
 * Pre-aggregating matters: grouping sets straight over the rows made the planner sort every mention by bucket
 * (spilling to disk at 30 days). Points come first (by time), then topics (most mentioned first); `is_point` tells
 * them apart.
 */
export const ENTITY_SERIES_SQL = `
  with b as (
    select date_bin($4::interval, published_at, timestamptz '2000-01-01') as t, topic, count(*) as n,
           sum(sentiment_score::float8) as s, sum(sentiment_score::float8 * confidence) as sw, sum(confidence::float8) as w,
           count(*) filter (where sentiment = 'bearish') as bear
      from entity_mentions
     where entity_key = $1 and published_at >= $2 and published_at < $3 and sentiment is not null
     group by 1, 2)
  select grouping(topic) = 1 as is_point, t, topic, sum(n)::int as count, (sum(s) / sum(n))::float8 as mean_sentiment,
         (sum(sw) / nullif(sum(w), 0))::float8 as weighted_sentiment, sum(bear)::int as bearish
    from b
   group by grouping sets ((t), (topic))
   order by 1 desc, t, count desc, topic`;

/** Entity time series (volume, mean sentiment, bearish count per bucket) and the entities moving most vs baseline. */
export async function entityRoutes(app: FastifyInstance, deps: { db: DbHandle }) {
  const { db } = deps;
  app.get(
    "/api/v1/entities/:key/series",
    {
      config: {
        minRole: "viewer",
        summary: "An entity's mention volume and sentiment per time bucket, and its topic mix",
        params: EntityKeyParam,
        query: SeriesQuery,
      },
    },
    async (req, reply) => {
      const key = EntityKeyParam.safeParse(req.params);
      const q = SeriesQuery.safeParse(req.query);
      if (!key.success) return validationFailed(reply, key.error);
      if (!q.success) return validationFailed(reply, q.error);
      const to = q.data.to ?? new Date().toISOString();
      const from = q.data.from ?? new Date(new Date(to).getTime() - 24 * 3600_000).toISOString();
      const { rows } = await db.exec(ENTITY_SERIES_SQL, [key.data.key, from, to, RESOLUTIONS[q.data.resolution]]);
      const points = [];
      const topicMix = [];
      for (const r of rows) {
        if (r.is_point) {
          points.push({
            t: new Date(r.t as string).toISOString(),
            count: r.count,
            mean_sentiment: r.mean_sentiment,
            weighted_sentiment: r.weighted_sentiment,
            bearish: r.bearish,
          });
        } else topicMix.push({ topic: r.topic, n: r.count });
      }
      return { key: key.data.key, from, to, resolution: q.data.resolution, points, topic_mix: topicMix };
    },
  );

  app.get(
    "/api/v1/entities/top-movers",
    { config: { minRole: "viewer", summary: "Entities whose sentiment moved most against their 7-day baseline", query: MoversQuery } },
    async (req, reply) => {
      const q = MoversQuery.safeParse(req.query);
      if (!q.success) return validationFailed(reply, q.error);
      const { rows } = await db.exec(
        // The score copies on entity_mentions, no join to scores (docs/benchmarks.md, API: ~1.5x faster).
        `with m as (
         select entity_key, published_at, sentiment_score
           from entity_mentions
          where published_at >= now() - interval '7 days' and sentiment_score is not null),
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
      const names = await entityLabels(
        db.db,
        rows.map((r) => r.key as string),
      );
      const nameOf = new Map(names.map((l) => [l.key, l.name]));
      return { window: q.data.window, movers: rows.map((r) => ({ ...r, entity_name: nameOf.get(r.key as string) ?? null })) };
    },
  );
}
