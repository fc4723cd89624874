import { MASK_BIAS, N_SENTIMENT, N_TAGS, N_TOPIC, type ModelConfig } from "../nn/config.ts";
import { weightSpecs, type RawWeights } from "../nn/weights.ts";
import { GraphBuilder } from "./builder.ts";
import { DataType } from "./proto.ts";
import { int8WeightAxes, quantizeInt8 } from "./quantize.ts";

export const ONNX_OPSET = 17; // LayerNormalization needs 17
export const ONNX_INPUT = "input_ids";
export const ONNX_OUTPUTS = { sentiment: "sentiment", topic: "topic", tags: "entity_tags", attention: "cls_attention" } as const;

export interface ExportOptions {
  /**
   * "int8": weight-only symmetric int8 for the weights in `int8WeightAxes` (the token embedding table with one
   * scale per row, gathered as int8 and rescaled after the lookup; the encoder's projection matrices with one scale
   * per output column, restored by DequantizeLinear in front of each MatMul). Activations stay float32.
   */
  quantize?: "int8";
}

/**
 * Writes the encoder of nn/forward.ts as an ONNX graph, op for op (the parity test holds the two together).
 * Input: input_ids int64 [batch, seq] with [PAD] = config.padId; the attention mask is derived from it.
 * Outputs: sentiment [B,3], topic [B,20], entity_tags [B,T,13] (softmax probs), cls_attention [B,T].
 */
export function buildOnnxModel(
  c: ModelConfig,
  raw: RawWeights,
  metadata: Record<string, string> = {},
  opts: ExportOptions = {},
): Uint8Array {
  const g = new GraphBuilder();
  const W = (name: string): string => {
    const t = raw[name];
    if (!t) throw new Error(`ONNX export: weight ${name} missing`);
    return g.weight(name, t.shape, t.data);
  };
  // Register every exported weight up front so missing/misshaped tensors fail before the graph is half built.
  for (const sp of weightSpecs(c)) {
    if (raw[sp.name]?.shape.join(",") !== sp.shape.join(",")) throw new Error(`ONNX export: ${sp.name} must have shape [${sp.shape}]`);
  }
  const int8 = new Set(opts.quantize === "int8" ? Object.keys(int8WeightAxes(c)) : []);
  const w: Record<string, string> = {};
  for (const sp of weightSpecs(c)) {
    if (!int8.has(sp.name)) w[sp.name] = W(sp.name);
    else if (sp.name !== "tok_emb") {
      // [in, out] matrix, one scale per output column: DequantizeLinear(axis 1) → float [in, out] → MatMul.
      // (createSession has onnxruntime fold these into float32 matrices at load rather than fuse them into its
      // MatMulNBits kernel with int8 activations; see runtime/session.ts.)
      const t = quantizeInt8(raw[sp.name]!.data, sp.shape, 1);
      const q = g.int8(`${sp.name}.q`, sp.shape, t.q);
      const scale = g.weight(`${sp.name}.scale`, [t.scale.length], t.scale);
      const zp = g.int8(`${sp.name}.zp`, [t.scale.length], new Int8Array(t.scale.length));
      w[sp.name] = g.op("DequantizeLinear", [q, scale, zp], { axis: 1 });
    }
  }
  const P = (k: string) => w[k]!;

  const D = c.dModel;
  const H = c.nHeads;
  const Dh = D / H;
  const ids = g.input(ONNX_INPUT, DataType.INT64, ["batch", "seq"]);

  // Token embeddings. int8: gather the int8 rows and their per-row scales, then rescale only the [B,T,D] rows looked
  // up (a DequantizeLinear of the whole [V,D] table in front of the Gather would redo 1 M multiplications per run;
  // per-axis DequantizeLinear cannot take the gathered [B,T] scales, hence Cast · Mul).
  const embedding = (): string => {
    if (!int8.has("tok_emb")) return g.op("Gather", [P("tok_emb"), ids], { axis: 0 });
    const e = raw["tok_emb"]!;
    const t = quantizeInt8(e.data, e.shape, 0);
    const rows = g.op("Cast", [g.op("Gather", [g.int8("tok_emb.q", e.shape, t.q), ids], { axis: 0 })], { to: DataType.FLOAT }); // [B,T,D]
    const scale = g.op("Unsqueeze", [g.op("Gather", [g.weight("tok_emb.scale", [t.scale.length], t.scale), ids], { axis: 0 }), g.i64([2])]); // [B,T,1]
    return g.op("Mul", [rows, scale]);
  };

  const isPad = g.op("Equal", [ids, g.i64([c.padId], true)]);
  const keep = g.op("Cast", [g.op("Not", [isPad])], { to: DataType.FLOAT }); // [B,T]
  const bias = g.op("Unsqueeze", [g.op("Mul", [g.op("Sub", [g.f32(1), keep]), g.f32(MASK_BIAS)]), g.i64([1, 2])]); // [B,1,1,T]

  const tok = embedding();
  const seqLen = g.op("Shape", [ids], { start: 1, end: 2 }); // [T]
  const pos = g.op("Slice", [P("pos_emb"), g.i64([0]), seqLen, g.i64([0])]);
  let x = g.op("Add", [tok, pos]);

  const ln = (v: string, p: string) => g.op("LayerNormalization", [v, P(`${p}.g`), P(`${p}.b`)], { axis: -1, epsilon: { float: c.lnEps } });
  const dense = (v: string, p: string) => g.op("Add", [g.op("MatMul", [v, P(`${p}.w`)]), P(`${p}.b`)]);
  const gelu = (v: string) =>
    g.op("Mul", [g.op("Mul", [v, g.op("Add", [g.op("Erf", [g.op("Div", [v, g.f32(Math.SQRT2)])]), g.f32(1)])]), g.f32(0.5)]);

  let lastAttn = "";
  for (let l = 0; l < c.nLayers; l++) {
    const h = ln(x, `l${l}.ln1`);
    const qkv = g.op("Transpose", [g.op("Reshape", [dense(h, `l${l}.qkv`), g.i64([0, 0, 3, H, Dh])])], { perm: [2, 0, 3, 1, 4] });
    const q = g.op("Gather", [qkv, g.i64([0], true)], { axis: 0 }); // [B,H,T,Dh]
    const k = g.op("Gather", [qkv, g.i64([1], true)], { axis: 0 });
    const v = g.op("Gather", [qkv, g.i64([2], true)], { axis: 0 });
    const kt = g.op("Transpose", [k], { perm: [0, 1, 3, 2] });
    const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, kt]), g.f32(1 / Math.sqrt(Dh))]), bias]);
    const attn = g.op("Softmax", [scores], { axis: -1 });
    if (l === c.nLayers - 1) lastAttn = attn;
    const ctx = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [attn, v])], { perm: [0, 2, 1, 3] }), g.i64([0, 0, D])]);
    x = g.op("Add", [x, dense(ctx, `l${l}.out`)]);
    const h2 = ln(x, `l${l}.ln2`);
    x = g.op("Add", [x, dense(gelu(dense(h2, `l${l}.ff1`)), `l${l}.ff2`)]);
  }
  const hidden = ln(x, "ln_f");

  const cls = g.op("Gather", [hidden, g.i64([0], true)], { axis: 1 }); // [B,D]
  const keep3 = g.op("Unsqueeze", [keep, g.i64([2])]); // [B,T,1]
  const sum = g.op("ReduceSum", [g.op("Mul", [hidden, keep3]), g.i64([1])], { keepdims: 0 });
  const count = g.op("ReduceSum", [keep3, g.i64([1])], { keepdims: 0 }); // [B,1]
  const pooled = g.op("Concat", [cls, g.op("Div", [sum, count])], { axis: 1 });

  let sentLogits = dense(pooled, "sent");
  let topicLogits = dense(pooled, "topic");
  if (c.wide) {
    // Wide bag-of-tokens path (nn/forward.ts): Σ_t table[id_t] / √n, split into sentiment and topic columns.
    const rows = g.op("Gather", [P("wide.w"), ids], { axis: 0 }); // [B,T,23]
    const bag = g.op("Div", [g.op("ReduceSum", [g.op("Mul", [rows, keep3]), g.i64([1])], { keepdims: 0 }), g.op("Sqrt", [count])]);
    const cols = (from: number, to: number) => g.op("Slice", [bag, g.i64([from]), g.i64([to]), g.i64([1])]);
    sentLogits = g.op("Add", [sentLogits, cols(0, N_SENTIMENT)]);
    topicLogits = g.op("Add", [topicLogits, cols(N_SENTIMENT, N_SENTIMENT + N_TOPIC)]);
  }
  g.output(ONNX_OUTPUTS.sentiment, g.op("Softmax", [sentLogits], { axis: -1 }), DataType.FLOAT, ["batch", N_SENTIMENT]);
  g.output(ONNX_OUTPUTS.topic, g.op("Softmax", [topicLogits], { axis: -1 }), DataType.FLOAT, ["batch", N_TOPIC]);
  g.output(ONNX_OUTPUTS.tags, g.op("Softmax", [dense(hidden, "tag")], { axis: -1 }), DataType.FLOAT, ["batch", "seq", N_TAGS]);
  const fromCls = g.op("Gather", [lastAttn, g.i64([0], true)], { axis: 2 }); // [B,H,T]
  g.output(ONNX_OUTPUTS.attention, g.op("ReduceMean", [fromCls], { axes: [1], keepdims: 0 }), DataType.FLOAT, ["batch", "seq"]);

  return g.toBytes({
    opset: ONNX_OPSET,
    producer: "finsentry",
    docString: `finsentry multitask encoder d=${D} L=${c.nLayers} H=${H} ff=${c.dFF} maxLen=${c.maxLen}${c.wide ? " +wide" : ""}${opts.quantize ? ` (${opts.quantize} weights)` : ""}`,
    metadata: {
      ...metadata,
      config: JSON.stringify(c),
      ...(opts.quantize ? { quantization: `${opts.quantize}: ${[...int8].join(",")}` } : {}),
    },
  });
}
