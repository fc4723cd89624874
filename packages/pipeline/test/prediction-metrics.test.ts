import { describe, expect, it } from "vitest";
import { registry } from "@finsentry/core";
import type { ScoredItem } from "@finsentry/schemas";
import { recordPredictions } from "../src/metrics.ts";

const item = (id: string, label: "bearish" | "bullish", confidence: number, entities: ScoredItem["output"]["entities"]): ScoredItem => ({
  v: 1,
  item: {
    v: 1,
    id,
    external_id: null,
    source: "t",
    stream: "news",
    published_at: "2025-03-03T00:00:00Z",
    ingested_at: "2025-03-03T00:00:00Z",
    text: "ACME falls",
    url: null,
    author: null,
    lang: "en",
  },
  model_version: "metrics-test",
  scored_at: "2025-03-03T00:00:00Z",
  output: {
    sentiment: { label, score: 0, confidence, probs: { bearish: 0, neutral: 0, bullish: 0 } },
    topic: { label: "Earnings", index: 5, confidence: 0.7 },
    entities,
  },
  mentions: [],
});

describe("scorer prediction metrics", () => {
  it("counts classes per task and model version and records confidences", async () => {
    recordPredictions([
      item("a", "bearish", 0.9, [{ start: 0, end: 4, type: "ORG", text: "ACME", confidence: 0.8 }]),
      item("b", "bearish", 0.3, []),
      item("c", "bullish", 0.6, [{ start: 0, end: 4, type: "TICKER", text: "ACME" }]),
    ]);
    const text = await registry.metrics();
    const line = (name: string) =>
      text
        .split("\n")
        .find((l) => l.startsWith(name))
        ?.split(" ")
        .pop();
    expect(line('finsentry_scorer_predictions_total{task="sentiment",model_version="metrics-test",label="bearish"}')).toBe("2");
    expect(line('finsentry_scorer_predictions_total{task="sentiment",model_version="metrics-test",label="bullish"}')).toBe("1");
    expect(line('finsentry_scorer_predictions_total{task="topic",model_version="metrics-test",label="Earnings"}')).toBe("3");
    expect(line('finsentry_scorer_predictions_total{task="entity",model_version="metrics-test",label="TICKER"}')).toBe("1");
    expect(line('finsentry_scorer_prediction_confidence_count{task="sentiment",model_version="metrics-test"}')).toBe("3");
    expect(line('finsentry_scorer_prediction_confidence_bucket{le="0.5",task="sentiment",model_version="metrics-test"}')).toBe("1");
    // Spans without a confidence are counted but not observed.
    expect(line('finsentry_scorer_prediction_confidence_count{task="entity",model_version="metrics-test"}')).toBe("1");
  });
});
