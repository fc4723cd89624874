import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../src/backend/index.ts";
import {
  dense,
  embeddingLookup,
  forward,
  initRawWeights,
  loadWeights,
  ModelConfig,
  predictProbs,
  saveWeights,
  toWeightMap,
} from "../src/nn/index.ts";

const close = (a: tf.Tensor, b: tf.Tensor, tol = 1e-5) => {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(tol);
};

describe("backend selection", () => {
  it("honours a forced backend and names it", async () => {
    const lines: string[] = [];
    const info = await selectBackend("cpu", (l) => lines.push(l));
    expect(info.chosen).toBe("cpu");
    expect(lines[0]).toMatch(/backend: cpu/);
  });
  it("rejects unknown names", async () => {
    await expect(selectBackend("tpu", () => {})).rejects.toThrow(/unknown tfjs backend/);
  });
  it("auto picks the first available (wasm here unless tfjs-node is installed)", async () => {
    const info = await selectBackend("auto", () => {});
    expect(["node-gpu", "node", "wasm"]).toContain(info.chosen);
  });
});

describe("custom gradients", () => {
  beforeAll(async () => {
    await selectBackend("cpu", () => {}); // the cpu backend has tf.gather's native gradient to compare against
  });

  it("embedding lookup: scatter-js and one-hot gradients equal tf.gather's", () => {
    const table = tf.randomNormal([11, 5], 0, 1, "float32", 3) as tf.Tensor2D;
    const ids = tf.tensor2d(
      [
        [1, 4, 4, 0],
        [10, 1, 2, 4],
      ],
      [2, 4],
      "int32",
    );
    const dyW = tf.randomNormal([2, 4, 5], 0, 1, "float32", 4);
    const gradOf = (mode: "native" | "scatter-js" | "onehot") =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, ids, mode), dyW)))(table);
    const native = gradOf("native");
    close(gradOf("scatter-js"), native);
    close(gradOf("onehot"), native);
    close(embeddingLookup(table, ids, "scatter-js"), tf.gather(table, ids));
  });

  it("dense layer: hand-written gradient equals autodiff of matMul + bias", () => {
    const x = tf.randomNormal([2, 3, 4], 0, 1, "float32", 5);
    const w = tf.randomNormal([4, 6], 0, 1, "float32", 6);
    const b = tf.randomNormal([6], 0, 1, "float32", 7);
    const dy = tf.randomNormal([2, 3, 6], 0, 1, "float32", 8);
    const f1 = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(dense(x, w, b), dy));
    const f2 = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.add(tf.matMul(tf.reshape(x, [6, 4]), w), b).reshape([2, 3, 6]), dy));
    const g1 = tf.grads(f1)([x, w, b]);
    const g2 = tf.grads(f2)([x, w, b]);
    g1.forEach((g, i) => close(g, g2[i]!, 1e-4));
  });
});

describe("forward pass", () => {
  const c = ModelConfig.parse({ vocabSize: 30, maxLen: 12, dModel: 8, nLayers: 2, nHeads: 2, dFF: 16, padId: 0 });
  const w = toWeightMap(initRawWeights(c, 9, { std: 0.5 }));
  beforeAll(async () => {
    await selectBackend("cpu", () => {});
  });

  it("padding does not change any real position's output", () => {
    const short = predictProbs(w, tf.tensor2d([[2, 5, 9, 13]], [1, 4], "int32"), c);
    const padded = predictProbs(w, tf.tensor2d([[2, 5, 9, 13, 0, 0, 0]], [1, 7], "int32"), c);
    close(short.sentiment, padded.sentiment);
    close(short.topic, padded.topic);
    close(short.tags, tf.slice(padded.tags, [0, 0, 0], [1, 4, 13]));
    close(short.clsAttention, tf.slice(padded.clsAttention, [0, 0], [1, 4]));
    expect(tf.slice(padded.clsAttention, [0, 4], [1, 3]).max().dataSync()[0]).toBeLessThan(1e-9);
  });

  it("dropout acts only when asked for (training)", () => {
    const ids = tf.tensor2d([[2, 5, 9, 13]], [1, 4], "int32");
    close(forward(w, ids, c).sentimentLogits, forward(w, ids, c).sentimentLogits, 1e-12);
    const a = forward(w, ids, c, { dropout: 0.5, seed: 1 }).sentimentLogits.dataSync();
    const b = forward(w, ids, c).sentimentLogits.dataSync();
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it("weights round-trip through weights.json/bin and are validated on load", async () => {
    const dir = await mkdtemp(join(tmpdir(), "finsentry-w-"));
    const raw = initRawWeights(c, 2);
    await saveWeights(dir, c, raw);
    const back = await loadWeights(dir);
    expect(back.config).toEqual(c);
    expect(Array.from(back.raw["l1.ff2.w"]!.data)).toEqual(Array.from(raw["l1.ff2.w"]!.data));
    const idx = JSON.parse(await readFile(join(dir, "weights.json"), "utf8"));
    idx.tensors.find((t: { name: string }) => t.name === "tag.w").shape = [8, 12];
    await writeFile(join(dir, "weights.json"), JSON.stringify(idx));
    await expect(loadWeights(dir)).rejects.toThrow(/tag\.w/);
  });

  it("rejects a config whose heads do not divide the width", () => {
    expect(() => ModelConfig.parse({ ...c, nHeads: 3 })).toThrow(/divisible/);
  });
});
