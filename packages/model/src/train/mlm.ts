import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../nn/config.ts";
import type { EmbeddingGrad } from "../nn/embedding.ts";
import { forward } from "../nn/forward.ts";
import type { WeightMap } from "../nn/weights.ts";
import type { PackedBatch } from "./batches.ts";

export interface MaskedBatch {
  ids: Int32Array; // corrupted input
  /** Flat positions (b*T+t) that were selected, and their original ids. */
  positions: Int32Array;
  targets: Int32Array;
}

/** BERT-style corruption of non-special tokens: of the selected, 80% → [MASK], 10% → random id, 10% kept. */
export function maskTokens(
  p: PackedBatch,
  o: { maskProb: number; maskId: number; firstRegularId: number; vocabSize: number },
  rnd: () => number,
): MaskedBatch {
  const ids = p.ids.slice();
  const pos: number[] = [];
  const tgt: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < o.firstRegularId || rnd() >= o.maskProb) continue;
    pos.push(i);
    tgt.push(id);
    const r = rnd();
    if (r < 0.8) ids[i] = o.maskId;
    else if (r < 0.9) ids[i] = o.firstRegularId + Math.floor(rnd() * (o.vocabSize - o.firstRegularId));
  }
  return { ids, positions: Int32Array.from(pos), targets: Int32Array.from(tgt) };
}

/**
 * Masked-LM loss with the output layer tied to the token embeddings. Selected rows are picked with a one-hot
 * matmul rather than tf.gather, whose gradient (UnsortedSegmentSum) the wasm backend lacks.
 */
export function mlmLoss(
  w: WeightMap,
  c: ModelConfig,
  p: PackedBatch,
  m: MaskedBatch,
  dropout: number,
  embeddingGrad: EmbeddingGrad,
): tf.Scalar {
  const o = forward(w, tf.tensor2d(m.ids, [p.B, p.T], "int32"), c, { dropout, embeddingGrad });
  const flat = tf.reshape(o.hidden, [p.B * p.T, c.dModel]);
  const sel = tf.oneHot(tf.tensor1d(m.positions, "int32"), p.B * p.T).toFloat();
  const h = tf.matMul(sel, flat as tf.Tensor2D);
  const logits = tf.add(tf.matMul(h, w["tok_emb"] as tf.Tensor2D, false, true), w["mlm.b"]!);
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(tf.tensor1d(m.targets, "int32"), c.vocabSize)), -1));
  return tf.mean(nll) as tf.Scalar;
}
