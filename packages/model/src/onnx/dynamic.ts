import { DataType, ModelProto } from "./proto.ts";
import { quantizeInt8 } from "./quantize.ts";

/**
 * Dynamic int8 quantization of an arbitrary ONNX graph (what onnxruntime's `quantize_dynamic` does for MatMul):
 * every MatMul whose second input is a constant rank-2 float initializer W [K, N] becomes
 *
 *   DynamicQuantizeLinear(A) → (A_q uint8, A_scale, A_zp)
 *   MatMulInteger(A_q, W_q int8, A_zp, W_zp) → int32 → Cast(float) → Mul(·, Mul(A_scale, W_scale))
 *
 * with W quantized symmetrically (zero point 0) per output column (or per tensor). onnxruntime's graph optimiser
 * fuses that pattern into DynamicQuantizeMatMul (uint8 activations × int8 weights). MatMuls of two activations
 * (attention scores, attention × V) and every other node are left alone; the raw bytes of every initializer that is
 * not quantized are passed through untouched.
 */

/** A decoded ModelProto (protobufjs message; int64 fields are numbers or Longs). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OnnxModel = any;

export interface DynamicQuantizeOptions {
  /** One weight scale per output column (default) or one per tensor (onnxruntime's default). */
  perChannel?: boolean;
  /**
   * 8-bit weights (±127) instead of the default 7-bit (±63). On x86 CPUs without VNNI (AVX2 only) onnxruntime's
   * u8×s8 kernel adds pairs of products in 16 bits, which saturate with 8-bit weights: outputs then depend on the CPU
   * (the bundled accurate tier lost 2.6 points of dev topic macro-F1 on such a CPU). 7-bit weights never saturate, so a
   * model reads the same on every CPU.
   */
  fullRange?: boolean;
  /**
   * Quantize activations with one scale per row (token) instead of one per tensor (DynamicQuantizeLinear): a text's
   * result then no longer depends on the other texts of its batch. Symmetric, uint8 around a zero point of 128.
   */
  perRowActivations?: boolean;
  /** Weights with fewer elements stay float (default 0: quantize all). */
  minElements?: number;
  /** One DynamicQuantizeLinear per distinct activation (default) rather than one per MatMul. */
  shareActivationQuant?: boolean;
  /** Initializer names never to quantize. */
  exclude?: readonly string[];
  /**
   * Also store embedding tables read by Gather (axis 0, constant rank-2 float data) as int8 with one scale per row:
   * Gather(int8 table) → Cast → Mul by the gathered row scales (only the looked-up rows are rescaled). Default off.
   */
  gather?: boolean;
}

export interface DynamicQuantizeReport {
  /** MatMuls rewritten to MatMulInteger. */
  quantizedMatMuls: number;
  /** MatMuls left as float, with why (activation × activation, not rank 2, excluded, ...). */
  keptMatMuls: number;
  keptReasons: Record<string, number>;
  /** Distinct weight initializers quantized, and their float parameters. */
  quantizedWeights: number;
  quantizedParams: number;
  /** DynamicQuantizeLinear nodes added. */
  activationQuantizers: number;
  /** Gather embedding tables stored as int8 (with `gather`). */
  quantizedGathers: number;
  bytesIn: number;
  bytesOut: number;
}

/** Decodes ONNX bytes into a ModelProto message (fields outside proto.ts's descriptor would be dropped). */
export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  return ModelProto.decode(bytes);
}

export function encodeOnnx(model: OnnxModel): Uint8Array {
  return ModelProto.encode(model).finish();
}

const num = (v: unknown): number => (typeof v === "number" ? v : Number(v as bigint | { toString(): string }));

/** A float32 initializer's values (raw_data or float_data), copied to an aligned array. */
export function floatTensorData(t: OnnxModel): Float32Array {
  const n = (t.dims as unknown[]).reduce<number>((a, d) => a * num(d), 1);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== n * 4) throw new Error(`initializer ${t.name}: raw_data has ${t.rawData.length} bytes, dims need ${n * 4}`);
    const copy = new Uint8Array(t.rawData); // aligned copy
    return new Float32Array(copy.buffer, 0, n);
  }
  if (t.floatData && t.floatData.length === n) return Float32Array.from(t.floatData as number[]);
  throw new Error(`initializer ${t.name}: no float data for dims [${t.dims}]`);
}

const asBytes = (a: Int8Array | Float32Array | Uint8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** Quantizes the model (see the file comment); returns the new bytes and what was done. */
export function quantizeDynamicOnnx(
  bytes: Uint8Array,
  opts: DynamicQuantizeOptions = {},
): { bytes: Uint8Array; report: DynamicQuantizeReport } {
  const model = decodeOnnx(bytes);
  const report = quantizeDynamicModel(model, opts);
  const out = encodeOnnx(model);
  return { bytes: out, report: { ...report, bytesIn: bytes.length, bytesOut: out.length } };
}

/** In-place version of quantizeDynamicOnnx on a decoded model (bytesIn/bytesOut are 0). */
export function quantizeDynamicModel(model: OnnxModel, opts: DynamicQuantizeOptions = {}): DynamicQuantizeReport {
  const perChannel = opts.perChannel ?? true;
  const qmax = opts.fullRange ? 127 : 63;
  const share = opts.shareActivationQuant ?? true;
  const exclude = new Set(opts.exclude ?? []);
  const g = model.graph;
  if (!g) throw new Error("ONNX model has no graph");
  const opset = (model.opsetImport as OnnxModel[]).find((o) => !o.domain || o.domain === "ai.onnx");
  if (opset && num(opset.version) < 11)
    throw new Error(`opset ${num(opset.version)}: DynamicQuantizeLinear / MatMulInteger need opset ≥ 11`);

  const inits = new Map<string, OnnxModel>((g.initializer as OnnxModel[]).map((t) => [t.name as string, t]));
  const graphInputs = new Set((g.input as OnnxModel[]).map((v) => v.name as string)); // initializers listed as inputs are overridable
  const taken = new Set<string>([...inits.keys(), ...graphInputs]);
  for (const n of g.node as OnnxModel[]) for (const o of n.output as string[]) taken.add(o);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };

  const keptReasons: Record<string, number> = {};
  const keep = (why: string) => (keptReasons[why] = (keptReasons[why] ?? 0) + 1);
  const weightOf = (n: OnnxModel): OnnxModel | string => {
    const name = n.input[1] as string;
    const t = inits.get(name);
    if (!t) return "activation × activation";
    if (graphInputs.has(name)) return "weight is also a graph input";
    if (exclude.has(name)) return "excluded";
    if (t.dataType !== DataType.FLOAT) return "weight not float32";
    if (t.dims.length !== 2) return "weight not rank 2";
    if (num(t.dataLocation ?? 0) === 1) return "external data";
    if (num(t.dims[0]) * num(t.dims[1]) < (opts.minElements ?? 0)) return "below minElements";
    return t;
  };

  const quantW = new Map<string, { q: string; scale: string; zp: string }>();
  const actQ = new Map<string, [string, string, string]>();
  const newInits: OnnxModel[] = [];
  const nodes: OnnxModel[] = [];
  let quantizedMatMuls = 0;
  let keptMatMuls = 0;
  let quantizedParams = 0;
  let activationQuantizers = 0;

  const opsetVersion = opset ? num(opset.version) : 11;
  if (opts.perRowActivations && opsetVersion >= 18)
    throw new Error("perRowActivations: opset ≥ 18 (ReduceMax axes as input) is not supported");
  // Constants and shape tensors of the per-row activation quantizer (perRowActivations), made on first use.
  const i64 = (name: string, v: number[]) => {
    const n = fresh(name);
    newInits.push({
      name: n,
      dims: [v.length],
      dataType: DataType.INT64,
      rawData: asBytes(new Uint8Array(BigInt64Array.from(v, BigInt).buffer)),
    });
    return n;
  };
  const cache = new Map<string, string>();
  const once = (key: string, make: () => string) => cache.get(key) ?? (cache.set(key, make()), cache.get(key)!);
  const f32 = (name: string, v: number) =>
    once(name, () => {
      const n = fresh(name);
      newInits.push({ name: n, dims: [], dataType: DataType.FLOAT, rawData: asBytes(new Float32Array([v])) });
      return n;
    });
  const rowConsts = () => {
    const ops = model.opsetImport as OnnxModel[];
    if (!ops.some((o) => o.domain === "com.microsoft")) ops.push({ domain: "com.microsoft", version: 1 });
    return {
      c127: f32("row_quant_127", 127),
      c128: f32("row_quant_128", 128),
      eps: f32("row_quant_eps", 1e-8),
      zero: f32("row_quant_0", 0),
      one: f32("row_quant_1", 1),
      zp: once("row_quant_zero_point", () => {
        const n = fresh("row_quant_zero_point");
        newInits.push({ name: n, dims: [], dataType: DataType.UINT8, rawData: new Uint8Array([128]) });
        return n;
      }),
      axis1: once("row_quant_axis1", () => i64("row_quant_axis1", [1])),
      /** [-1, K]: the rows of an activation whose last dimension is K. */
      rowsShape: (k: number) => once(`rows ${k}`, () => i64(`row_quant_rows_${k}`, [-1, k])),
      /** The leading dimensions of activation `a` followed by N: a MatMul output's shape. */
      outShape: (a: string, nOut: number) =>
        once(`out ${a} ${nOut}`, () => {
          const lead = once(`lead ${a}`, () => {
            const [shape, lead] = [fresh(`${a}_shape`), fresh(`${a}_leading_dims`)];
            nodes.push({ opType: "Shape", name: fresh(`${shape}_Shape`), input: [a], output: [shape], attribute: [] });
            const [st, en] = [
              once("row_quant_0_i64", () => i64("row_quant_start", [0])),
              once("row_quant_m1", () => i64("row_quant_end", [-1])),
            ];
            nodes.push({ opType: "Slice", name: fresh(`${lead}_Slice`), input: [shape, st, en], output: [lead], attribute: [] });
            return lead;
          });
          const out = fresh(`${a}_out_shape_${nOut}`);
          const nT = once(`n ${nOut}`, () => i64(`row_quant_n_${nOut}`, [nOut]));
          nodes.push({
            opType: "Concat",
            name: fresh(`${out}_Concat`),
            input: [lead, nT],
            output: [out],
            attribute: [{ name: "axis", type: 2, i: 0 }],
          });
          return out;
        }),
    };
  };
  const gatherQ = new Map<string, { q: string; scale: string }>();
  let unsqueezeAxes: string | null = null;
  let quantizedGathers = 0;
  const gatherTable = (n: OnnxModel): OnnxModel | null => {
    if (!opts.gather || n.opType !== "Gather" || (n.domain && n.domain !== "ai.onnx")) return null;
    const axis = (n.attribute as OnnxModel[]).find((x) => x.name === "axis");
    if (axis && num(axis.i) !== 0) return null;
    const name = n.input[0] as string;
    const t = inits.get(name);
    if (
      !t ||
      graphInputs.has(name) ||
      exclude.has(name) ||
      t.dataType !== DataType.FLOAT ||
      t.dims.length !== 2 ||
      num(t.dataLocation ?? 0) === 1
    )
      return null;
    if (num(t.dims[0]) * num(t.dims[1]) < (opts.minElements ?? 0)) return null;
    return t;
  };

  for (const n of g.node as OnnxModel[]) {
    const table = gatherTable(n);
    if (table) {
      const tName = table.name as string;
      let tq = gatherQ.get(tName);
      if (!tq) {
        const V = num(table.dims[0]);
        const D = num(table.dims[1]);
        const t = quantizeInt8(floatTensorData(table), [V, D], 0);
        tq = { q: fresh(`${tName}_quantized`), scale: fresh(`${tName}_scale`) };
        newInits.push({ name: tq.q, dims: [V, D], dataType: DataType.INT8, rawData: asBytes(t.q) });
        newInits.push({ name: tq.scale, dims: [V], dataType: DataType.FLOAT, rawData: asBytes(t.scale) });
        gatherQ.set(tName, tq);
        quantizedGathers++;
      }
      const base = (n.name as string) || (n.output[0] as string);
      const out = n.output[0] as string;
      const rows = fresh(`${out}_rows_quantized`);
      const rowsF = fresh(`${out}_rows_cast`);
      const sc = fresh(`${out}_row_scale`);
      const sc1 = fresh(`${out}_row_scale_unsqueezed`);
      nodes.push({ opType: "Gather", name: fresh(`${base}_quant`), input: [tq.q, n.input[1]], output: [rows], attribute: [] });
      nodes.push({
        opType: "Cast",
        name: fresh(`${base}_cast`),
        input: [rows],
        output: [rowsF],
        attribute: [{ name: "to", type: 2, i: DataType.FLOAT }],
      });
      nodes.push({ opType: "Gather", name: fresh(`${base}_scale`), input: [tq.scale, n.input[1]], output: [sc], attribute: [] });
      if (opsetVersion >= 13) {
        if (!unsqueezeAxes) {
          unsqueezeAxes = fresh("gather_quant_unsqueeze_axes");
          newInits.push({
            name: unsqueezeAxes,
            dims: [1],
            dataType: DataType.INT64,
            rawData: asBytes(new Uint8Array(new BigInt64Array([-1n]).buffer)),
          });
        }
        nodes.push({ opType: "Unsqueeze", name: fresh(`${base}_unsqueeze`), input: [sc, unsqueezeAxes], output: [sc1], attribute: [] });
      } else {
        nodes.push({
          opType: "Unsqueeze",
          name: fresh(`${base}_unsqueeze`),
          input: [sc],
          output: [sc1],
          attribute: [{ name: "axes", type: 7, ints: [-1] }],
        });
      }
      nodes.push({ opType: "Mul", name: fresh(`${base}_rescale`), input: [rowsF, sc1], output: [out], attribute: [] });
      continue;
    }
    if (n.opType !== "MatMul" || (n.domain && n.domain !== "ai.onnx")) {
      nodes.push(n);
      continue;
    }
    const w = weightOf(n);
    if (typeof w === "string") {
      keep(w);
      keptMatMuls++;
      nodes.push(n);
      continue;
    }
    const wName = w.name as string;
    let wq = quantW.get(wName);
    if (!wq) {
      const K = num(w.dims[0]);
      const N = num(w.dims[1]);
      const t = quantizeInt8(floatTensorData(w), [K, N], perChannel ? 1 : null);
      if (qmax !== 127) {
        // 7-bit: rescale so max |w| maps to ±qmax.
        const data = floatTensorData(w);
        for (let c = 0; c < t.scale.length; c++) t.scale[c] = (t.scale[c]! * 127) / qmax;
        for (let i = 0; i < data.length; i++)
          t.q[i] = Math.max(-qmax, Math.min(qmax, Math.round(data[i]! / t.scale[perChannel ? i % N : 0]!)));
      }
      const S = t.scale.length;
      wq = { q: fresh(`${wName}_quantized`), scale: fresh(`${wName}_scale`), zp: fresh(`${wName}_zero_point`) };
      const scaleDims = perChannel ? [S] : [];
      newInits.push({ name: wq.q, dims: [K, N], dataType: DataType.INT8, rawData: asBytes(t.q) });
      newInits.push({ name: wq.scale, dims: scaleDims, dataType: DataType.FLOAT, rawData: asBytes(t.scale) });
      newInits.push({ name: wq.zp, dims: scaleDims, dataType: DataType.INT8, rawData: new Uint8Array(S) });
      quantW.set(wName, wq);
      quantizedParams += K * N;
    }
    const a = n.input[0] as string;
    const base = (n.name as string) || (n.output[0] as string);
    let aq = share ? actQ.get(a) : undefined;
    if (!aq && opts.perRowActivations) {
      // Rows of a 2-D view [M, K]: one scale each (max |x| / 127), quantised by QuantizeLinear along axis 0 around 128.
      const c = rowConsts();
      const [a2, abs, mx, sc0, sc, zpf, zpf128, zpr, q] = [
        "rows",
        "abs",
        "rowmax",
        "scale0",
        "row_scale",
        "zp_float",
        "zp_float_128",
        "zp",
        "quantized",
      ].map((x) => fresh(`${a}_${x}`)) as [string, string, string, string, string, string, string, string, string];
      const op = (opType: string, input: string[], output: string, attribute: OnnxModel[] = []) =>
        nodes.push({ opType, name: fresh(`${output}_${opType}`), input, output: [output], attribute });
      op("Reshape", [a, c.rowsShape(num(w.dims[0]))], a2);
      op("Abs", [a2], abs);
      op("ReduceMax", [abs], mx, [
        { name: "axes", type: 7, ints: [1] },
        { name: "keepdims", type: 2, i: 0 },
      ]);
      op("Div", [mx, c.c127], sc0);
      op("Max", [sc0, c.eps], sc);
      // QuantizeLinear wants a zero point shaped like its per-row scale: 128 for every row, made from the scale.
      op("Mul", [sc, c.zero], zpf);
      op("Add", [zpf, c.c128], zpf128);
      op("Cast", [zpf128], zpr, [{ name: "to", type: 2, i: DataType.UINT8 }]);
      op("QuantizeLinear", [a2, sc, zpr], q, [{ name: "axis", type: 2, i: 0 }]);
      aq = [q, sc, c.zp];
      activationQuantizers++;
      if (share) actQ.set(a, aq);
    }
    if (!aq) {
      aq = [fresh(`${a}_quantized`), fresh(`${a}_scale`), fresh(`${a}_zero_point`)];
      nodes.push({ opType: "DynamicQuantizeLinear", name: fresh(`${base}_DynamicQuantizeLinear`), input: [a], output: aq, attribute: [] });
      activationQuantizers++;
      if (share) actQ.set(a, aq);
    }
    if (opts.perRowActivations) {
      // onnxruntime's MatMulIntegerToFloat takes one A scale per tensor: give it 1, scale the rows after, and give the
      // result the input's leading dimensions back.
      const c = rowConsts();
      const [mm, col, scaled] = ["unscaled", "row_scale_column", "rows"].map((x) => fresh(`${n.output[0]}_${x}`)) as [
        string,
        string,
        string,
      ];
      nodes.push({
        opType: "MatMulIntegerToFloat",
        domain: "com.microsoft",
        name: fresh(`${base}_quant`),
        input: [aq[0], wq.q, c.one, wq.scale, aq[2], wq.zp],
        output: [mm],
        attribute: [],
      });
      nodes.push({ opType: "Unsqueeze", name: fresh(`${col}_Unsqueeze`), input: [aq[1], c.axis1], output: [col], attribute: [] });
      nodes.push({ opType: "Mul", name: fresh(`${base}_row_scale_mul`), input: [mm, col], output: [scaled], attribute: [] });
      const shape = c.outShape(a, num(w.dims[1]));
      nodes.push({ opType: "Reshape", name: fresh(`${base}_unrows`), input: [scaled, shape], output: [n.output[0]], attribute: [] });
      quantizedMatMuls++;
      continue;
    }
    const mmInt = fresh(`${n.output[0]}_output_quantized`);
    const mmF = fresh(`${n.output[0]}_output_quantized_cast`);
    const scales = fresh(`${n.output[0]}_scales_mul`);
    nodes.push({
      opType: "MatMulInteger",
      name: fresh(`${base}_quant`),
      input: [aq[0], wq.q, aq[2], wq.zp],
      output: [mmInt],
      attribute: [],
    });
    nodes.push({
      opType: "Cast",
      name: fresh(`${base}_cast`),
      input: [mmInt],
      output: [mmF],
      attribute: [{ name: "to", type: 2, i: DataType.FLOAT }],
    });
    nodes.push({ opType: "Mul", name: fresh(`${base}_scales_mul`), input: [aq[1], wq.scale], output: [scales], attribute: [] });
    nodes.push({ opType: "Mul", name: fresh(`${base}_output_scale_mul`), input: [mmF, scales], output: [n.output[0]], attribute: [] });
    quantizedMatMuls++;
  }

  // Drop float weights nothing reads any more (all their readers were quantized MatMuls).
  const used = new Set<string>((g.output as OnnxModel[]).map((v) => v.name as string));
  for (const n of nodes) for (const i of n.input as string[]) used.add(i);
  markSubgraphInputs(nodes, used);
  g.node = nodes;
  g.initializer = [
    ...(g.initializer as OnnxModel[]).filter((t) => !(quantW.has(t.name) || gatherQ.has(t.name)) || used.has(t.name)),
    ...newInits,
  ];

  return {
    quantizedMatMuls,
    keptMatMuls,
    keptReasons,
    quantizedWeights: quantW.size,
    quantizedParams,
    activationQuantizers,
    quantizedGathers,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/** Names read inside If/Loop/Scan bodies (outer-scope references) also count as used. */
function markSubgraphInputs(nodes: OnnxModel[], used: Set<string>): void {
  for (const n of nodes)
    for (const a of n.attribute ?? []) {
      for (const sub of [a.g, ...(a.graphs ?? [])]) {
        if (!sub) continue;
        for (const sn of sub.node ?? []) for (const i of sn.input as string[]) used.add(i);
        markSubgraphInputs(sub.node ?? [], used);
      }
    }
}

/** Counts nodes by op type (for reports and tests). */
export function opCounts(model: OnnxModel): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of model.graph.node as OnnxModel[]) c[n.opType] = (c[n.opType] ?? 0) + 1;
  return c;
}
