import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelOutput, ScoredItem, SentimentLabel, TopicLabel } from "@finsentry/schemas";
import { mentionsOf } from "../src/entity-keys.ts";
import { markPublished, persistScored } from "../src/persist.ts";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";

const TEXT = "ACME falls as Globex rises";

function scoredItem(
  id: string,
  o: {
    version: string;
    at: string;
    label: SentimentLabel;
    score: number;
    confidence: number;
    topic: TopicLabel;
    entities?: ModelOutput["entities"];
  },
): ScoredItem {
  const output: ModelOutput = {
    sentiment: { label: o.label, score: o.score, confidence: o.confidence, probs: { bearish: 0, neutral: 0, bullish: 0 } },
    topic: { label: o.topic, index: 0, confidence: 0.7 },
    entities: o.entities ?? [{ start: 0, end: 4, type: "TICKER", text: "ACME" }],
  };
  return {
    v: 1,
    item: {
      v: 1,
      id,
      external_id: null,
      source: "t",
      stream: "news",
      published_at: "2025-03-03T10:00:00.000Z",
      ingested_at: "2025-03-03T10:00:01.000Z",
      text: TEXT,
      url: null,
      author: null,
      lang: "en",
    },
    model_version: o.version,
    scored_at: o.at,
    output,
    mentions: mentionsOf(output),
  };
}

describe.each(dbKinds)("persistScored: mention rows carry their item's newest score (%s)", (kind) => {
  let h: Awaited<ReturnType<typeof openTestDb>>;
  beforeAll(async () => {
    h = await openTestDb(kind);
  });
  afterAll(() => h.drop());

  const mentions = async (id: string) =>
    (
      await h.db.exec(
        `select start, entity_key, sentiment, sentiment_score, confidence, topic, model_version, scored_at from entity_mentions where item_id = $1 order by start`,
        [id],
      )
    ).rows.map((r) => ({ ...r, scored_at: new Date(r.scored_at as string).toISOString() }));
  const fields = (version: string, at: string, sentiment: SentimentLabel, score: number, confidence: number, topic: TopicLabel) => ({
    sentiment,
    sentiment_score: expect.closeTo(score, 5),
    confidence: expect.closeTo(confidence, 5),
    topic,
    model_version: version,
    scored_at: at,
  });

  it("writes the score fields with the mentions, keeps them on replay, and moves them to a newer model version's score", async () => {
    const v1 = scoredItem("a", {
      version: "v1",
      at: "2025-03-03T10:00:02.000Z",
      label: "bearish",
      score: -0.8,
      confidence: 0.9,
      topic: "Earnings",
    });
    const other = scoredItem("b", {
      version: "v1",
      at: "2025-03-03T10:00:02.000Z",
      label: "neutral",
      score: 0.1,
      confidence: 0.6,
      topic: "Macro",
    });
    await persistScored(h.db.db, [v1, other], new Map());
    expect(await mentions("a")).toMatchObject([fields("v1", "2025-03-03T10:00:02.000Z", "bearish", -0.8, 0.9, "Earnings")]);

    // A replay of the batch (same version, scored again later) changes nothing, as for the score row itself.
    await persistScored(h.db.db, [{ ...v1, scored_at: "2025-03-03T10:05:00.000Z" }, other], new Map());
    expect(await mentions("a")).toMatchObject([fields("v1", "2025-03-03T10:00:02.000Z", "bearish", -0.8, 0.9, "Earnings")]);

    // Rescored by a new version that also finds a second entity: every mention of the item, old span and new,
    // carries the new score.
    const v2 = scoredItem("a", {
      version: "v2",
      at: "2025-03-03T11:00:00.000Z",
      label: "bullish",
      score: 0.6,
      confidence: 0.7,
      topic: "Markets",
      entities: [
        { start: 0, end: 4, type: "TICKER", text: "ACME" },
        { start: 14, end: 20, type: "ORG", text: "Globex" },
      ],
    });
    await persistScored(h.db.db, [v2], new Map());
    const now = fields("v2", "2025-03-03T11:00:00.000Z", "bullish", 0.6, 0.7, "Markets");
    expect(await mentions("a")).toMatchObject([
      { ...now, start: 0, entity_key: "TICKER:ACME" },
      { ...now, start: 14 },
    ]);

    // A late replay of the older version's batch does not take the mentions back to the older score.
    await persistScored(h.db.db, [v1], new Map());
    expect(await mentions("a")).toMatchObject([now, now]);
    expect(await mentions("b")).toMatchObject([fields("v1", "2025-03-03T10:00:02.000Z", "neutral", 0.1, 0.6, "Macro")]);
    const n = (await h.db.exec("select count(*)::int as scores from scores where item_id = 'a'")).rows[0];
    expect(n).toEqual({ scores: 2 });
  });

  it("keeps stored items pending in the outbox until marked: a replay publishes them once, a later replay not again", async () => {
    const item = (id: string) =>
      scoredItem(id, { version: "v1", at: "2025-03-03T10:00:02.000Z", label: "neutral", score: 0, confidence: 0.5, topic: "Macro" });
    const outbox = async () =>
      (await h.db.exec("select item_ids from scored_outbox where item_ids && array['o1','o2','o3'] order by id")).rows.map(
        (r) => r.item_ids,
      );
    // Stored, then the scorer dies before publishing: the ids wait in the store's outbox row.
    const first = await persistScored(h.db.db, [item("o1"), item("o2")], new Map());
    expect([...first.unpublished].sort()).toEqual(["o1", "o2"]);
    expect(first.replayed).toEqual([]);
    expect(await outbox()).toEqual([["o1", "o2"]]);
    // The replay (with a new item) finds both pending and publishes all three; its mark clears every row.
    const replay = await persistScored(h.db.db, [item("o1"), item("o2"), item("o3")], new Map());
    expect([...replay.unpublished].sort()).toEqual(["o1", "o2", "o3"]);
    expect(replay.replayed.sort()).toEqual(["o1", "o2"]);
    await markPublished(h.db.db, replay);
    expect(await outbox()).toEqual([]);
    // Published: a later copy of the same items is stored as a duplicate and not published again.
    const again = await persistScored(h.db.db, [item("o1"), item("o3")], new Map());
    expect(again).toEqual({ unpublished: new Set(), outboxId: null, replayed: [] });
  });

  it("takes only the replayed ids out of an earlier outbox row that also holds others", async () => {
    const item = (id: string) =>
      scoredItem(id, { version: "v1", at: "2025-03-03T10:00:02.000Z", label: "neutral", score: 0, confidence: 0.5, topic: "Macro" });
    await persistScored(h.db.db, [item("p1"), item("p2")], new Map());
    const replay = await persistScored(h.db.db, [item("p1")], new Map());
    expect(replay).toEqual({ unpublished: new Set(["p1"]), outboxId: null, replayed: ["p1"] });
    await markPublished(h.db.db, replay);
    const rows = await h.db.exec("select item_ids from scored_outbox where item_ids && array['p1','p2']");
    expect(rows.rows.map((r) => r.item_ids)).toEqual([["p2"]]);
  });
});
