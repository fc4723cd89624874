import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelOutput } from "@finsentry/schemas";
import {
  blendSentiment,
  CascadeScorer,
  DEFAULT_SENTIMENT_BLEND,
  leastConfidence,
  loadScorer,
  uncoveredName,
  type OnnxScorer,
} from "../src/runtime/index.ts";
import type { TextScorer } from "../src/types.ts";

const BUNDLED = fileURLToPath(new URL("../../../models/default", import.meta.url));

/** A stand-in accurate tier that records what it was asked and answers with a recognisable output. */
class RecordingTier implements TextScorer {
  readonly version = "accurate-test";
  asked: string[][] = [];
  async score(texts: string[]): Promise<ModelOutput[]> {
    this.asked.push(texts);
    return texts.map(() => ({
      sentiment: { label: "bearish", score: -0.9, confidence: 0.99, probs: { bearish: 0.99, neutral: 0.005, bullish: 0.005 } },
      topic: { label: "Company | Product News", index: 2, confidence: 0.99 },
      entities: [],
    }));
  }
  async close(): Promise<void> {}
}

const TEXTS = [
  "Northwind Motors shares plunge 12% after the CEO resigns abruptly",
  "Contoso beats estimates and raises full-year guidance",
  "Markets mixed ahead of the Fed decision",
  "lol what a day",
  "$NWM to the moon",
  "Fabrikam announces a new product line for 2027",
];

describe("CascadeScorer over the bundled model", () => {
  let fast: OnnxScorer;
  beforeAll(async () => {
    fast = await loadScorer(BUNDLED, { executionProvider: "cpu" });
  });
  afterAll(async () => fast.close());

  it("escalates exactly the items whose least fast-tier confidence is under the threshold, and records the tier", async () => {
    const alone = await fast.score(TEXTS);
    const least = alone.map(leastConfidence);
    // A threshold between the observed confidences, so both tiers answer some items.
    const threshold = [...least].sort((a, b) => a - b)[Math.floor(TEXTS.length / 2)]!;
    const accurate = new RecordingTier();
    // sentimentBlend 0: an escalated item's sentiment is the accurate tier's own.
    const cascade = new CascadeScorer(fast, accurate, { threshold, names: false, sentimentBlend: 0 });
    const out = await cascade.score(TEXTS);
    const expected = TEXTS.filter((_, i) => least[i]! < threshold);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(TEXTS.length);
    expect(accurate.asked).toEqual([expected]); // one batch, in order
    out.forEach((o, i) => {
      if (least[i]! < threshold) expect(o).toMatchObject({ tier: "accurate", sentiment: { label: "bearish", confidence: 0.99 } });
      else expect(o).toEqual({ ...alone[i], tier: "fast" });
    });
    expect(cascade.answered).toEqual({ fast: TEXTS.length - expected.length, accurate: expected.length });
    expect(cascade.version).toBe(fast.version); // the champion's id: what the learner and the registry compare
    expect(cascade.describe).toBe(`${fast.version} > accurate-test below ${threshold}`);
  });

  it("by default pools an escalated item's sentiment with the fast tier's; topic and entities stay the accurate tier's", async () => {
    const alone = await fast.score(TEXTS);
    const accurate = new RecordingTier();
    const mine = (await accurate.score(["x"]))[0]!;
    const out = await new CascadeScorer(fast, accurate, { threshold: 1.01 }).score(TEXTS);
    out.forEach((o, i) => {
      expect(o.tier).toBe("accurate");
      expect(o.topic).toEqual(mine.topic);
      expect(o.entities).toEqual(mine.entities);
      expect(o.sentiment).toEqual(blendSentiment(alone[i]!.sentiment, mine.sentiment, DEFAULT_SENTIMENT_BLEND));
    });
    // Where the fast tier disagrees, the pooled probability of the accurate tier's label is below its own 0.99.
    expect(out.some((o, i) => alone[i]!.sentiment.label !== "bearish" && o.sentiment.probs.bearish < 0.99)).toBe(true);
    expect(() => new CascadeScorer(fast, accurate, { threshold: 0.5, sentimentBlend: 1.5 })).toThrow(/blend/);
  });

  it("with the name rule, also escalates a confident item that has a capitalised word outside the fast tier's names", async () => {
    const texts = ["Shares fell after Satya Nadella spoke in Frankfurt", "Markets rose.", "lol what a day"];
    const alone = await fast.score(texts);
    expect(uncoveredName(texts[0]!, alone[0]!)).toBe(true); // "Nadella" and "Frankfurt" are outside its spans
    expect(uncoveredName(texts[1]!, alone[1]!)).toBe(false); // sentence-initial capitals are not evidence of a name
    expect(uncoveredName(texts[2]!, alone[2]!)).toBe(false);
    const accurate = new RecordingTier();
    const out = await new CascadeScorer(fast, accurate, { threshold: 0 }).score(texts);
    expect(accurate.asked).toEqual([[texts[0]]]);
    expect(out.map((o) => o.tier)).toEqual(["accurate", "fast", "fast"]);
  });

  it("at threshold 0 never calls the accurate tier; above 1 sends it everything", async () => {
    const a0 = new RecordingTier();
    expect((await new CascadeScorer(fast, a0, { threshold: 0, names: false }).score(TEXTS)).every((o) => o.tier === "fast")).toBe(true);
    expect(a0.asked).toEqual([]);
    const a1 = new RecordingTier();
    expect((await new CascadeScorer(fast, a1, { threshold: 1.01 }).score(TEXTS)).every((o) => o.tier === "accurate")).toBe(true);
    expect(a1.asked).toEqual([TEXTS]);
    expect(() => new CascadeScorer(fast, a1, { threshold: Number.NaN })).toThrow(/threshold/);
  });
});

describe("blendSentiment", () => {
  const sent = (bearish: number, neutral: number, bullish: number) => {
    const p = [bearish, neutral, bullish];
    const s = p.indexOf(Math.max(...p));
    return {
      label: (["bearish", "neutral", "bullish"] as const)[s]!,
      score: bullish - bearish,
      confidence: p[s]!,
      probs: { bearish, neutral, bullish },
    };
  };

  it("is the renormalised weighted geometric mean of the two tiers' probabilities", () => {
    // Equal weights: sqrt(0.2·0.5), sqrt(0.6·0.4), sqrt(0.2·0.1) = 0.3162, 0.4899, 0.1414, over their sum 0.9475.
    const out = blendSentiment(sent(0.2, 0.6, 0.2), sent(0.5, 0.4, 0.1), 0.5);
    expect(out.label).toBe("neutral"); // the accurate tier alone said bearish
    expect(out.probs.bearish).toBeCloseTo(0.3337, 3);
    expect(out.probs.neutral).toBeCloseTo(0.517, 3);
    expect(out.probs.bullish).toBeCloseTo(0.1493, 3);
    expect(out.confidence).toBe(out.probs.neutral);
    expect(out.score).toBeCloseTo(-0.1845, 3);
  });

  it("weight 0 keeps the accurate tier's sentiment, 1 takes the fast tier's; a printed 0 does not veto a class", () => {
    const acc = sent(0.5, 0.4, 0.1);
    expect(blendSentiment(sent(0.2, 0.6, 0.2), acc, 0)).toBe(acc);
    expect(blendSentiment(sent(0.2, 0.6, 0.2), acc, 1)).toMatchObject({
      label: "neutral",
      probs: { bearish: 0.2, neutral: 0.6, bullish: 0.2 },
    });
    const out = blendSentiment(sent(0, 0.3, 0.7), sent(0.02, 0.08, 0.9), 0.5);
    expect(out.label).toBe("bullish");
    expect(out.probs.bearish).toBeGreaterThan(0);
    expect(() => blendSentiment(acc, acc, -0.1)).toThrow(/\[0, 1\]/);
    expect(() => blendSentiment(acc, acc, Number.NaN)).toThrow(/\[0, 1\]/);
  });
});
