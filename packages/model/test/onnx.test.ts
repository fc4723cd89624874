import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { initRawWeights, ModelConfig } from "../src/nn/index.ts";
import { buildOnnxModel, ONNX_OPSET, ONNX_OUTPUTS } from "../src/onnx/index.ts";
import { ModelProto } from "../src/onnx/proto.ts";

const c = ModelConfig.parse({ vocabSize: 40, maxLen: 16, dModel: 16, nLayers: 3, nHeads: 4, dFF: 24, padId: 0 });

describe("ONNX export", () => {
  it("writes an opset-17 graph with int64 input_ids and dynamic batch/seq axes", () => {
    const m = ModelProto.toObject(ModelProto.decode(buildOnnxModel(c, initRawWeights(c, 1))), { longs: Number }) as {
      opsetImport: { version: number }[];
      graph: {
        input: { name: string; type: { tensorType: { elemType: number; shape: { dim: { dimParam?: string }[] } } } }[];
        output: { name: string }[];
        node: { opType: string }[];
      };
    };
    expect(m.opsetImport[0]!.version).toBe(ONNX_OPSET);
    const input = m.graph.input[0]!;
    expect(input.name).toBe("input_ids");
    expect(input.type.tensorType.elemType).toBe(7); // INT64
    expect(input.type.tensorType.shape.dim.map((d) => d.dimParam)).toEqual(["batch", "seq"]);
    expect(m.graph.output.map((o) => o.name)).toEqual(Object.values(ONNX_OUTPUTS));
    expect(m.graph.node.filter((n) => n.opType === "LayerNormalization")).toHaveLength(2 * c.nLayers + 1);
  });

  it("runs in onnxruntime at several batch and sequence sizes with the declared output shapes", async () => {
    const s = await ort.InferenceSession.create(buildOnnxModel(c, initRawWeights(c, 1)));
    for (const [B, T] of [
      [1, 2],
      [3, 16],
      [5, 7],
    ] as const) {
      const ids = BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T === 0 ? 2 : 3 + (i % 30)));
      const o = await s.run({ input_ids: new ort.Tensor("int64", ids, [B, T]) });
      expect(o[ONNX_OUTPUTS.sentiment]!.dims).toEqual([B, 3]);
      expect(o[ONNX_OUTPUTS.topic]!.dims).toEqual([B, 20]);
      expect(o[ONNX_OUTPUTS.tags]!.dims).toEqual([B, T, 13]);
      expect(o[ONNX_OUTPUTS.attention]!.dims).toEqual([B, T]);
      const att = o[ONNX_OUTPUTS.attention]!.data as Float32Array;
      expect(att.slice(0, T).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    await s.release();
  });

  it("refuses weights whose shapes do not match the config", () => {
    const raw = initRawWeights(c, 1);
    raw["sent.w"] = { shape: [16, 3], data: new Float32Array(48) };
    expect(() => buildOnnxModel(c, raw)).toThrow(/sent\.w/);
  });
});
