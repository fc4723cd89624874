import { AttrType, DataType, ModelProto } from "./proto.ts";

export type Attr = number | number[] | { float: number } | { floats: number[] };
export type Dim = number | string;

interface Tensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

function bytes(a: Float32Array | BigInt64Array | Int32Array | Int8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength); // ONNX raw_data is little-endian, as are x86/ARM
}

/** Accumulates nodes and initializers; node outputs get unique names so graphs can be built like expressions. */
export class GraphBuilder {
  private readonly nodes: object[] = [];
  private readonly inits: Tensor[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private counter = 0;
  private readonly constCache = new Map<string, string>();

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, from: string, elemType: number, dims: Dim[]): void {
    this.op("Identity", [from], {}, name);
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer (weights). */
  weight(name: string, dims: number[], data: Float32Array): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`initializer ${name}: dims [${dims}] need ${n} values, got ${data.length}`);
    this.inits.push({ name, dims, dataType: DataType.FLOAT, rawData: bytes(data) });
    return name;
  }

  /** An int8 initializer (quantized weights). */
  int8(name: string, dims: number[], data: Int8Array): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`initializer ${name}: dims [${dims}] need ${n} values, got ${data.length}`);
    this.inits.push({ name, dims, dataType: DataType.INT8, rawData: bytes(data) });
    return name;
  }

  /** A float scalar constant (shared between uses). */
  f32(v: number): string {
    return this.cached(`f:${v}`, () => this.weightNamed(`c_f${this.counter++}`, [], new Float32Array([v])));
  }

  /** An int64 constant: a scalar when `scalar`, else a 1-D tensor. */
  i64(values: number[], scalar = false): string {
    return this.cached(`i:${scalar}:${values.join(",")}`, () => {
      const name = `c_i${this.counter++}`;
      this.inits.push({
        name,
        dims: scalar ? [] : [values.length],
        dataType: DataType.INT64,
        rawData: bytes(BigInt64Array.from(values.map(BigInt))),
      });
      return name;
    });
  }

  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outName?: string): string {
    const out = outName ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({
      opType,
      input: inputs,
      output: [out],
      name: `n${this.nodes.length}_${opType}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** Serialises to ModelProto bytes (IR 8, default domain at `opset`). */
  toBytes(opts: { opset: number; producer: string; docString?: string; metadata?: Record<string, string> }): Uint8Array {
    const model = {
      irVersion: 8,
      producerName: opts.producer,
      producerVersion: "1",
      docString: opts.docString ?? "",
      opsetImport: [{ domain: "", version: opts.opset }],
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: "finsentry", node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    };
    const err = ModelProto.verify(model);
    if (err) throw new Error(`ONNX model does not verify: ${err}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }

  private weightNamed(name: string, dims: number[], data: Float32Array): string {
    this.inits.push({ name, dims, dataType: DataType.FLOAT, rawData: bytes(data) });
    return name;
  }

  private cached(key: string, make: () => string): string {
    let n = this.constCache.get(key);
    if (!n) this.constCache.set(key, (n = make()));
    return n;
  }
}

function attribute(name: string, v: Attr): object {
  if (typeof v === "number") return { name, type: AttrType.INT, i: v };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ("float" in v) return { name, type: AttrType.FLOAT, f: v.float };
  return { name, type: AttrType.FLOATS, floats: v.floats };
}

function valueInfo(name: string, elemType: number, dims: Dim[]): object {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } },
  };
}
