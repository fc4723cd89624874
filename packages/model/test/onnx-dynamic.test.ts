import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { initRawWeights, ModelConfig } from "../src/nn/index.ts";
import { buildOnnxModel, decodeOnnx, encodeOnnx, GraphBuilder, ONNX_OUTPUTS, opCounts, quantizeDynamicOnnx } from "../src/onnx/index.ts";
import { AttrType, DataType, ModelProto } from "../src/onnx/proto.ts";

const c = ModelConfig.parse({ vocabSize: 50, maxLen: 16, dModel: 32, nLayers: 2, nHeads: 4, dFF: 64, padId: 0 });

function ids(B: number, T: number): ort.Tensor {
  return new ort.Tensor(
    "int64",
    BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % T === 0 ? 2 : i % T > T - 3 && i % 3 === 0 ? 0 : 3 + ((i * 17) % 45))),
    [B, T],
  );
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const o = await s.run(feeds);
  await s.release();
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.data as Float32Array]));
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe("ONNX decode → encode round trip", () => {
  it("gives byte-identical outputs for the exporter's float32 and int8-weight graphs", async () => {
    for (const quantize of [undefined, "int8"] as const) {
      const bytes = buildOnnxModel(c, initRawWeights(c, 3, { std: 0.2 }), { k: "v" }, quantize ? { quantize } : {});
      const back = encodeOnnx(decodeOnnx(bytes));
      const feeds = { input_ids: ids(3, 9) };
      const [a, b] = [await run(bytes, feeds), await run(back, feeds)];
      for (const k of Object.values(ONNX_OUTPUTS)) expect(Array.from(b[k]!)).toEqual(Array.from(a[k]!));
    }
  });

  it("keeps the fields a PyTorch export uses: TENSOR/STRING attributes, float_data/int64_data, value_info, opsets", async () => {
    const model = {
      irVersion: 7,
      producerName: "pytorch",
      producerVersion: "1.13.0",
      opsetImport: [{ domain: "", version: 14 }],
      graph: {
        name: "torch_jit",
        node: [
          {
            opType: "Constant",
            name: "c0",
            output: ["w"],
            attribute: [{ name: "value", type: AttrType.TENSOR, t: { dims: [2, 2], dataType: DataType.FLOAT, floatData: [1, 2, 3, 4] } }],
          },
          {
            opType: "Constant",
            name: "c1",
            output: ["shape"],
            attribute: [{ name: "value", type: AttrType.TENSOR, t: { dims: [1], dataType: DataType.INT64, int64Data: [4] } }],
          },
          { opType: "MatMul", name: "mm", input: ["x", "w"], output: ["y"], docString: "kept" },
          { opType: "Reshape", name: "r", input: ["y", "shape"], output: ["z"] },
          {
            opType: "Gelu",
            name: "noop_attr",
            domain: "",
            input: ["z"],
            output: ["out"],
            attribute: [{ name: "approximate", type: AttrType.STRING, s: new TextEncoder().encode("none") }],
          },
        ],
        input: [{ name: "x", type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }, { dimValue: 2 }] } } } }],
        output: [{ name: "out", type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: "n" }] } } } }],
        valueInfo: [{ name: "y", type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 2 }, { dimValue: 2 }] } } } }],
      },
    };
    // Gelu (a STRING attribute) needs opset 20: the whole model is round-tripped byte for byte, a Gelu-free copy is run.
    const bytes = ModelProto.encode(ModelProto.fromObject(model)).finish();
    const back = encodeOnnx(decodeOnnx(bytes));
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
    const o = ModelProto.toObject(decodeOnnx(back), { longs: Number, bytes: String }) as {
      graph: { node: { attribute?: { t?: { floatData?: number[]; int64Data?: number[] }; s?: string }[] }[]; valueInfo: unknown[] };
    };
    expect(o.graph.node[0]!.attribute![0]!.t!.floatData).toEqual([1, 2, 3, 4]);
    expect(o.graph.node[1]!.attribute![0]!.t!.int64Data).toEqual([4]);
    expect(o.graph.valueInfo).toHaveLength(1);
    const runnable = {
      ...model,
      graph: { ...model.graph, node: model.graph.node.slice(0, 4), output: [{ ...model.graph.output[0]!, name: "z" }] },
    };
    const rb = ModelProto.encode(ModelProto.fromObject(runnable)).finish();
    const x = { x: new ort.Tensor("float32", Float32Array.from([1, 0, 0, 1]), [2, 2]) };
    expect(Array.from((await run(encodeOnnx(decodeOnnx(rb)), x))["z"]!)).toEqual([1, 2, 3, 4]);
  });
});

describe("quantizeDynamicOnnx", () => {
  it("turns the exporter's constant-weight MatMuls into MatMulInteger, leaves attention's MatMuls, and agrees with float32", async () => {
    const fp32 = buildOnnxModel(c, initRawWeights(c, 5, { std: 0.2 }));
    const { bytes, report } = quantizeDynamicOnnx(fp32);
    const before = opCounts(decodeOnnx(fp32));
    const after = opCounts(decodeOnnx(bytes));
    const constant = 4 * c.nLayers + 3; // qkv, out, ff1, ff2 per layer + sentiment, topic, tag heads
    const activation = 2 * c.nLayers; // Q·Kᵀ and attention·V
    expect(before["MatMul"]).toBe(constant + activation);
    expect(report.quantizedMatMuls).toBe(constant);
    expect(report.keptReasons).toEqual({ "activation × activation": activation });
    expect(after["MatMulInteger"]).toBe(constant);
    expect(after["MatMul"]).toBe(activation);
    expect(after["DynamicQuantizeLinear"]).toBe(report.activationQuantizers);
    // The float weights are gone, replaced by int8 + scales: the file shrinks.
    expect(bytes.length).toBeLessThan(fp32.length);
    const g = decodeOnnx(bytes).graph;
    const w = g.initializer.find((t: { name: string }) => t.name === "l0.qkv.w_quantized");
    expect(w.dataType).toBe(DataType.INT8);
    expect(g.initializer.some((t: { name: string }) => t.name === "l0.qkv.w")).toBe(false);

    const feeds = { input_ids: ids(4, 12) };
    const [a, b] = [await run(fp32, feeds), await run(bytes, feeds)];
    for (const k of Object.values(ONNX_OUTPUTS)) {
      expect(b[k]!.length).toBe(a[k]!.length);
      expect(maxAbsDiff(a[k]!, b[k]!)).toBeLessThan(0.05); // probabilities
    }
  });

  it("quantizes a shared weight once, keeps its float copy while another node reads it, and leaves x·xᵀ alone", async () => {
    const g = new GraphBuilder();
    const x = g.input("x", DataType.FLOAT, ["n", 8]);
    const W = Float32Array.from({ length: 8 * 8 }, (_, i) => Math.sin(i * 1.3));
    const w = g.weight("W", [8, 8], W);
    const h = g.op("MatMul", [g.op("MatMul", [x, w]), w]); // the same weight twice
    const gram = g.op("MatMul", [h, g.op("Transpose", [h], { perm: [1, 0] })]); // activation × activation
    g.output("gram", gram, DataType.FLOAT, ["n", "n"]);
    g.output("wPlus", g.op("Add", [x, g.op("ReduceSum", [w, g.i64([0])], { keepdims: 1 })]), DataType.FLOAT, ["n", 8]); // W read by a non-MatMul
    const fp32 = g.toBytes({ opset: 17, producer: "test" });
    const { bytes, report } = quantizeDynamicOnnx(fp32);
    expect(report).toMatchObject({ quantizedMatMuls: 2, quantizedWeights: 1, keptMatMuls: 1, activationQuantizers: 2 });
    const names = decodeOnnx(bytes).graph.initializer.map((t: { name: string }) => t.name);
    expect(names).toContain("W");
    expect(names).toContain("W_quantized");
    const xs = Float32Array.from({ length: 3 * 8 }, (_, i) => Math.cos(i * 0.7));
    const feeds = { x: new ort.Tensor("float32", xs, [3, 8]) };
    const [a, b] = [await run(fp32, feeds), await run(bytes, feeds)];
    expect(Array.from(b["wPlus"]!)).toEqual(Array.from(a["wPlus"]!));
    const scale = Math.max(...Array.from(a["gram"]!, Math.abs));
    expect(maxAbsDiff(a["gram"]!, b["gram"]!) / scale).toBeLessThan(0.08); // two int8 MatMuls, then squared by the Gram product
  });

  it("with `gather`, stores the token embedding table as int8 rows (one scale each) and still agrees", async () => {
    const fp32 = buildOnnxModel(c, initRawWeights(c, 7, { std: 0.2 }));
    const { bytes, report } = quantizeDynamicOnnx(fp32, { gather: true });
    expect(report.quantizedGathers).toBe(1); // tok_emb; the Gathers of activations (q/k/v, [CLS]) are left alone
    const g = decodeOnnx(bytes).graph;
    const names = g.initializer.map((t: { name: string }) => t.name);
    expect(names).toContain("tok_emb_quantized");
    expect(names).not.toContain("tok_emb");
    const feeds = { input_ids: ids(2, 10) };
    const [a, b] = [await run(fp32, feeds), await run(bytes, feeds)];
    for (const k of Object.values(ONNX_OUTPUTS)) expect(maxAbsDiff(a[k]!, b[k]!)).toBeLessThan(0.05);
  });

  it("keeps weights within ±63 by default (no u8×s8 saturation on any CPU), ±127 with fullRange", async () => {
    const fp32 = buildOnnxModel(c, initRawWeights(c, 9, { std: 0.2 }));
    const largest = (bytes: Uint8Array) => {
      const w = decodeOnnx(bytes).graph.initializer.find((t: { name: string }) => t.name === "l1.ff2.w_quantized");
      return Math.max(...Array.from(new Int8Array(new Uint8Array(w.rawData).buffer), Math.abs));
    };
    expect(largest(quantizeDynamicOnnx(fp32, { fullRange: true }).bytes)).toBe(127);
    const { bytes } = quantizeDynamicOnnx(fp32);
    expect(largest(bytes)).toBe(63);
    const feeds = { input_ids: ids(2, 8) };
    const [a, b] = [await run(fp32, feeds), await run(bytes, feeds)];
    for (const k of Object.values(ONNX_OUTPUTS)) expect(maxAbsDiff(a[k]!, b[k]!)).toBeLessThan(0.08);
  });

  it("with perRowActivations, a text's outputs do not depend on the other texts of its batch", async () => {
    const fp32 = buildOnnxModel(c, initRawWeights(c, 11, { std: 0.2 }));
    // Row 0 is the same text in both batches; row 1 differs (and is much larger in one), so a per-tensor scale moves.
    const batch = (other: number) => {
      const t = ids(2, 10);
      const d = t.data as BigInt64Array;
      for (let i = 10; i < 20; i++) d[i] = BigInt(i === 10 ? 2 : 3 + ((i * other) % 45));
      return { input_ids: t };
    };
    const rowZero = (o: Record<string, Float32Array>) => Array.from(o[ONNX_OUTPUTS.sentiment]!.subarray(0, 3));
    const perRow = quantizeDynamicOnnx(fp32, { perRowActivations: true }).bytes;
    expect(rowZero(await run(perRow, batch(7)))).toEqual(rowZero(await run(perRow, batch(29))));
    const perTensor = quantizeDynamicOnnx(fp32).bytes;
    expect(rowZero(await run(perTensor, batch(7)))).not.toEqual(rowZero(await run(perTensor, batch(29))));
    const feeds = { input_ids: ids(4, 12) };
    const [a, b] = [await run(fp32, feeds), await run(perRow, feeds)];
    for (const k of Object.values(ONNX_OUTPUTS)) expect(maxAbsDiff(a[k]!, b[k]!)).toBeLessThan(0.05);
    expect(opCounts(decodeOnnx(perRow))["DynamicQuantizeLinear"]).toBeUndefined();
  });

  it("can leave named weights in float", () => {
    const fp32 = buildOnnxModel(c, initRawWeights(c, 5));
    const { report } = quantizeDynamicOnnx(fp32, { exclude: ["tag.w"], perChannel: false });
    expect(report.keptReasons["excluded"]).toBe(1);
    expect(report.quantizedMatMuls).toBe(4 * c.nLayers + 2);
  });
});
