import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mulberry32 } from "@finsentry/core";
import { ModelConfig } from "../src/nn/config.ts";
import { initRawWeights } from "../src/nn/weights.ts";
import { buildOnnxModel, GraphBuilder } from "../src/onnx/index.ts";
import { DataType } from "../src/onnx/proto.ts";
import {
  BERT_EMBEDDING_TENSOR,
  embeddingInit,
  loadPretrainedEmbeddings,
  readOnnxFloatTensor,
  wordPieceIds,
  wordPieceVocab,
  type WordPieceVocab,
} from "../src/pretrained/index.ts";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A BERT-style tokenizer.json (the fields wordPieceVocab reads) over the given pieces. */
const tokenizerJson = (pieces: string[]) => ({
  normalizer: { type: "BertNormalizer", lowercase: true },
  model: { type: "WordPiece", vocab: Object.fromEntries(pieces.map((p, i) => [p, i])) },
});

/** An ONNX file holding one float initializer (and an identity graph, so it is a complete model). */
function onnxWithTable(name: string, rows: number, width: number, data: Float32Array): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input("x", DataType.FLOAT, [rows, width]);
  g.output("y", g.op("Add", [x, g.weight(name, [rows, width], data)]), DataType.FLOAT, [rows, width]);
  return g.toBytes({ opset: 17, producer: "test" });
}

describe("reading a pre-trained model's embedding table", () => {
  it("reads a float initializer back from ONNX bytes exactly", () => {
    const c = ModelConfig.parse({ vocabSize: 40, padId: 0, dModel: 8, nLayers: 1, nHeads: 2, dFF: 16, maxLen: 12 });
    const raw = initRawWeights(c, 3);
    const t = readOnnxFloatTensor(buildOnnxModel(c, raw), "tok_emb");
    expect(t.shape).toEqual([40, 8]);
    expect(Array.from(t.data)).toEqual(Array.from(raw.tok_emb!.data));
  });

  it("says what is wrong with a missing tensor, a non-float one or bytes that are not ONNX", () => {
    const bytes = onnxWithTable("emb", 2, 2, new Float32Array([1, 2, 3, 4]));
    expect(() => readOnnxFloatTensor(bytes, "nope")).toThrow(/no initializer "nope" \(it has emb\)/);
    const g = new GraphBuilder();
    const x = g.input("x", DataType.INT8, [2]);
    g.output("y", g.op("Add", [x, g.int8("q", [2], new Int8Array([1, 2]))]), DataType.INT8, [2]);
    expect(() => readOnnxFloatTensor(g.toBytes({ opset: 17, producer: "test" }), "q")).toThrow(/data type 3, expected float32/);
    expect(() => readOnnxFloatTensor(new TextEncoder().encode("{not onnx}"), "emb")).toThrow(/not an ONNX model/);
  });
});

describe("WordPiece in another model's vocabulary", () => {
  const v: WordPieceVocab = wordPieceVocab(tokenizerJson(["[UNK]", "un", "##aff", "##able", "able", "cafe", "##s"]));

  it("splits greedily by longest match, as a word start or a continuation", () => {
    expect(wordPieceIds("unaffable", v)).toEqual([1, 2, 3]);
    expect(wordPieceIds("able", v)).toEqual([4]);
    expect(wordPieceIds("able", v, true)).toEqual([3]);
    expect(wordPieceIds("Cafés", v)).toEqual([5, 6]); // lowercased, accent stripped (uncased vocabulary)
    expect(wordPieceIds("unx", v)).toEqual([]);
  });

  it("rejects a tokenizer.json that is not WordPiece", () => {
    expect(() => wordPieceVocab({ model: { type: "BPE", vocab: {} } })).toThrow(/not a WordPiece tokenizer.json: model.type/);
  });
});

describe("embeddingInit", () => {
  // The other model's vocabulary: 60 words w0..w59 with rows spread along two directions plus small noise.
  const E = 6;
  const words = Array.from({ length: 60 }, (_, i) => `w${i}`);
  const src = (() => {
    const rng = mulberry32(7);
    const data = new Float32Array((words.length + 1) * E);
    for (let i = 1; i <= words.length; i++) {
      const a = rng() * 2 - 1;
      const b = rng() * 2 - 1;
      for (let d = 0; d < E; d++) data[i * E + d] = a * [1, 1, 0, 0, 0, 0][d]! + b * [0, 0, 1, -1, 0, 0][d]! + (rng() - 0.5) * 1e-3;
    }
    return { vocab: wordPieceVocab(tokenizerJson(["[UNK]", ...words])), table: { shape: [words.length + 1, E], data } };
  })();
  const ours = ["[PAD]", "[CLS]", ...words, "zzz", "##w3"];

  it("maps our pieces to the other model's rows, keeps their geometry and the random init's scale", () => {
    const full = embeddingInit(ours, src, E, { std: 0.02 });
    expect(full.mapped).toBe(60); // the 60 words; not "zzz", nor "##w3" (the other vocabulary has no "##w3" piece)
    const row = (x: Float32Array, w: number, piece: string) => x.subarray(ours.indexOf(piece) * w, (ours.indexOf(piece) + 1) * w);
    const dist = (x: Float32Array, w: number, p: string, q: string) =>
      Math.hypot(...Array.from(row(x, w, p), (v, k) => v - row(x, w, q)[k]!));
    const orig = (p: string, q: string) =>
      Math.hypot(
        ...Array.from(
          { length: E },
          (_, d) => src.table.data[(words.indexOf(p) + 1) * E + d]! - src.table.data[(words.indexOf(q) + 1) * E + d]!,
        ),
      );
    // All components kept: a rotation and one global scale, so distance ratios are preserved.
    const ratio = dist(full.data, E, "w1", "w2") / orig("w1", "w2");
    for (const [p, q] of [
      ["w5", "w9"],
      ["w10", "w40"],
      ["w0", "w59"],
    ] as const)
      expect(dist(full.data, E, p, q) / orig(p, q)).toBeCloseTo(ratio, 4);
    expect(full.explainedVariance).toBeCloseTo(1, 6);
    // Two components hold almost all the variance of these rows.
    const two = embeddingInit(ours, src, 2, { std: 0.02 });
    expect(two.explainedVariance).toBeGreaterThan(0.999);
    const mappedRows = words.flatMap((w) => Array.from(row(two.data, 2, w)));
    const std = Math.sqrt(mappedRows.reduce((a, x) => a + x * x, 0) / mappedRows.length);
    expect(std).toBeCloseTo(0.02, 4);
    // Special tokens and unmappable pieces get seeded random rows of the same scale, not zeros or copies.
    expect(Array.from(row(two.data, 2, "[PAD]")).some((x) => x !== 0)).toBe(true);
    expect(Array.from(row(two.data, 2, "zzz"))).not.toEqual(Array.from(row(two.data, 2, "[PAD]")));
    expect(Array.from(embeddingInit(ours, src, 2, { std: 0.02 }).data)).toEqual(Array.from(two.data)); // deterministic
  });

  it("refuses a target wider than the table or a vocabulary that barely maps", () => {
    expect(() => embeddingInit(ours, src, E + 1)).toThrow(/cannot give 7-wide rows/);
    expect(() => embeddingInit(["[PAD]", "w1", "w2", "zzz"], src, 2)).toThrow(/only 2 of 4 pieces map/);
  });
});

describe("loadPretrainedEmbeddings", () => {
  it("loads model.onnx + tokenizer.json (+ source.json) from a folder and says how to get one when it is missing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "finsentry-pretrained-"));
    dirs.push(dir);
    await expect(loadPretrainedEmbeddings(dir)).rejects.toThrow(/cannot read model.onnx .*fetch-minilm.sh/);
    await writeFile(join(dir, "model.onnx"), onnxWithTable(BERT_EMBEDDING_TENSOR, 3, 2, new Float32Array([0, 0, 1, 2, 3, 4])));
    await writeFile(join(dir, "tokenizer.json"), "{");
    await expect(loadPretrainedEmbeddings(dir)).rejects.toThrow(/tokenizer.json: not JSON/);
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(tokenizerJson(["[UNK]", "a", "b"])));
    const p = await loadPretrainedEmbeddings(dir);
    expect(p.table.shape).toEqual([3, 2]);
    expect(Array.from(p.table.data.subarray(4))).toEqual([3, 4]);
    expect(p.vocab.ids.get("b")).toBe(2);
    expect(p.source).toBeUndefined();
    await writeFile(join(dir, "source.json"), JSON.stringify({ name: "tiny-bert" }));
    await expect(loadPretrainedEmbeddings(dir)).rejects.toThrow(/source.json: expected \{"name", "licence"\}/);
    await writeFile(join(dir, "source.json"), JSON.stringify({ name: "tiny-bert", licence: "MIT" }));
    expect((await loadPretrainedEmbeddings(dir)).source).toEqual({ name: "tiny-bert", licence: "MIT" });
  });
});
