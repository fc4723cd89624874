import type { ModelConfig } from "../nn/config.ts";

/** Symmetric int8 weights: value ≈ q · scale, q ∈ [−127, 127], zero point 0. */
export interface Int8Tensor {
  q: Int8Array;
  /** One scale per slice along `axis`, or a single scale when `axis` is null (per-tensor). */
  scale: Float32Array;
  axis: number | null;
}

/**
 * Symmetric int8 quantization of a float tensor: scale = max|w| / 127 over each slice along `axis` (per-channel) or
 * over the whole tensor (`axis` null); q = round(w / scale). An all-zero slice gets scale 1 (its q are all 0).
 * Worst-case rounding error per element is scale / 2.
 */
export function quantizeInt8(data: Float32Array, shape: readonly number[], axis: number | null): Int8Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`quantizeInt8: shape [${shape}] needs ${n} values, got ${data.length}`);
  if (axis !== null && !(axis >= 0 && axis < shape.length)) throw new Error(`quantizeInt8: axis ${axis} out of range for shape [${shape}]`);
  const channels = axis === null ? 1 : shape[axis]!;
  const stride = axis === null ? n : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => (axis === null ? 0 : Math.floor(i / stride) % channels);
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < n; i++) {
    const c = channelOf(i);
    const a = Math.abs(data[i]!);
    if (a > maxAbs[c]!) maxAbs[c] = a;
  }
  const scale = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++) q[i] = Math.max(-127, Math.min(127, Math.round(data[i]! / scale[channelOf(i)]!)));
  return { q, scale, axis };
}

/** q · scale back to float (what DequantizeLinear computes); for tests and error estimates. */
export function dequantizeInt8(t: Int8Tensor, shape: readonly number[]): Float32Array {
  const n = t.q.length;
  const channels = t.axis === null ? 1 : shape[t.axis]!;
  const stride = t.axis === null ? n : shape.slice(t.axis + 1).reduce((a, b) => a * b, 1);
  return Float32Array.from(t.q, (v, i) => v * t.scale[t.axis === null ? 0 : Math.floor(i / stride) % channels]!);
}

/**
 * The weights `quantize: "int8"` stores as int8, each with the axis that has its own scale: the token embedding
 * table (axis 0: one scale per token row) and every encoder projection matrix (QKV, attention output, FFN; [in, out],
 * axis 1: one scale per output column). Position embeddings, LayerNorm parameters, biases and the three small task
 * heads (≈ 7.5 k of 1.3 M parameters) stay float32.
 */
export function int8WeightAxes(c: ModelConfig): Record<string, 0 | 1> {
  const axes: Record<string, 0 | 1> = { tok_emb: 0 };
  for (let l = 0; l < c.nLayers; l++) for (const p of ["qkv", "out", "ff1", "ff2"]) axes[`l${l}.${p}.w`] = 1;
  return axes;
}
