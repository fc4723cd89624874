import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Fastify, { type FastifyInstance } from "fastify";
import { items, scores, type DbHandle } from "@finsentry/db";
import type { ModelOutput, SentimentLabel, TopicLabel } from "@finsentry/schemas";
import { driftRoutes } from "../src/drift-routes.ts";
import { openTestDb } from "../../../test/support/services.ts";

const H = 3_600_000;
const T = Date.parse("2025-03-03T10:00:00Z");
const iso = (t: number) => new Date(t).toISOString();

interface Spec {
  id: string;
  t: number;
  version?: string;
  sentiment: SentimentLabel;
  confidence: number;
  topic: TopicLabel;
  topicConfidence: number;
  entities?: ModelOutput["entities"];
}

const span = (type: ModelOutput["entities"][number]["type"], confidence?: number) => ({
  start: 0,
  end: 4,
  type,
  text: "ACME",
  ...(confidence === undefined ? {} : { confidence }),
});

/** Scripted scores: two hours, two model versions, and items just outside the range on either side. */
const SCRIPT: Spec[] = [
  {
    id: "a",
    t: T + 1000,
    sentiment: "bearish",
    confidence: 0.9,
    topic: "Earnings",
    topicConfidence: 0.5,
    entities: [span("ORG", 0.9), span("TICKER", 0.7)],
  },
  { id: "b", t: T + 2000, sentiment: "bearish", confidence: 0.7, topic: "Earnings", topicConfidence: 0.6, entities: [span("ORG")] },
  { id: "c", t: T + 3000, sentiment: "neutral", confidence: 0.6, topic: "Earnings", topicConfidence: 0.7 },
  { id: "d", t: T + H - 1, sentiment: "bullish", confidence: 0.8, topic: "Macro", topicConfidence: 0.8 },
  // Item a again, scored by the challenger: its own series.
  { id: "a", t: T + 1000, version: "v2", sentiment: "bullish", confidence: 0.5, topic: "Markets", topicConfidence: 0.4 },
  { id: "e", t: T + H + 5, sentiment: "neutral", confidence: 0.55, topic: "Macro", topicConfidence: 0.9, entities: [span("PERSON", 0.6)] },
  { id: "early", t: T - 1, sentiment: "bearish", confidence: 0.1, topic: "IPO", topicConfidence: 0.1 },
  { id: "late", t: T + 2 * H, sentiment: "bearish", confidence: 0.1, topic: "IPO", topicConfidence: 0.1 },
];

const suite = (kind: "pglite" | "pg") =>
  describe(`GET /api/v1/models/drift on ${kind}`, () => {
    let handle: Awaited<ReturnType<typeof openTestDb>>;
    let db: DbHandle;
    let app: FastifyInstance;
    const get = (query: Record<string, string>) => app.inject({ method: "GET", url: "/api/v1/models/drift", query });
    const range = { from: iso(T), to: iso(T + 2 * H) };

    beforeAll(async () => {
      handle = await openTestDb(kind);
      db = handle.db;
      const seen = new Set<string>();
      for (const s of SCRIPT) {
        if (!seen.has(s.id)) {
          seen.add(s.id);
          await db.db
            .insert(items)
            .values({ id: s.id, source: "test", stream: "news", publishedAt: iso(s.t), ingestedAt: iso(s.t), text: `item ${s.id}` });
        }
        const output: ModelOutput = {
          sentiment: { label: s.sentiment, score: 0, confidence: s.confidence, probs: { bearish: 0, neutral: 0, bullish: 0 } },
          topic: { label: s.topic, index: 0, confidence: s.topicConfidence },
          entities: s.entities ?? [],
        };
        await db.db.insert(scores).values({
          itemId: s.id,
          modelVersion: s.version ?? "v1",
          sentiment: s.sentiment,
          sentimentScore: 0,
          confidence: s.confidence,
          topic: s.topic,
          topicIndex: 0,
          topicConfidence: s.topicConfidence,
          output,
          scoredAt: iso(s.t + 60_000),
        });
      }
      app = Fastify();
      await app.register(async (a) => driftRoutes(a, { db }));
      await app.ready();
    });
    afterAll(async () => {
      await app?.close();
      await handle?.drop();
    });

    it("returns per-bucket, per-version shares and mean confidences for each task", async () => {
      const res = await get({ ...range, resolution: "1h" });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ ...range, resolution: "1h", model_version: null, model_versions: ["v1", "v2"] });
      expect(body.points.map((p: { t: string; model_version: string; count: number }) => [p.t, p.model_version, p.count])).toEqual([
        [iso(T), "v1", 4],
        [iso(T), "v2", 1],
        [iso(T + H), "v1", 1],
      ]);
      const [first, challenger, second] = body.points;
      expect(first.sentiment).toEqual({ shares: { bearish: 0.5, neutral: 0.25, bullish: 0.25 }, mean_confidence: 0.75 });
      expect(first.topic.mean_confidence).toBeCloseTo(0.65, 4);
      expect(Object.keys(first.topic.shares)).toHaveLength(20);
      expect(first.topic.shares).toMatchObject({ Earnings: 0.75, Macro: 0.25, Markets: 0, IPO: 0 });
      expect(first.entities).toEqual({
        mean_per_item: 0.75,
        mean_per_item_by_type: { ORG: 0.5, TICKER: 0.25, PERSON: 0, LOCATION: 0, MONEY: 0, PERCENT: 0 },
        mean_confidence: 0.8, // the span without a confidence is counted per item but not in the mean
      });
      expect(challenger.sentiment).toEqual({ shares: { bearish: 0, neutral: 0, bullish: 1 }, mean_confidence: 0.5 });
      expect(challenger.entities).toMatchObject({ mean_per_item: 0, mean_confidence: null });
      expect(second.sentiment.shares).toEqual({ bearish: 0, neutral: 1, bullish: 0 });
      expect(second.entities).toMatchObject({ mean_per_item: 1, mean_confidence: 0.6 });
    });

    it("filters by model version and buckets at the requested resolution", async () => {
      const v2 = (await get({ ...range, model_version: "v2" })).json();
      expect(v2.points.map((p: { model_version: string; count: number }) => [p.model_version, p.count])).toEqual([["v2", 1]]);
      const day = (await get({ ...range, resolution: "1d", model_version: "v1" })).json();
      expect(day.points).toHaveLength(1);
      expect(day.points[0]).toMatchObject({
        t: "2025-03-03T00:00:00.000Z",
        count: 5,
        sentiment: { shares: { bearish: 0.4, neutral: 0.4, bullish: 0.2 } },
      });
      expect((await get({ ...range, model_version: "v9" })).json().points).toEqual([]);
    });

    it("rejects bad queries naming the field", async () => {
      const problems = async (query: Record<string, string>) => {
        const res = await get(query);
        expect(res.statusCode).toBe(400);
        return res.json().problems.map((p: { path: string }) => p.path);
      };
      expect(await problems({ ...range, resolution: "2h" })).toEqual(["resolution"]);
      expect(await problems({ from: range.to, to: range.from })).toEqual(["to"]);
      expect(await problems({ from: "yesterday" })).toEqual(["from"]);
      expect(await problems({ from: iso(T - 30 * 24 * H), to: iso(T), resolution: "5m" })).toEqual(["resolution"]);
      expect(await problems({ ...range, modelVersion: "v1" })).toEqual(["(root)"]);
    });
  });

suite("pglite");
if (!process.env.DATABASE_URL) console.warn("drift endpoint: skipping the Postgres run (DATABASE_URL not set)");
describe.skipIf(!process.env.DATABASE_URL)("with Postgres", () => void suite("pg"));
