import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "./config.ts";
import { embeddingLookup, type EmbeddingGrad } from "./embedding.ts";
import type { WeightMap } from "./weights.ts";

import { MASK_BIAS, N_SENTIMENT, N_TOPIC } from "./config.ts";
export { MASK_BIAS };

export interface ForwardOptions {
  /** Dropout on embeddings, attention output and FFN output; applied only when > 0 (training). */
  dropout?: number;
  embeddingGrad?: EmbeddingGrad;
  /** Seed source for dropout masks (deterministic tests). */
  seed?: number;
}

export interface ForwardOutput {
  sentimentLogits: tf.Tensor2D; // [B,3]
  topicLogits: tf.Tensor2D; // [B,20]
  tagLogits: tf.Tensor3D; // [B,T,13]
  /** Last layer's attention from position 0 ([CLS]) to every token, averaged over heads: [B,T]. */
  clsAttention: tf.Tensor2D;
  /** Final-LayerNorm hidden states [B,T,D] (masked-LM head and diagnostics). */
  hidden: tf.Tensor3D;
  /** [CLS] state ‖ masked mean, after dropout: what the sentiment and topic heads read [B,2D]. */
  pooled: tf.Tensor2D;
  /** The wide path's own logits [B,3+20] (sentiment columns, then topic), when the model has it. */
  wideLogits?: tf.Tensor2D;
}

const w2 = (w: WeightMap, k: string) => {
  const t = w[k];
  if (!t) throw new Error(`weight ${k} missing`);
  return t;
};

/** LayerNorm over the last axis — the same formula as ONNX LayerNormalization (biased variance). */
export function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const xc = tf.sub(x, mean);
  const variance = tf.mean(tf.square(xc), -1, true);
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, eps))), g), b);
}

/** Exact GELU, (x·(erf(x/√2)+1))·0.5 — in this op order so onnxruntime fuses the ONNX twin into one Gelu kernel. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, tf.add(tf.erf(tf.div(x, Math.SQRT2)), 1)), 0.5);
}

/**
 * x·W + b on 2-D x with a hand-written gradient that transposes explicitly: tfjs-wasm's matMul with transposeA/B
 * set runs ~10× slower than a plain matMul after a 2-D transpose (measured in docs/model.md).
 */
const denseCore = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, b] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
  (args[3] as tf.GradSaveFunc)([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      // Bias gradient as ones·dy: wasm reduces over axis 0 by transposing first, a matmul is far cheaper.
      const db = tf.reshape(tf.matMul(tf.ones([1, g.shape[0]]), g), [g.shape[1]]);
      return [tf.matMul(g, tf.transpose(ws)), tf.matMul(tf.transpose(xs), g), db];
    },
  };
});

/** x @ W + b for x of rank 2 or 3 (flattened to 2-D so every backend uses its plain matmul). */
export function dense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1]!;
  const outDim = w.shape[1]!;
  const lead = x.shape.slice(0, -1);
  const y = denseCore(tf.reshape(x, [-1, inDim]), w, b);
  return tf.reshape(y, [...lead, outDim]);
}

/**
 * The multitask encoder as a pure function of the weight map. ids: int32 [B,T] with T ≤ maxLen, position 0 = [CLS].
 * Must stay in lock-step with onnx/graph.ts (the parity test checks every output).
 */
export function forward(w: WeightMap, ids: tf.Tensor2D, c: ModelConfig, opts: ForwardOptions = {}): ForwardOutput {
  const [B, T] = ids.shape;
  const D = c.dModel;
  const H = c.nHeads;
  const Dh = D / H;
  const p = opts.dropout ?? 0;
  let seed = opts.seed ?? Math.floor(Math.random() * 1e9);
  const drop = (x: tf.Tensor) => (p > 0 ? tf.dropout(x, p, undefined, seed++) : x);

  const keep = tf.cast(tf.notEqual(ids, c.padId), "float32") as tf.Tensor2D; // [B,T] 1 = real token
  const bias = tf.reshape(tf.mul(tf.sub(1, keep), MASK_BIAS), [B, 1, T]);

  const tok = embeddingLookup(w2(w, "tok_emb") as tf.Tensor2D, ids, opts.embeddingGrad ?? "native");
  const pos = tf.slice(w2(w, "pos_emb"), [0, 0], [T, D]);
  let x: tf.Tensor = drop(tf.add(tok, pos));

  let lastAttn: tf.Tensor | undefined;
  for (let l = 0; l < c.nLayers; l++) {
    const h = layerNorm(x, w2(w, `l${l}.ln1.g`), w2(w, `l${l}.ln1.b`), c.lnEps);
    // Heads are column slices of the fused projection, attended one by one with 3-D matmuls: the wasm backend's
    // 4-D/5-D Transpose is its slowest kernel here. The ONNX twin uses Reshape/Transpose — the same math.
    const qkv = tf.reshape(dense(h, w2(w, `l${l}.qkv.w`), w2(w, `l${l}.qkv.b`)), [B * T, 3 * D]);
    const ctxs: tf.Tensor[] = [];
    const probs: tf.Tensor[] = [];
    for (let hd = 0; hd < H; hd++) {
      const col = (part: number) => tf.reshape(tf.slice(qkv, [0, part * D + hd * Dh], [B * T, Dh]), [B, T, Dh]) as tf.Tensor3D;
      const scores = tf.add(tf.mul(tf.matMul(col(0), col(1), false, true), 1 / Math.sqrt(Dh)), bias);
      const attn = tf.softmax(scores, -1) as tf.Tensor3D; // [B,T,T]
      if (l === c.nLayers - 1) probs.push(tf.slice(attn, [0, 0, 0], [B, 1, T]));
      ctxs.push(tf.matMul(attn, col(2)));
    }
    if (l === c.nLayers - 1) lastAttn = tf.reshape(tf.div(tf.addN(probs), H), [B, T]);
    const ctx = H === 1 ? ctxs[0]! : tf.concat(ctxs, -1); // [B,T,D]
    x = tf.add(x, drop(dense(ctx, w2(w, `l${l}.out.w`), w2(w, `l${l}.out.b`))));
    const h2 = layerNorm(x, w2(w, `l${l}.ln2.g`), w2(w, `l${l}.ln2.b`), c.lnEps);
    const ff = dense(gelu(dense(h2, w2(w, `l${l}.ff1.w`), w2(w, `l${l}.ff1.b`))), w2(w, `l${l}.ff2.w`), w2(w, `l${l}.ff2.b`));
    x = tf.add(x, drop(ff));
  }
  const hidden = layerNorm(x, w2(w, "ln_f.g"), w2(w, "ln_f.b"), c.lnEps) as tf.Tensor3D;

  const cls = tf.reshape(tf.slice(hidden, [0, 0, 0], [B, 1, D]), [B, D]);
  const keep3 = tf.reshape(keep, [B, T, 1]);
  const mean = tf.div(tf.sum(tf.mul(hidden, keep3), 1), tf.sum(keep3, 1)); // masked mean over real tokens
  const pooled = drop(tf.concat([cls, mean], 1)) as tf.Tensor2D;

  const clsAttention = lastAttn as tf.Tensor2D;
  let sentimentLogits = dense(pooled, w2(w, "sent.w"), w2(w, "sent.b")) as tf.Tensor2D;
  let topicLogits = dense(pooled, w2(w, "topic.w"), w2(w, "topic.b")) as tf.Tensor2D;
  let wideLogits: tf.Tensor2D | undefined;
  if (c.wide) {
    // Σ_t table[id_t] / √n over real tokens ([CLS] included: its row acts as a length-scaled bias).
    const rows = drop(embeddingLookup(w2(w, "wide.w") as tf.Tensor2D, ids, opts.embeddingGrad ?? "native")); // [B,T,23]
    const bag = tf.div(tf.sum(tf.mul(rows, keep3), 1), tf.sqrt(tf.sum(keep3, 1))) as tf.Tensor2D; // [B,23]
    wideLogits = bag;
    sentimentLogits = tf.add(sentimentLogits, tf.slice(bag, [0, 0], [B, N_SENTIMENT]));
    topicLogits = tf.add(topicLogits, tf.slice(bag, [0, N_SENTIMENT], [B, N_TOPIC]));
  }
  return {
    sentimentLogits,
    topicLogits,
    tagLogits: dense(drop(hidden), w2(w, "tag.w"), w2(w, "tag.b")) as tf.Tensor3D,
    clsAttention,
    hidden,
    pooled,
    ...(wideLogits ? { wideLogits } : {}),
  };
}

/** Inference-time probabilities, the exact outputs of the ONNX graph. */
export function predictProbs(w: WeightMap, ids: tf.Tensor2D, c: ModelConfig, embeddingGrad: EmbeddingGrad = "native") {
  return tf.tidy(() => {
    const o = forward(w, ids, c, { embeddingGrad });
    return {
      sentiment: tf.softmax(o.sentimentLogits, -1) as tf.Tensor2D,
      topic: tf.softmax(o.topicLogits, -1) as tf.Tensor2D,
      tags: tf.softmax(o.tagLogits, -1) as tf.Tensor3D,
      clsAttention: o.clsAttention,
    };
  });
}
