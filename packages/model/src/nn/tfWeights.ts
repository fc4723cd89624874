import * as tf from "@tensorflow/tfjs";
import type { RawWeights, WeightMap } from "./weights.ts";

export function toWeightMap(raw: RawWeights): WeightMap {
  const m: WeightMap = {};
  for (const [k, v] of Object.entries(raw)) m[k] = tf.tensor(v.data, v.shape, "float32");
  return m;
}

export async function fromWeightMap(w: WeightMap): Promise<RawWeights> {
  const out: RawWeights = {};
  for (const [k, t] of Object.entries(w)) out[k] = { shape: t.shape.slice(), data: (await t.data()) as Float32Array };
  return out;
}
