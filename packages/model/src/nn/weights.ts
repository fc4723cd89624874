import { mulberry32 } from "@finsentry/core";
import type * as tf from "@tensorflow/tfjs"; // types only: the runtime imports this file and must not load tfjs
import { N_SENTIMENT, N_TAGS, N_TOPIC, type ModelConfig } from "./config.ts";

/** Name → tensor map; the forward pass and the ONNX exporter are pure functions of it. */
export type WeightMap = Record<string, tf.Tensor>;
export type RawWeights = Record<string, { shape: number[]; data: Float32Array }>;

export type InitKind = "normal" | "zeros" | "ones";
export interface WeightSpec {
  name: string;
  shape: number[];
  init: InitKind;
  /** Excluded from AdamW weight decay (biases, LayerNorm, embeddings). */
  noDecay: boolean;
  /** Training-only (e.g. the masked-LM bias): not exported to ONNX. */
  trainOnly?: boolean;
}

/** Every weight the model has, with its shape — the single source of truth for init, loading and validation. */
export function weightSpecs(c: ModelConfig, opts: { mlm?: boolean; featureDim?: number } = {}): WeightSpec[] {
  const D = c.dModel;
  const s: WeightSpec[] = [
    { name: "tok_emb", shape: [c.vocabSize, D], init: "normal", noDecay: true },
    { name: "pos_emb", shape: [c.maxLen, D], init: "normal", noDecay: true },
  ];
  const ln = (p: string) => {
    s.push({ name: `${p}.g`, shape: [D], init: "ones", noDecay: true }, { name: `${p}.b`, shape: [D], init: "zeros", noDecay: true });
  };
  const dense = (p: string, i: number, o: number) => {
    s.push({ name: `${p}.w`, shape: [i, o], init: "normal", noDecay: false }, { name: `${p}.b`, shape: [o], init: "zeros", noDecay: true });
  };
  for (let l = 0; l < c.nLayers; l++) {
    ln(`l${l}.ln1`);
    dense(`l${l}.qkv`, D, 3 * D); // fused Q|K|V projection: one matmul instead of three
    dense(`l${l}.out`, D, D);
    ln(`l${l}.ln2`);
    dense(`l${l}.ff1`, D, c.dFF);
    dense(`l${l}.ff2`, c.dFF, D);
  }
  ln("ln_f");
  dense("sent", 2 * D, N_SENTIMENT); // pooled = [CLS ; masked mean]
  dense("topic", 2 * D, N_TOPIC);
  dense("tag", D, N_TAGS);
  // Zero start: the wide path begins as a no-op and learns only what the token counts add to the encoder.
  if (c.wide) s.push({ name: "wide.w", shape: [c.vocabSize, N_SENTIMENT + N_TOPIC], init: "zeros", noDecay: false });
  if (opts.mlm) s.push({ name: "mlm.b", shape: [c.vocabSize], init: "zeros", noDecay: true, trainOnly: true });
  // The feature term's map from the pooled vector to the teacher's features (train/losses.ts featureLoss).
  if (opts.featureDim) {
    s.push({ name: "feat.w", shape: [2 * D, opts.featureDim], init: "normal", noDecay: false, trainOnly: true });
    s.push({ name: "feat.b", shape: [opts.featureDim], init: "zeros", noDecay: true, trainOnly: true });
  }
  return s;
}

/** Seeded random weights (normal σ=0.02, as in BERT), for tests, benchmarks and training from scratch. */
export function initRawWeights(c: ModelConfig, seed = 1, opts: { mlm?: boolean; featureDim?: number; std?: number } = {}): RawWeights {
  const rng = mulberry32(seed);
  const std = opts.std ?? 0.02;
  const out: RawWeights = {};
  for (const sp of weightSpecs(c, opts)) {
    const n = sp.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (sp.init === "ones") data.fill(1);
    else if (sp.init === "normal") for (let i = 0; i < n; i++) data[i] = gaussian(rng) * std;
    out[sp.name] = { shape: sp.shape, data };
  }
  return out;
}

export function paramCount(c: ModelConfig): number {
  return weightSpecs(c).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
}

export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
export { mulberry32 };
