import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { sendProblem, validationProblem } from "@finsentry/core";
import type { DbHandle } from "@finsentry/db";
import { ENTITY_TYPES, IsoDate, SENTIMENT_LABELS, TOPIC_LABELS, describeIssues, pgText } from "@finsentry/schemas";

const RESOLUTIONS = { "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "6h": 21_600_000, "1d": 86_400_000 } as const;
const MAX_BUCKETS = 2000;
const DAY = 86_400_000;

export const DriftQuery = z
  .strictObject({
    /** Event time (items.published_at), like the alert windows; default: the 24h before `to`. */
    from: IsoDate.optional(),
    /** Default: now. */
    to: IsoDate.optional(),
    resolution: z.enum(["5m", "15m", "1h", "6h", "1d"]).default("1h"),
    /** One model version only; default: every version, each its own series. */
    model_version: pgText().min(1).max(200).optional(),
  })
  .transform((q) => {
    const to = q.to ? Date.parse(q.to) : Date.now();
    const from = q.from ? Date.parse(q.from) : to - DAY;
    return { ...q, from, to };
  })
  .superRefine((q, ctx) => {
    if (q.to <= q.from) ctx.addIssue({ code: "custom", path: ["to"], message: "to must be after from" });
    else if (q.to - q.from > 366 * DAY) ctx.addIssue({ code: "custom", path: ["from"], message: "range is limited to 366 days" });
    else if ((q.to - q.from) / RESOLUTIONS[q.resolution] > MAX_BUCKETS) {
      ctx.addIssue({
        code: "custom",
        path: ["resolution"],
        message: `more than ${MAX_BUCKETS} buckets; pick a coarser resolution or a shorter range`,
      });
    }
  });
export type DriftQuery = z.infer<typeof DriftQuery>;

export interface DriftPoint {
  /** Bucket start (UTC, aligned to the resolution). */
  t: string;
  model_version: string;
  /** Scored items in the bucket (one per item and model version). */
  count: number;
  sentiment: { shares: Record<string, number>; mean_confidence: number };
  topic: { shares: Record<string, number>; mean_confidence: number };
  /** Entity spans the model found: per item, per item by type, and the spans' mean confidence (null when none carry one). */
  entities: { mean_per_item: number; mean_per_item_by_type: Record<string, number>; mean_confidence: number | null };
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const zeros = (labels: readonly string[]) => Object.fromEntries(labels.map((l) => [l, 0])) as Record<string, number>;

// Buckets are aligned to a fixed origin, so the same item lands in the same bucket whatever range is asked for.
const BUCKET = `date_bin($3::interval, i.published_at, timestamptz '2000-01-01')`;
const FROM = `from scores s join items i on i.id = s.item_id
  where i.published_at >= $1 and i.published_at < $2 and ($4::text is null or s.model_version = $4)`;

/**
 * Per (time bucket, model version): the model's prediction mix and confidence per task, computed in SQL over the
 * stored scores — the series behind the drift chart and a way to read what a drift alert saw.
 */
export async function driftSeries(db: DbHandle, q: DriftQuery): Promise<{ points: DriftPoint[]; model_versions: string[] }> {
  const params = [
    new Date(q.from).toISOString(),
    new Date(q.to).toISOString(),
    `${RESOLUTIONS[q.resolution] / 1000} seconds`,
    q.model_version ?? null,
  ];
  const base = await db.exec(
    `select ${BUCKET} as t, s.model_version as v, count(*)::int as n,
            count(*) filter (where s.sentiment = 'bearish')::int as bearish,
            count(*) filter (where s.sentiment = 'neutral')::int as neutral,
            count(*) filter (where s.sentiment = 'bullish')::int as bullish,
            avg(s.confidence)::float8 as sentiment_confidence,
            avg(s.topic_confidence)::float8 as topic_confidence
       ${FROM}
      group by 1, 2 order by 1, 2`,
    params,
  );
  const topics = await db.exec(`select ${BUCKET} as t, s.model_version as v, s.topic, count(*)::int as n ${FROM} group by 1, 2, 3`, params);
  const spans = await db.exec(
    `select ${BUCKET} as t, s.model_version as v, e->>'type' as type, count(*)::int as n,
            count(e->>'confidence')::int as n_conf, sum((e->>'confidence')::float8)::float8 as conf_sum
       from scores s join items i on i.id = s.item_id
            cross join lateral jsonb_array_elements(case when jsonb_typeof(s.output->'entities') = 'array' then s.output->'entities' else '[]'::jsonb end) e
      where i.published_at >= $1 and i.published_at < $2 and ($4::text is null or s.model_version = $4)
      group by 1, 2, 3`,
    params,
  );

  const key = (r: Record<string, unknown>) => `${new Date(r.t as string).toISOString()}\n${r.v as string}`;
  const points = new Map<string, DriftPoint & { spanConf: number; spanConfN: number; spanN: number }>();
  for (const r of base.rows) {
    const n = Number(r.n);
    const t = new Date(r.t as string).toISOString();
    points.set(key(r), {
      t,
      model_version: r.v as string,
      count: n,
      sentiment: {
        shares: Object.fromEntries(SENTIMENT_LABELS.map((l) => [l, r4(Number(r[l]) / n)])),
        mean_confidence: r4(Number(r.sentiment_confidence)),
      },
      topic: { shares: zeros(TOPIC_LABELS), mean_confidence: r4(Number(r.topic_confidence)) },
      entities: { mean_per_item: 0, mean_per_item_by_type: zeros(ENTITY_TYPES), mean_confidence: null },
      spanConf: 0,
      spanConfN: 0,
      spanN: 0,
    });
  }
  for (const r of topics.rows) {
    const p = points.get(key(r));
    if (p) p.topic.shares[r.topic as string] = r4(Number(r.n) / p.count);
  }
  for (const r of spans.rows) {
    const p = points.get(key(r));
    if (!p) continue;
    p.entities.mean_per_item_by_type[r.type as string] = r4(Number(r.n) / p.count);
    p.spanN += Number(r.n);
    p.spanConfN += Number(r.n_conf);
    p.spanConf += Number(r.conf_sum ?? 0);
  }
  const out: DriftPoint[] = [];
  for (const { spanConf, spanConfN, spanN, ...p } of points.values()) {
    p.entities.mean_per_item = r4(spanN / p.count);
    p.entities.mean_confidence = spanConfN > 0 ? r4(spanConf / spanConfN) : null;
    out.push(p);
  }
  return { points: out, model_versions: [...new Set(out.map((p) => p.model_version))].sort() };
}

/** `GET /api/v1/models/drift?from&to&resolution&model_version` (viewer). */
export async function driftRoutes(app: FastifyInstance, deps: { db: DbHandle }) {
  const summary = "Prediction mix and mean confidence per task, per time bucket and model version (drift)";
  app.get("/api/v1/models/drift", { config: { minRole: "viewer", summary, query: DriftQuery } }, async (req, reply) => {
    const q = DriftQuery.safeParse(req.query);
    if (!q.success) return sendProblem(reply, validationProblem(describeIssues(q.error)));
    const { points, model_versions } = await driftSeries(deps.db, q.data);
    return {
      from: new Date(q.data.from).toISOString(),
      to: new Date(q.data.to).toISOString(),
      resolution: q.data.resolution,
      model_version: q.data.model_version ?? null,
      model_versions,
      points,
    };
  });
}
