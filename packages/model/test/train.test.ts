import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../src/backend/index.ts";
import type { Example } from "../src/data/example.ts";
import { loadScorer } from "../src/runtime/index.ts";
import { Tokenizer } from "../src/tokenizer/index.ts";
import { buildEntityPool, swapEntities, tokenDropout } from "../src/train/augment.ts";
import { classWeights, maskedCrossEntropy, distillationLoss, featureLoss } from "../src/train/losses.ts";
import { featureDimOf, loadTeacher, softTargets } from "../src/train/teacher.ts";
import { learningRate } from "../src/train/schedule.ts";
import { encodeExample, evaluate, fineTune, trainModel, type TrainInput, type TrainOptionsInput } from "../src/train/index.ts";
import { toWeightMap } from "../src/nn/index.ts";
import { tinyModelDir } from "./fixtures/model/tiny.ts";

/** A synthetic corpus (invented text) where labels follow simple rules a tiny model can learn quickly. */
function synthetic(n: number, seed: number): Example[] {
  const firms = ["Acme", "Globex", "Initech", "Hooli", "Umbrella", "Cyberdyne"];
  const tickers = ["ACME", "GLBX", "INTC", "HOOL", "UMBR", "CYBR"];
  const moods = [
    ["plunges", "slumps", "crashes"],
    ["holds", "steady", "flat"],
    ["soars", "jumps", "rallies"],
  ] as const;
  const topics = [
    ["earnings", 5],
    ["dividend", 4],
    ["merger", 13],
  ] as const;
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const f = Math.floor(rnd() * firms.length);
    const mood = Math.floor(rnd() * 3);
    const [word, topic] = pick(topics);
    const head = `$${tickers[f]} `;
    const text = `${head}${firms[f]} ${pick(moods[mood]!)} on ${word} news`;
    const e: Example = { text, source: "synthetic" };
    if (i % 3 !== 1) e.sentiment = (["bearish", "neutral", "bullish"] as const)[mood];
    if (i % 3 !== 0) e.topic = topic;
    e.entities = [
      { start: 0, end: head.length - 1, type: "TICKER" },
      { start: head.length, end: head.length + firms[f]!.length, type: "ORG" },
    ];
    return e;
  });
}

describe("training pieces", () => {
  it("char spans become BIO tags through the tokenizer's offsets", () => {
    const tok = Tokenizer.train(["Acme Corp rose", "Acme Corp fell"], { vocabSize: 256, minFreq: 1 });
    const x = encodeExample(
      { text: "Acme Corp rose", source: "t", entities: [{ start: 0, end: 9, type: "ORG" }], sentiment: "bullish" },
      tok,
      16,
    );
    expect(Array.from(x.tags!)).toEqual([-1, 1, 2, 0]); // [CLS], B-ORG, I-ORG, O
    expect(x.sentiment).toBe(2);
    expect(x.topic).toBe(-1);
    expect(encodeExample({ text: "Acme", source: "t" }, tok, 16).tags).toBeNull();
  });

  it("masked cross-entropy ignores unlabelled rows and is null when nothing is labelled", () => {
    const logits = tf.tensor2d([
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 2],
    ]);
    expect(maskedCrossEntropy(logits, Int32Array.from([-1, -1, -1]), new Float32Array([1, 1, 1]))).toBeNull();
    const l = maskedCrossEntropy(logits, Int32Array.from([0, -1, 2]), new Float32Array([1, 1, 1]))!.dataSync()[0]!;
    const expected = -Math.log(Math.exp(2) / (Math.exp(2) + 2));
    expect(l).toBeCloseTo(expected, 5);
  });

  it("class weights up-weight rare classes and average to 1 over the labels", () => {
    const labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, -1];
    const w = classWeights(labels, 3, 0.5);
    expect(w[2]!).toBeGreaterThan(w[1]!);
    expect(w[1]!).toBeGreaterThan(w[0]!);
    const mean = labels.filter((l) => l >= 0).reduce((a, l) => a + w[l]!, 0) / 11;
    expect(mean).toBeCloseTo(1, 5);
  });

  it("learning rate warms up linearly then decays to the floor", () => {
    const o = { peak: 1, warmupSteps: 10, decay: "cosine" as const, minRatio: 0.1 };
    expect(learningRate(0, 100, o)).toBeCloseTo(0.1);
    expect(learningRate(9, 100, o)).toBeCloseTo(1);
    expect(learningRate(100, 100, o)).toBeCloseTo(0.1);
    expect(learningRate(55, 100, { ...o, decay: "linear" })).toBeCloseTo(0.55);
  });

  it("entity swapping re-anchors spans; token dropout keeps [CLS] and repairs orphan I- tags", () => {
    const ex: Example = {
      text: "Acme beats Globex",
      source: "t",
      entities: [
        { start: 0, end: 4, type: "ORG" },
        { start: 11, end: 17, type: "ORG" },
      ],
    };
    const pool = buildEntityPool([ex, { text: "Initech Holdings", source: "t", entities: [{ start: 0, end: 16, type: "ORG" }] }]);
    const sw = swapEntities(ex, pool, 1, () => 0.99);
    for (const s of sw.entities!) expect(pool.get("ORG")).toContain(sw.text.slice(s.start, s.end));
    const x = { ids: Int32Array.from([2, 10, 11, 12]), tags: Int8Array.from([-1, 1, 2, 0]), sentiment: 0, topic: -1 };
    let i = 0;
    const seq = [0.0, 0.9, 0.9]; // drop, keep, keep → drops the B, keeps the I
    const d = tokenDropout(x, 0.5, () => seq[i++]!);
    expect(Array.from(d.ids)).toEqual([2, 11, 12]);
    expect(Array.from(d.tags!)).toEqual([-1, 1, 0]);
  });
});

const TINY = { dModel: 16, nLayers: 1, nHeads: 2, dFF: 32, maxLen: 16 };

/** Trains on `nTrain` synthetic examples (seed) and scores on `nDev` (seed + 1), with a tokenizer learned from them. */
async function trainSynthetic(nTrain: number, nDev: number, seed: number, options: TrainOptionsInput, extra: Partial<TrainInput> = {}) {
  const train = synthetic(nTrain, seed);
  const dev = synthetic(nDev, seed + 1);
  const tok = Tokenizer.train(
    train.map((e) => e.text),
    { vocabSize: 300, minFreq: 1 },
  );
  const r = await trainModel({
    train,
    dev,
    tokenizer: tok,
    options: { batchSize: 16, patience: 0, sizes: TINY, ...options },
    log: () => {},
    ...extra,
  });
  return { r, tok, dev };
}

describe("distillation pieces", () => {
  const file = async (lines: string[]) => {
    const p = join(await mkdtemp(join(tmpdir(), "teacher-")), "t.jsonl");
    await writeFile(p, lines.join("\n") + "\n");
    return p;
  };

  it("reads teacher logits by text and refuses bad lines with their number and reason", async () => {
    const ok = await loadTeacher(
      await file([JSON.stringify({ text: "a", sentiment: [1, 2, 3] }), "", JSON.stringify({ text: "b", topic: Array(20).fill(0) })]),
    );
    expect([...ok.keys()]).toEqual(["a", "b"]);
    expect(Array.from(ok.get("a")!.sentiment!)).toEqual([1, 2, 3]);
    expect(ok.get("a")!.topic).toBeUndefined();
    await expect(loadTeacher(await file([JSON.stringify({ text: "a", sentiment: [1, 2, 3] }), "{oops"]))).rejects.toThrow(
      /line 2: not JSON/,
    );
    await expect(loadTeacher(await file([JSON.stringify({ text: "a", sentiment: [1, 2] })]))).rejects.toThrow(/line 1: sentiment: .*3/);
    await expect(loadTeacher(await file([JSON.stringify({ text: "a" })]))).rejects.toThrow(
      /line 1: .*needs sentiment and\/or topic logits/,
    );
    await expect(loadTeacher(await file([""]))).rejects.toThrow(/no rows/);
    await expect(loadTeacher("/nonexistent/teacher.jsonl")).rejects.toThrow(/teacher file \/nonexistent\/teacher.jsonl/);
  });

  it("softens logits with the temperature and scores them as T² · KL over rows with a target", () => {
    const sharp = softTargets(Float32Array.from([2, 0, 0]), 1);
    const soft = softTargets(Float32Array.from([2, 0, 0]), 4);
    expect(sharp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(sharp[0]).toBeCloseTo(Math.exp(2) / (Math.exp(2) + 2), 6);
    expect(soft[0]!).toBeLessThan(sharp[0]!);
    const logits = tf.tensor2d([
      [1, 0, 0],
      [0, 0, 0],
    ]);
    // Row 2 has no teacher (all zero): only row 1 counts. T = 2: p = softmax([0.5, 0, 0]).
    const q = Float32Array.from([0.5, 0.25, 0.25, 0, 0, 0]);
    const z = Math.log(Math.exp(0.5) + 2);
    const want = 4 * (0.5 * (Math.log(0.5) - (0.5 - z)) + 2 * 0.25 * (Math.log(0.25) + z)); // T² · KL(q ‖ p)
    expect(distillationLoss(logits, q, 1, 2)!.dataSync()[0]).toBeCloseTo(want, 5);
    // KL is zero when the student already matches the teacher (a cross-entropy would leave the teacher's entropy).
    const match = softTargets(Float32Array.from([1, 0, 0]), 2);
    expect(distillationLoss(tf.tensor2d([[1, 0, 0]]), match, 1, 2)!.dataSync()[0]).toBeCloseTo(0, 5);
    expect(distillationLoss(logits, new Float32Array(6), 0, 2)).toBeNull();
  });

  it("reads teacher features, refuses a file whose feature lengths differ, and scores them over rows with a target", async () => {
    const t = await loadTeacher(
      await file([
        JSON.stringify({ text: "a", sentiment: [1, 2, 3], features: [0.5, -1] }),
        JSON.stringify({ text: "b", sentiment: [0, 0, 0] }),
      ]),
    );
    expect(Array.from(t.get("a")!.features!)).toEqual([0.5, -1]);
    expect(t.get("b")!.features).toBeUndefined();
    await expect(
      loadTeacher(
        await file([
          JSON.stringify({ text: "a", sentiment: [1, 2, 3], features: [1, 2] }),
          JSON.stringify({ text: "b", sentiment: [1, 2, 3], features: [1, 2, 3] }),
        ]),
      ),
    ).rejects.toThrow(/line 2: features: 3 values, earlier rows have 2/);
    await expect(loadTeacher(await file([JSON.stringify({ text: "a", sentiment: [1, 2, 3], features: [1, null] })]))).rejects.toThrow(
      /line 1: features/,
    );
    // Row 2 has no target (mask 0): only row 1's mean squared error counts.
    const pred = tf.tensor2d([
      [1, 2],
      [9, 9],
    ]);
    expect(featureLoss(pred, Float32Array.from([0, 0, 0, 0]), Float32Array.from([1, 0]), 1)!.dataSync()[0]).toBeCloseTo((1 + 4) / 2, 6);
    expect(featureLoss(pred, new Float32Array(4), new Float32Array(2), 0)).toBeNull();
    // Across files (teacher and transfer set) the lengths must agree too; files without features say nothing.
    const f2 = new Map([["a", { sentiment: Float32Array.from([1, 2, 3]), features: Float32Array.from([1, 2]) }]]);
    const f3 = new Map([["b", { sentiment: Float32Array.from([1, 2, 3]), features: Float32Array.from([1, 2, 3]) }]]);
    expect(featureDimOf(f2, undefined, new Map([["c", { topic: new Float32Array(20) }]]))).toBe(2);
    expect(featureDimOf(undefined)).toBeUndefined();
    expect(() => featureDimOf(f2, f3)).toThrow(/disagree on the feature length \(2 vs 3\)/);
  });
});

describe("trainModel on a synthetic corpus", () => {
  beforeAll(async () => {
    await selectBackend("wasm", () => {});
  });

  it("learns all three tasks jointly with masked labels (static weights)", async () => {
    const { r } = await trainSynthetic(384, 96, 1, {
      epochs: 6,
      lr: 3e-3,
      dropout: 0,
      sizes: { dModel: 32, nLayers: 1, nHeads: 2, dFF: 64, maxLen: 16 },
    });
    expect(r.best!.sentiment!.accuracy).toBeGreaterThan(0.9);
    expect(r.best!.topic!.accuracy).toBeGreaterThan(0.9);
    expect(r.best!.entities!.spanF1).toBeGreaterThan(0.9);
    expect(r.history.filter((h) => h.phase === "joint").length).toBeGreaterThan(0);
  });

  it("trains the wide bag-of-tokens path beside the encoder when asked", async () => {
    const { r, tok } = await trainSynthetic(192, 64, 6, {
      epochs: 3,
      lr: 3e-3,
      dropout: 0,
      wide: true,
      wideLrScale: 10,
      wideAuxWeight: 0.5,
    });
    expect(r.config.wide).toBe(true);
    const table = r.raw["wide.w"]!;
    expect(table.shape).toEqual([tok.vocabSize, 23]);
    expect(table.data.some((v) => Math.abs(v) > 1e-3)).toBe(true); // started at zero, learned
    const joint = r.history.filter((h) => h.phase === "joint");
    expect(joint.at(-1)!.loss.sentiment!).toBeLessThan(joint[0]!.loss.sentiment!);
    expect(joint.at(-1)!.loss.topic!).toBeLessThan(joint[0]!.loss.topic!);
  });

  it("averages the weights of the last epochs and keeps the average only when its dev score is best", async () => {
    const { r, tok, dev } = await trainSynthetic(128, 48, 8, { epochs: 4, lr: 3e-3, dropout: 0, averageFrom: 2 });
    const joint = r.history.filter((h) => h.phase === "joint");
    // The average exists from its second epoch (epochs 3 and 4) and is scored on dev like every epoch.
    expect(joint.map((h) => h.devAveraged !== undefined)).toEqual([false, false, true, true]);
    const bestSingle = Math.max(...joint.map((h) => h.dev!.score));
    const bestAvg = Math.max(...joint.map((h) => h.devAveraged?.score ?? -1));
    if (bestAvg > bestSingle) {
      expect(r.averaged).toMatchObject({ from: 2 });
      expect(r.best!.score).toBe(bestAvg);
    } else {
      expect(r.averaged).toBeUndefined();
      expect(r.best!.score).toBe(bestSingle);
    }
    // The kept weights reproduce the kept dev score.
    const wm = toWeightMap(r.raw);
    const again = evaluate(
      wm,
      r.config,
      dev.map((e) => encodeExample(e, tok, r.config.maxLen)),
      r.options.tasks,
      "scatter-js",
    );
    expect(again.score).toBeCloseTo(r.best!.score, 6);
  });

  it("runs masked-LM pre-training, uncertainty weighting and augmentation together", async () => {
    const { r } = await trainSynthetic(
      96,
      32,
      3,
      { epochs: 2, mlmEpochs: 1, taskWeights: "uncertainty", entitySwap: 0.5, tokenDropout: 0.1 },
      {
        unlabelled: ["Hooli soars on merger news", "Acme holds steady"],
      },
    );
    expect(r.history[0]!.phase).toBe("mlm");
    expect(r.history[0]!.loss.mlm).toBeGreaterThan(0);
    const tw = r.history.at(-1)!.taskWeights!;
    expect(Object.keys(tw).sort()).toEqual(["entities", "sentiment", "topic"]);
    for (const v of Object.values(tw)) expect(v).not.toBe(1); // learned, moved away from exp(0)
    expect(r.raw["mlm.b"]).toBeUndefined(); // training-only weights are not exported
  });

  it("scales each task's learned term by its static weight under uncertainty weighting (a prior, 0 switches a task off)", async () => {
    const { r } = await trainSynthetic(96, 32, 3, {
      epochs: 2,
      taskWeights: "uncertainty",
      staticWeights: { sentiment: 1, topic: 2, entities: 0 },
    });
    const tw = r.history.at(-1)!.taskWeights!;
    expect(tw.entities).toBe(1); // w = 0: no gradient reaches its log-variance, which stays at exp(0)
    expect(tw.sentiment).not.toBe(1);
    expect(tw.topic).not.toBe(1);
    expect(r.history.at(-1)!.loss.entities).toBeGreaterThan(0); // still measured, just not trained on
  });

  it("starts from seed weights (pre-trained token embeddings) in place of the random init, shape-checked", async () => {
    const train = synthetic(64, 4);
    const tok = Tokenizer.train(
      train.map((e) => e.text),
      { vocabSize: 300, minFreq: 1 },
    );
    const seed = Float32Array.from({ length: tok.vocabSize * TINY.dModel }, (_, i) => ((i % 7) - 3) / 100);
    const run = (seedWeights: TrainInput["seedWeights"]) =>
      trainModel({ train, dev: [], tokenizer: tok, options: { epochs: 0, sizes: TINY }, seedWeights, log: () => {} });
    const r = await run({ tok_emb: { shape: [tok.vocabSize, TINY.dModel], data: seed } });
    expect(Array.from(r.raw.tok_emb!.data)).toEqual(Array.from(seed));
    expect(Array.from(r.raw.pos_emb!.data)).not.toEqual(Array.from(seed.subarray(0, r.raw.pos_emb!.data.length))); // the rest stays random
    await expect(run({ tok_emb: { shape: [tok.vocabSize, 8], data: seed.subarray(0, tok.vocabSize * 8) } })).rejects.toThrow(
      /seed weight tok_emb: shape \[\d+,8\]/,
    );
    await expect(run({ nope: { shape: [1], data: new Float32Array(1) } })).rejects.toThrow(
      /seed weight nope: the model has no such tensor/,
    );
  });

  // A rule "teacher" for synthetic texts without sentiment labels: the mood word decides.
  const moods = [
    ["plunges", "slumps", "crashes"],
    ["holds", "steady", "flat"],
    ["soars", "jumps", "rallies"],
  ];
  const moodLogits = (text: string) => ({
    sentiment: Float32Array.from(moods.map((ws) => (ws.some((w) => text.includes(` ${w} `)) ? 4 : 0))),
  });
  const distilOpts = { epochs: 6, lr: 3e-3, dropout: 0, sizes: { dModel: 32, nLayers: 1, nHeads: 2, dFF: 64, maxLen: 16 } };
  const moodTeacher = () => {
    const train = synthetic(384, 11).map(({ sentiment: _, ...e }) => e);
    return { train, teacher: new Map(train.map((e) => [e.text, moodLogits(e.text)])) };
  };

  it("learns a task from a teacher's soft targets alone (no gold label for it) and refuses a teacher that covers nothing", async () => {
    const { train, teacher } = moodTeacher();
    const { r } = await trainSynthetic(384, 96, 11, { ...distilOpts, distillWeight: 0.5 }, { train, teacher });
    expect(r.best!.sentiment!.accuracy).toBeGreaterThan(0.9); // dev sentiment gold labels vs a model that saw none
    const without = await trainSynthetic(384, 96, 11, { epochs: 1, lr: 3e-3, dropout: 0 }, { train });
    expect(without.r.best!.sentiment!.accuracy).toBeLessThan(0.7); // and without the teacher it has nothing to learn from
    await expect(
      trainSynthetic(
        64,
        16,
        11,
        { epochs: 1 },
        { teacher: new Map([["not a training text", { sentiment: Float32Array.from([1, 0, 0]) }]]) },
      ),
    ).rejects.toThrow(/teacher: none of its 1 texts is a training text/);
  });

  it("trains on a transfer set (texts known only through the teacher's logits), skipping training texts in it", async () => {
    const { train } = moodTeacher(); // no sentiment gold and no teacher for the training texts themselves
    // New texts in the corpus' words: each headline's ticker paired with another firm's name.
    const texts = [
      ...synthetic(384, 21).map((e) =>
        e.text.replace(/^\$(\w+) (\w+)/, (_, t: string, f: string) => `$${t} ${f === "Acme" ? "Hooli" : "Acme"}`),
      ),
      train[0]!.text,
    ];
    const transfer = new Map(texts.map((t) => [t, moodLogits(t)]));
    const logs: string[] = [];
    const { r } = await trainSynthetic(384, 96, 11, distilOpts, { train, transfer, log: (l) => logs.push(l) });
    expect(r.best!.sentiment!.accuracy).toBeGreaterThan(0.9); // dev gold sentiment, learned from the transfer texts alone
    expect(logs.join("\n")).toContain(`transfer set: ${transfer.size - 1} texts with teacher targets only (1 skipped`);
    await expect(
      trainSynthetic(64, 16, 11, { epochs: 1 }, { transfer: new Map([[synthetic(64, 11)[0]!.text, moodLogits("x")]]) }),
    ).rejects.toThrow(/transfer set: none of its 1 texts adds a new text/);
    // Transfer texts do not count as the teacher covering the training texts.
    await expect(
      trainSynthetic(64, 16, 11, { epochs: 1 }, { transfer, teacher: new Map([["not a training text", moodLogits("x")]]) }),
    ).rejects.toThrow(/teacher: none of its 1 texts is a training text/);
  });

  it("weighs distillation per task: α = 0 for sentiment ignores the teacher there, α = 1 learns from it alone", async () => {
    const { train, teacher } = moodTeacher();
    const on = await trainSynthetic(384, 96, 11, { ...distilOpts, distillWeight: { sentiment: 1, topic: 0 } }, { train, teacher });
    expect(on.r.best!.sentiment!.accuracy).toBeGreaterThan(0.9);
    const off = await trainSynthetic(384, 96, 11, { ...distilOpts, distillWeight: { sentiment: 0, topic: 1 } }, { train, teacher });
    expect(off.r.best!.sentiment!.accuracy).toBeLessThan(0.7);
  });

  it("learns the teacher's features through a training-only map that is not kept, and refuses a weight without features", async () => {
    const { train, teacher } = moodTeacher();
    // Features: the mood as ±1 on two axes, which the pooled vector can only reproduce by reading the mood words.
    const feats = new Map(
      [...teacher].map(([text, t]) => {
        const m = t.sentiment!.indexOf(4);
        return [text, { ...t, features: Float32Array.from([m === 0 ? 1 : -1, m === 2 ? 1 : -1]) }];
      }),
    );
    const logs: string[] = [];
    const { r } = await trainSynthetic(
      384,
      96,
      11,
      { ...distilOpts, featureWeight: 1 },
      { train, teacher: feats, log: (l) => logs.push(l) },
    );
    const fl = r.history.map((h) => h.loss.features!);
    expect(fl[0]).toBeGreaterThan(0.3);
    expect(fl.at(-1)!).toBeLessThan(fl[0]! / 4);
    expect(Object.keys(r.raw).some((k) => k.startsWith("feat."))).toBe(false);
    expect(logs.join("\n")).toContain(`feature term: ${feats.size} texts with 2-value teacher features; weight 1`);
    await expect(trainSynthetic(64, 16, 11, { epochs: 1, featureWeight: 1 }, { train, teacher })).rejects.toThrow(
      /featureWeight > 0 needs teacher or transfer rows with features/,
    );
  });

  it("fineTune continues from a model directory and records the parent", async () => {
    const { dir, tokenizer } = await tinyModelDir();
    const out = `${dir}-ft`;
    const ex = synthetic(32, 5);
    void tokenizer;
    const { manifest } = await fineTune(dir, ex, { outDir: out, id: "tiny-ft", train: { epochs: 1, batchSize: 16 }, log: () => {} });
    expect(manifest.parent).toBe("tiny-test");
    const s = await loadScorer(out, { executionProvider: "cpu" });
    expect(s.version).toBe("tiny-ft");
    expect(await s.score(["$ACME soars"])).toHaveLength(1);
    await s.close();
  });
});
