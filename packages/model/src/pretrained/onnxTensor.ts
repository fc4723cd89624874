import { DataType, ModelProto, TensorProto } from "../onnx/proto.ts";

export interface FloatTensor {
  shape: number[];
  data: Float32Array;
}

interface TensorMsg {
  name?: string;
  dims?: number[];
  dataType?: number;
  rawData?: Uint8Array;
}

/**
 * Reads one float32 initializer (stored as raw_data, as exporters write large weights) from ONNX model bytes, e.g. a
 * pre-trained model's embedding table. Throws with the available names when it is missing or not float32.
 */
export function readOnnxFloatTensor(bytes: Uint8Array, name: string): FloatTensor {
  let inits: { name?: string }[];
  try {
    inits = (ModelProto.decode(bytes) as unknown as { graph?: { initializer?: { name?: string }[] } }).graph?.initializer ?? [];
  } catch (e) {
    throw new Error(`not an ONNX model (${e instanceof Error ? e.message : e})`);
  }
  const found = inits.find((x) => x.name === name);
  if (!found)
    throw new Error(
      `ONNX model has no initializer "${name}" (it has ${inits
        .slice(0, 8)
        .map((x) => x.name)
        .join(", ")}${inits.length > 8 ? ", …" : ""})`,
    );
  // Plain-object conversion of this one tensor only (int64 dims → numbers); the rest of the model is never copied.
  const t = TensorProto.toObject(found as Parameters<typeof TensorProto.toObject>[0], { longs: Number }) as TensorMsg;
  const shape = (t.dims ?? []).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  if (t.dataType !== DataType.FLOAT)
    throw new Error(`initializer "${name}" has ONNX data type ${t.dataType}, expected float32 (${DataType.FLOAT})`);
  const raw = t.rawData;
  if (!raw || raw.byteLength !== 4 * n)
    throw new Error(`initializer "${name}": dims [${shape}] need ${4 * n} bytes of raw_data, got ${raw?.byteLength ?? 0}`);
  // Copy: raw_data sits at an arbitrary offset inside the model buffer, and Float32Array needs 4-byte alignment.
  const data = new Float32Array(n);
  new Uint8Array(data.buffer).set(raw);
  return { shape, data };
}
