import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelOutput } from "@finsentry/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamicBatcher, decodeEntities, decodeItem, loadScorer, type OnnxScorer } from "../src/runtime/index.ts";
import { OUTPUT_DIGITS } from "../src/output-digits.ts";
import { inventedTexts, tinyModelDir } from "./fixtures/model/tiny.ts";

describe("loadScorer on a tiny random model", () => {
  let dir = "";
  let scorer: OnnxScorer;
  beforeAll(async () => {
    dir = (await tinyModelDir()).dir;
    scorer = await loadScorer(dir, { executionProvider: "cpu", maxBatch: 8, maxWaitMs: 5 });
  });
  afterAll(async () => scorer?.close());

  it("returns one schema-valid ModelOutput per text, version = manifest id", async () => {
    const texts = ["$ACME shares jump 12% after Acme Corp beats estimates", "", "Fed holds rates"];
    const out = await scorer.score(texts);
    expect(scorer.version).toBe("tiny-test");
    expect(out).toHaveLength(3);
    for (const [i, o] of out.entries()) {
      expect(() => ModelOutput.parse(o)).not.toThrow();
      const p = o.sentiment.probs;
      // Each number is rounded to four decimals (OUTPUT_DIGITS), so sums and differences hold to ~1.5e-4.
      expect(p.bearish + p.neutral + p.bullish).toBeCloseTo(1, 3);
      expect(o.sentiment.score).toBeCloseTo(p.bullish - p.bearish, 3);
      const numbers = [o.sentiment.score, o.sentiment.confidence, p.bearish, p.neutral, p.bullish, o.topic.confidence];
      numbers.push(...o.entities.map((e) => e.confidence ?? 0), ...(o.attributions ?? []).map((a) => a.weight));
      for (const x of numbers) expect(Math.abs(x * 10 ** OUTPUT_DIGITS - Math.round(x * 10 ** OUTPUT_DIGITS))).toBeLessThan(1e-6);
      for (const e of o.entities) expect(e.text).toBe(texts[i]!.slice(e.start, e.end));
      for (const a of o.attributions ?? []) expect(a.end).toBeGreaterThan(a.start);
    }
  });

  it("concurrent calls are coalesced and give the same results as one call", async () => {
    const texts = inventedTexts(20, 3);
    const together = await scorer.score(texts);
    const apart = await Promise.all(texts.map((t) => scorer.score([t])));
    apart.forEach(([o], i) => {
      // Within one step of the four-decimal rounding: a float difference between batchings can cross a boundary.
      expect(Math.abs(o!.sentiment.probs.bullish - together[i]!.sentiment.probs.bullish)).toBeLessThanOrEqual(1.0001e-4);
      expect(o!.topic.index).toBe(together[i]!.topic.index);
    });
  });

  it("rejects a model dir whose model.onnx does not match the manifest hash", async () => {
    const bad = (await tinyModelDir({ seed: 2 })).dir;
    const bytes = await readFile(join(bad, "model.onnx"));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
    await writeFile(join(bad, "model.onnx"), bytes);
    await expect(loadScorer(bad)).rejects.toThrow(/sha256/);
  });

  it("rejects an invalid manifest with the failing field named", async () => {
    const bad = (await tinyModelDir({ seed: 3 })).dir;
    const m = JSON.parse(await readFile(join(bad, "manifest.json"), "utf8"));
    m.maxLen = "long";
    await writeFile(join(bad, "manifest.json"), JSON.stringify(m));
    await expect(loadScorer(bad)).rejects.toThrow(/maxLen/);
  });
});

describe("DynamicBatcher", () => {
  it("runs requests that arrive together as one batch, capped at maxBatch", async () => {
    const sizes: number[] = [];
    const b = new DynamicBatcher<number, number>(
      async (xs) => {
        sizes.push(xs.length);
        return xs.map((x) => x * 2);
      },
      4,
      10,
    );
    const outs = await Promise.all([b.submit([1, 2]), b.submit([3]), b.submit([4, 5, 6])]);
    expect(outs).toEqual([[2, 4], [6], [8, 10, 12]]);
    expect(sizes).toEqual([4, 2]);
    await b.close();
    await expect(b.submit([1])).rejects.toThrow(/closed/);
  });

  it("rejects every request of a failing batch", async () => {
    const b = new DynamicBatcher<number, number>(async () => Promise.reject(new Error("boom")), 8, 0);
    await expect(b.submit([1, 2])).rejects.toThrow("boom");
  });
});

describe("decodeItem attributions", () => {
  it("lists the tokens with at least 5 % of the largest weight, weights shared over all of the text's tokens", () => {
    const text = "Acme up 5";
    const offsets = [-1, -1, 0, 4, 5, 7, 8, 9];
    const out = decodeItem({
      text,
      sentiment: [0.1, 0.2, 0.7],
      topic: [1],
      tags: new Float32Array(4 * 13),
      attention: [0.9, 0.6, 0.02, 0.38],
      length: 4,
      offsets,
    });
    expect(out.attributions).toEqual([
      { start: 0, end: 4, weight: 0.6 },
      { start: 8, end: 9, weight: 0.38 },
    ]);
  });
});

describe("decodeEntities", () => {
  it("turns BIO tags into char spans with text", () => {
    const text = "Acme Corp up 5%";
    // positions: [CLS], acme, corp, up, 5, %
    const offsets = [-1, -1, 0, 4, 5, 9, 10, 12, 13, 14, 14, 15];
    const tagIdx = [0, 1, 2, 0, 11, 12]; // O, B-ORG, I-ORG, O, B-PERCENT, I-PERCENT
    const tags = new Float32Array(6 * 13);
    tagIdx.forEach((t, i) => (tags[i * 13 + t] = 0.9));
    const spans = decodeEntities({ text, sentiment: [], topic: [], tags, attention: [], length: 6, offsets });
    expect(spans.map((s) => [s.type, s.text])).toEqual([
      ["ORG", "Acme Corp"],
      ["PERCENT", "5%"],
    ]);
    expect(spans[0]!.confidence).toBeCloseTo(0.9, 5);
  });

  it("reads each word's tag from its first piece only", () => {
    const text = "Proseware Cloud up";
    // positions: [CLS], pros, ##eware, cloud, up
    const offsets = [-1, -1, 0, 4, 4, 9, 10, 15, 16, 18];
    const decode = (tagIdx: number[]) => {
      const tags = new Float32Array(5 * 13);
      tagIdx.forEach((t, i) => (tags[i * 13 + t] = 0.9));
      return decodeEntities({ text, sentiment: [], topic: [], tags, attention: [], length: 5, offsets }).map((s) => [
        s.type,
        s.start,
        s.end,
        s.text,
      ]);
    };
    // B-ORG on "pros", anything on "##eware": the whole word, continued by I-ORG on "cloud".
    expect(decode([0, 1, 0, 2, 0])).toEqual([["ORG", 0, 15, "Proseware Cloud"]]);
    expect(decode([0, 1, 5, 2, 0])).toEqual([["ORG", 0, 15, "Proseware Cloud"]]);
    // A tag on a later piece alone does not make the word an entity.
    expect(decode([0, 0, 1, 0, 0])).toEqual([]);
  });

  const decodeTags = (text: string, offsets: number[], tagIdx: number[]) => {
    const tags = new Float32Array(tagIdx.length * 13);
    tagIdx.forEach((t, i) => (tags[i * 13 + t] = 0.9));
    return decodeEntities({ text, sentiment: [], topic: [], tags, attention: [], length: tagIdx.length, offsets }).map(
      (s) => `${s.type}:${s.text}`,
    );
  };

  it("joins a B tag glued to an open span of its type (one word), and splits tickers at spaces", () => {
    // [CLS], $, EBR, $, CS, CO, $, DG — tagged B B | B I I | I: two pieces of "$EBR" both marked B, and the I on "$DG"
    // (after a space) that would otherwise run "$CSCO $DG" together.
    const text = "$EBR $CSCO $DG";
    const offsets = [-1, -1, 0, 1, 1, 4, 5, 6, 6, 8, 8, 10, 11, 12, 12, 14];
    expect(decodeTags(text, offsets, [0, 3, 3, 3, 4, 4, 4, 4])).toEqual(["TICKER:$EBR", "TICKER:$CSCO", "TICKER:$DG"]);
  });

  it("joins same-type names separated only by whitespace, but not across punctuation or for amounts", () => {
    // [CLS], Videocon, D2H, to, list, ,, Tesla, ,, Apple, 5%, 6%
    const text = "Videocon D2H to list, Tesla, Apple 5% 6%";
    const offsets = [-1, -1, 0, 8, 9, 12, 13, 15, 16, 20, 20, 21, 22, 27, 27, 28, 29, 34, 35, 37, 38, 40];
    expect(decodeTags(text, offsets, [0, 1, 1, 0, 0, 0, 1, 0, 1, 11, 11])).toEqual([
      "ORG:Videocon D2H",
      "ORG:Tesla",
      "ORG:Apple",
      "PERCENT:5%",
      "PERCENT:6%",
    ]);
  });

  // One word per position after [CLS]; each row gives a few tags' probabilities (the rest share what is left).
  const decodeProbs = (text: string, rows: Array<Record<number, number>>) => {
    const offsets = [-1, -1];
    for (const m of text.matchAll(/\S+/g)) offsets.push(m.index, m.index + m[0].length);
    const tags = new Float32Array((rows.length + 1) * 13);
    rows.forEach((r, i) => {
      const rest = (1 - Object.values(r).reduce((a, b) => a + b, 0)) / (13 - Object.keys(r).length);
      for (let k = 0; k < 13; k++) tags[(i + 1) * 13 + k] = r[k] ?? rest;
    });
    return decodeEntities({ text, sentiment: [], topic: [], tags, attention: [], length: rows.length + 1, offsets }).map(
      (s) => `${s.type}:${s.text}`,
    );
  };

  it("decodes the most probable well-formed tag sequence, not each word's argmax", () => {
    // Argmax per word reads B-ORG O I-ORG, which greedy decoding made two names ("Aural", "Partners"); the best
    // well-formed sequence is B I I (0.45 · 0.5 against B O B's 0.5 · 0.2).
    expect(decodeProbs("Aural Analytics Partners rose", [{ 1: 0.9 }, { 0: 0.5, 2: 0.45 }, { 2: 0.5, 1: 0.2 }, { 0: 0.9 }])).toEqual([
      "ORG:Aural Analytics Partners",
    ]);
    // An I-ORG after a likely O: opening the name one word earlier (0.35 · 0.7) beats starting it late (0.6 · 0.2).
    expect(decodeProbs("Brightsideco Insurance Limited", [{ 0: 0.6, 1: 0.35 }, { 2: 0.7, 1: 0.2 }, { 2: 0.8 }])).toEqual([
      "ORG:Brightsideco Insurance Limited",
    ]);
    // A stray I-ORG with no plausible B before it is dropped, where greedy decoding opened a span.
    expect(decodeProbs("shares up strongly", [{ 0: 0.9 }, { 0: 0.9 }, { 2: 0.5, 0: 0.45 }])).toEqual([]);
  });
});
