import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../src/backend/index.ts";
import { predictProbs, toWeightMap } from "../src/nn/index.ts";
import { buildOnnxModel, ONNX_OUTPUTS } from "../src/onnx/index.ts";
import { inventedTexts, tinyConfig, tinyTokenizer } from "./fixtures/model/tiny.ts";
import { initRawWeights } from "../src/nn/weights.ts";

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe("tfjs forward pass and ONNX graph agree", () => {
  beforeAll(async () => {
    await selectBackend("wasm", () => {});
  });

  it.each([
    ["encoder only", false],
    ["encoder + wide bag-of-tokens path", true],
  ])("200 invented inputs, %s: every output within 1e-4", async (_name, wide) => {
    const tok = tinyTokenizer();
    const config = { ...tinyConfig(tok.vocabSize), ...(wide ? { wide: true as const } : {}) };
    const raw = initRawWeights(config, 5, { std: 0.5 });
    if (wide) {
      // The wide table starts at zero in training; random rows here so the path really contributes.
      const t = raw["wide.w"]!;
      for (let i = 0; i < t.data.length; i++) t.data[i] = Math.sin(i * 12.9898) * 0.8;
    }
    const session = await ort.InferenceSession.create(buildOnnxModel(config, raw));
    const w = toWeightMap(raw);
    const texts = inventedTexts(200);
    let worst = 0;
    // Batches of 20 padded to their longest text exercise padding masks and dynamic batch/seq axes.
    for (let i = 0; i < texts.length; i += 20) {
      const enc = tok.encodeBatch(texts.slice(i, i + 20), config.maxLen);
      const B = enc.lengths.length;
      const T = Math.max(...enc.lengths);
      const ids = new Int32Array(B * T);
      for (let b = 0; b < B; b++) ids.set(enc.ids.subarray(b * config.maxLen, b * config.maxLen + T), b * T);
      const onnx = await session.run({
        input_ids: new ort.Tensor(
          "int64",
          BigInt64Array.from(ids, (v) => BigInt(v)),
          [B, T],
        ),
      });
      const p = predictProbs(w, tf.tensor2d(ids, [B, T], "int32"), config);
      const pairs: [tf.Tensor, string][] = [
        [p.sentiment, ONNX_OUTPUTS.sentiment],
        [p.topic, ONNX_OUTPUTS.topic],
        [p.tags, ONNX_OUTPUTS.tags],
        [p.clsAttention, ONNX_OUTPUTS.attention],
      ];
      for (const [t, name] of pairs) {
        expect(onnx[name]!.dims).toEqual(t.shape);
        worst = Math.max(worst, maxAbsDiff(t.dataSync(), onnx[name]!.data as Float32Array));
      }
      tf.dispose([p.sentiment, p.topic, p.tags, p.clsAttention]);
    }
    expect(worst).toBeLessThan(1e-4);
    await session.release();
  });
});
