import { fileURLToPath } from "node:url";
import { TOPIC_LABELS, type ModelOutput, type SentimentLabel } from "@finsentry/schemas";
import { describe, expect, it } from "vitest";
import { classificationReport, entityReport, parseLabelMap, readEvalData, runEvalCli, DEFAULT_MODEL_DIR } from "../src/eval/index.ts";

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/text/eval/${name}`, import.meta.url));

describe("classificationReport", () => {
  it("computes accuracy, per-class P/R/F1, macro-F1 over present classes and the confusion matrix", () => {
    const gold = ["bullish", "bullish", "bearish", "neutral", "neutral", "neutral"];
    const pred = ["bullish", "neutral", "bearish", "neutral", "bullish", "neutral"];
    const r = classificationReport(gold, pred, ["bearish", "neutral", "bullish"]);
    expect(r.n).toBe(6);
    expect(r.accuracy).toBeCloseTo(4 / 6);
    expect(r.per_class.bullish).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(r.per_class.neutral!.precision).toBeCloseTo(2 / 3);
    expect(r.per_class.neutral!.recall).toBeCloseTo(2 / 3);
    expect(r.per_class.bearish).toEqual({ precision: 1, recall: 1, f1: 1, support: 1 });
    expect(r.macro_f1).toBeCloseTo((0.5 + 2 / 3 + 1) / 3);
    expect(r.confusion).toEqual({
      labels: ["bearish", "neutral", "bullish"],
      matrix: [
        [1, 0, 0],
        [0, 2, 1],
        [0, 1, 1],
      ],
    });
  });

  it("leaves classes absent from gold and predictions out of macro-F1 but keeps them in per_class", () => {
    const r = classificationReport(["a", "a"], ["a", "b"], ["a", "b", "c"]);
    expect(r.per_class.c).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(r.macro_f1).toBeCloseTo((2 / 3 + 0) / 2);
    expect(() => classificationReport(["x"], ["a"], ["a"])).toThrow(/gold label "x"/);
  });
});

describe("entityReport", () => {
  it("scores exact span-and-type matches, micro and per type", () => {
    const gold = [
      [
        { start: 0, end: 4, type: "ORG" as const },
        { start: 10, end: 12, type: "PERCENT" as const },
      ],
      [{ start: 0, end: 5, type: "TICKER" as const }],
    ];
    const pred = [
      [
        { start: 0, end: 4, type: "ORG" as const },
        { start: 10, end: 13, type: "PERCENT" as const },
      ],
      [{ start: 0, end: 5, type: "ORG" as const }],
    ];
    const r = entityReport(gold, pred, ["ORG", "TICKER", "PERCENT"]);
    expect(r).toMatchObject({ n: 2, precision: 1 / 3, recall: 1 / 3, accuracy: 0, confusion: null });
    expect(r.f1).toBeCloseTo(1 / 3);
    expect(r.per_class.ORG).toEqual({ precision: 0.5, recall: 1, f1: 2 / 3, support: 1 });
    expect(r.per_class.TICKER).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(r.macro_f1).toBeCloseTo(2 / 3 / 3);
  });
});

describe("eval data", () => {
  it("parses label maps", () => {
    expect([...parseLabelMap("0=bearish, 1=bullish,2=neutral")]).toEqual([
      ["0", "bearish"],
      ["1", "bullish"],
      ["2", "neutral"],
    ]);
    expect([...parseLabelMap("3=Fed | Central Banks")]).toEqual([["3", "Fed | Central Banks"]]);
    expect(() => parseLabelMap("0=a,0=b")).toThrow(/mapped twice/);
    expect(() => parseLabelMap("bearish")).toThrow(/raw=label/);
  });

  it("reads CSV with custom columns, quoted newlines and a label map", async () => {
    const d = await readEvalData(fixture("sentiment.csv"), {
      task: "sentiment",
      textCol: "body",
      labelCol: "gold",
      labelMap: parseLabelMap("0=bearish,1=bullish,2=neutral"),
    });
    expect(d.items.map((i) => (i.task === "sentiment" ? i.label : null))).toEqual(["bullish", "bearish", "neutral", "bullish", "bearish"]);
    expect(d.items[1]!.text).toBe("Globex slumps as sales miss\nand guidance is cut");
    expect(d.items[3]!.text).toBe('Initech "surges" on takeover bid');
    expect(d.items.map((i) => i.line)).toEqual([2, 3, 5, 6, 7]);
  });

  it("accepts topic names and indices, skipping JSONL lines without the label", async () => {
    const d = await readEvalData(fixture("topic.jsonl"), { task: "topic" });
    expect(d.items.map((i) => (i.task === "topic" ? i.label : null))).toEqual([
      "Dividend",
      "Fed | Central Banks",
      "Earnings",
      "M&A | Investments",
    ]);
    expect(d.skipped).toBe(1);
  });

  it("names file and line for bad labels and missing columns", async () => {
    await expect(readEvalData(fixture("bad-topic.csv"), { task: "topic" })).rejects.toThrow(/bad-topic\.csv:3: unknown topic "Weather"/);
    await expect(readEvalData(fixture("sentiment.csv"), { task: "sentiment" })).rejects.toThrow(/sentiment\.csv:1: no column "text"/);
    await expect(readEvalData(fixture("sentiment.csv"), { task: "sentiment", textCol: "body", labelCol: "gold" })).rejects.toThrow(
      /sentiment\.csv:2: unknown sentiment "1"/,
    );
    await expect(
      readEvalData(fixture("sentiment.csv"), {
        task: "sentiment",
        textCol: "body",
        labelCol: "gold",
        labelMap: parseLabelMap("0=bearish,1=bullish"),
      }),
    ).rejects.toThrow(/sentiment\.csv:5: label "2" is not in --label-map/);
  });
});

/** A deterministic fake model: keywords decide sentiment/topic; "Acme Corp" and "%" spans are entities. */
function fakeOutput(text: string): ModelOutput {
  const label: SentimentLabel = /soar|surge|beat/i.test(text) ? "bullish" : /slump|miss|fall/i.test(text) ? "bearish" : "neutral";
  const index = /dividend/i.test(text) ? 4 : /earnings/i.test(text) ? 5 : /fed/i.test(text) ? 1 : 9;
  const entities: ModelOutput["entities"] = [];
  const acme = text.indexOf("Acme Corp");
  if (acme >= 0) entities.push({ start: acme, end: acme + 9, type: "ORG", text: "Acme Corp" });
  const pct = /\d+%/.exec(text);
  if (pct) entities.push({ start: pct.index, end: pct.index + pct[0].length, type: "PERCENT", text: pct[0] });
  return {
    sentiment: {
      label,
      score: label === "bullish" ? 0.8 : label === "bearish" ? -0.8 : 0,
      confidence: 0.9,
      probs: { bearish: 0.05, neutral: 0.05, bullish: 0.9 },
    },
    topic: { label: TOPIC_LABELS[index]!, index, confidence: 0.9 },
    entities,
  };
}

async function cli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string; models: string[]; batches: number[]; closed: number }> {
  let stdout = "";
  let stderr = "";
  const models: string[] = [];
  const batches: number[] = [];
  let closed = 0;
  const code = await runEvalCli(args, {
    loadScorer: async (dir) => {
      models.push(dir);
      return {
        score: async (texts) => {
          batches.push(texts.length);
          return texts.map(fakeOutput);
        },
        close: async () => void closed++,
      };
    },
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr, models, batches, closed };
}

describe("eval CLI", () => {
  it("prints exactly one JSON object for a classification task", async () => {
    const r = await cli([
      "--model",
      "/tmp/m",
      "--data",
      fixture("sentiment.csv"),
      "--task",
      "sentiment",
      "--text-col",
      "body",
      "--label-col",
      "gold",
      "--label-map",
      "0=bearish,1=bullish,2=neutral",
      "--batch-size",
      "2",
      "--json",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(["task", "n", "accuracy", "macro_f1", "per_class", "confusion"]);
    expect(out).toMatchObject({ task: "sentiment", n: 5, accuracy: 0.8 });
    expect(Object.keys(out.per_class)).toEqual(["bearish", "neutral", "bullish"]);
    expect(out.confusion.matrix).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [0, 0, 2],
    ]);
    expect(r.models).toEqual(["/tmp/m"]);
    expect(r.batches).toEqual([2, 2, 1]);
    expect(r.closed).toBe(1);
  });

  it("evaluates topics from JSONL and entities with the documented key set", async () => {
    const topic = await cli(["--data", fixture("topic.jsonl"), "--task", "topic", "--json"]);
    expect(topic.code).toBe(0);
    expect(JSON.parse(topic.stdout)).toMatchObject({ task: "topic", n: 4, accuracy: 0.75 });
    expect(topic.stderr).toMatch(/skipped 1 line/);
    expect(topic.models).toEqual([DEFAULT_MODEL_DIR]);
    expect(DEFAULT_MODEL_DIR).toMatch(/models[\\/]default$/);

    const ents = await cli(["--data", fixture("entities.jsonl"), "--task", "entities", "--json"]);
    const out = JSON.parse(ents.stdout);
    expect(Object.keys(out).sort()).toEqual(["accuracy", "confusion", "f1", "macro_f1", "n", "per_class", "precision", "recall", "task"]);
    expect(out).toMatchObject({ task: "entities", n: 3, precision: 1, recall: 2 / 3 });
    expect(out.per_class.TICKER).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
  });

  it("prints a readable table without --json", async () => {
    const r = await cli(["--data", fixture("topic.jsonl"), "--task", "topic"]);
    expect(r.stdout).toMatch(/^task topic {2}n=4 {2}accuracy {2}75\.0/);
    expect(r.stdout).toContain("Fed | Central Banks");
  });

  it("fails with exit code 2 on usage errors and 1 on data errors, never printing to stdout", async () => {
    const usage = await cli(["--data", fixture("topic.jsonl"), "--task", "mood", "--json"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--task/);
    const missing = await cli(["--task", "topic"]);
    expect(missing.code).toBe(2);
    const bad = await cli(["--data", fixture("bad-topic.csv"), "--task", "topic", "--json"]);
    expect(bad).toMatchObject({ code: 1, stdout: "", models: [] });
    expect(bad.stderr).toMatch(/bad-topic\.csv:3: unknown topic "Weather"/);
  });
});
