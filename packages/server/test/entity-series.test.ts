import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Fastify, { type FastifyInstance } from "fastify";
import { persistScored } from "@finsentry/pipeline";
import type { ScoredItem, SentimentLabel, TopicLabel } from "@finsentry/schemas";
import { entityRoutes } from "../src/routes-entities.ts";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";

const M = 60_000;
const T = Date.parse("2025-03-03T10:00:00Z");
const iso = (t: number) => new Date(t).toISOString();

function scored(
  id: string,
  t: number,
  ticker: string,
  version: string,
  label: SentimentLabel,
  score: number,
  confidence: number,
  topic: TopicLabel,
): ScoredItem {
  return {
    v: 1,
    item: {
      v: 1,
      id,
      external_id: null,
      source: "t",
      stream: "news",
      published_at: iso(t),
      ingested_at: iso(t),
      text: `${ticker} news ${id}`,
      url: null,
      author: null,
      lang: "en",
    },
    model_version: version,
    scored_at: iso(t + (version === "v1" ? M : 600 * M)),
    output: {
      sentiment: { label, score, confidence, probs: { bearish: 0, neutral: 0, bullish: 0 } },
      topic: { label: topic, index: 0, confidence: 0.7 },
      entities: [{ start: 0, end: ticker.length, type: "TICKER", text: ticker }],
    },
    mentions: [{ key: `TICKER:${ticker}`, type: "TICKER", text: ticker, start: 0, end: ticker.length }],
  };
}

/** Two hours of ACME; item d is rescored by v2 (its mention must count once, with the new score). */
const FIRST = [
  scored("a", T + 10 * M, "ACME", "v1", "bearish", -0.8, 0.9, "Earnings"),
  scored("b", T + 20 * M, "ACME", "v1", "bullish", 0.4, 0.5, "Earnings"),
  scored("c", T + 70 * M, "ACME", "v1", "neutral", 0, 0.6, "Macro"),
  scored("d", T + 80 * M, "ACME", "v1", "bearish", -0.6, 0.8, "Legal | Regulation"),
  scored("e", T + 30 * M, "GLOBEX", "v1", "bearish", -0.9, 0.9, "Earnings"),
  scored("late", T + 2 * 60 * M, "ACME", "v1", "bearish", -0.9, 0.9, "IPO"),
];
const RESCORED = scored("d", T + 80 * M, "ACME", "v2", "bullish", 0.2, 1, "Markets");

describe.each(dbKinds)("GET /api/v1/entities/:key/series on %s", (kind) => {
  let h: Awaited<ReturnType<typeof openTestDb>>;
  let app: FastifyInstance;
  const get = (key: string, query: Record<string, string>) =>
    app.inject({ method: "GET", url: `/api/v1/entities/${encodeURIComponent(key)}/series`, query });
  const range = { from: iso(T), to: iso(T + 2 * 60 * M) };

  beforeAll(async () => {
    h = await openTestDb(kind);
    await persistScored(h.db.db, FIRST, new Map());
    await persistScored(h.db.db, [RESCORED], new Map());
    app = Fastify();
    await app.register(async (a) => entityRoutes(a, { db: h.db }));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await h?.drop();
  });

  it("buckets the entity's mentions with their item's newest score and gives the topic mix", async () => {
    const res = await get("TICKER:ACME", { ...range, resolution: "1h" });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ key: "TICKER:ACME", ...range, resolution: "1h" });
    expect(body.points).toEqual([
      {
        t: iso(T),
        count: 2,
        mean_sentiment: expect.closeTo(-0.2, 5),
        weighted_sentiment: expect.closeTo((-0.8 * 0.9 + 0.4 * 0.5) / 1.4, 5),
        bearish: 1,
      },
      // c and d, d as v2 scored it (bullish 0.2, confidence 1): once, not once per score row.
      {
        t: iso(T + 60 * M),
        count: 2,
        mean_sentiment: expect.closeTo(0.1, 5),
        weighted_sentiment: expect.closeTo(0.2 / 1.6, 5),
        bearish: 0,
      },
    ]);
    expect(body.topic_mix).toEqual([
      { topic: "Earnings", n: 2 },
      { topic: "Macro", n: 1 },
      { topic: "Markets", n: 1 },
    ]);
  });

  it("buckets at the requested resolution and answers empty for an entity without mentions", async () => {
    const fine = (await get("TICKER:ACME", { ...range, resolution: "5m" })).json();
    expect(fine.points.map((p: { t: string; count: number }) => [p.t, p.count])).toEqual([
      [iso(T + 10 * M), 1],
      [iso(T + 20 * M), 1],
      [iso(T + 70 * M), 1],
      [iso(T + 80 * M), 1],
    ]);
    expect((await get("TICKER:NONE", range)).json()).toMatchObject({ points: [], topic_mix: [] });
  });
});
