import * as tf from "@tensorflow/tfjs";
import { N_SENTIMENT, N_TOPIC, type ModelConfig } from "../nn/config.ts";
import type { EmbeddingGrad } from "../nn/embedding.ts";
import { dense, forward } from "../nn/forward.ts";
import type { WeightMap } from "../nn/weights.ts";
import type { PackedBatch } from "./batches.ts";
import { distillationLoss, featureLoss, maskedCrossEntropy } from "./losses.ts";
import { distillWeightOf, type DistilledTask, type Task, type TrainOptions } from "./options.ts";

/** Per-class loss weights of each head (`taskClassWeights`). */
export interface ClassWeights {
  sentiment: Float32Array;
  topic: Float32Array;
  tags: Float32Array;
}

/** Σ_task weight·CE, skipping tasks with no labels in the batch; uncertainty: w·(exp(−s)·L + s) with learned s = log σ². */
export function jointLoss(
  w: WeightMap,
  c: ModelConfig,
  p: PackedBatch,
  o: TrainOptions,
  tasks: ReadonlySet<Task>,
  logVar: Partial<Record<Task, tf.Variable>>,
  cw: ClassWeights,
  embeddingGrad: EmbeddingGrad,
  kept: Record<string, tf.Scalar>,
  seed: number,
): tf.Scalar | null {
  const out = forward(w, tf.tensor2d(p.ids, [p.B, p.T], "int32"), c, { dropout: o.dropout, embeddingGrad, seed });
  // With a teacher, a task's loss is (1 − α)·gold CE + α·distillation, each term present only where it has targets.
  const withTeacher = (task: DistilledTask, gold: tf.Scalar | null, soft: tf.Scalar | null): tf.Scalar | null => {
    if (!p.soft) return gold;
    const a = distillWeightOf(o, task);
    const parts = [gold ? tf.mul(gold, 1 - a) : null, soft ? tf.mul(soft, a) : null].filter((x): x is tf.Tensor => x !== null);
    return parts.length ? (tf.addN(parts) as tf.Scalar) : null;
  };
  const T = o.distillTemperature;
  const losses: [Task, tf.Scalar | null][] = [
    [
      "sentiment",
      tasks.has("sentiment")
        ? withTeacher(
            "sentiment",
            maskedCrossEntropy(out.sentimentLogits, p.sentiment, cw.sentiment),
            p.soft && distillationLoss(out.sentimentLogits, p.soft.sentiment, p.soft.sentimentRows, T),
          )
        : null,
    ],
    [
      "topic",
      tasks.has("topic")
        ? withTeacher(
            "topic",
            maskedCrossEntropy(out.topicLogits, p.topic, cw.topic),
            p.soft && distillationLoss(out.topicLogits, p.soft.topic, p.soft.topicRows, T),
          )
        : null,
    ],
    ["entities", tasks.has("entities") ? maskedCrossEntropy(out.tagLogits, p.tags, cw.tags) : null],
  ];
  const parts: tf.Scalar[] = [];
  for (const [t, l] of losses) {
    if (!l) continue;
    kept[t] = tf.keep(l);
    const s = logVar[t];
    // Under uncertainty weighting the static weight scales the task's whole term, w·(exp(−s)·L + s): s still settles at
    // log L, so the task's effective weight becomes w/L — a prior that survives the learned balance (scaling L alone
    // would be absorbed by s). All 1 (the default) is plain uncertainty weighting.
    const ws = o.staticWeights[t];
    parts.push(s ? (tf.mul(tf.add(tf.mul(tf.exp(tf.neg(s)), l), s), ws) as tf.Scalar) : (tf.mul(l, ws) as tf.Scalar));
  }
  if (p.feat && o.featureWeight > 0) {
    const fl = featureLoss(dense(out.pooled, w["feat.w"]!, w["feat.b"]!), p.feat.q, p.feat.mask, p.feat.rows);
    if (fl) {
      kept.features = tf.keep(fl);
      parts.push(tf.mul(fl, o.featureWeight) as tf.Scalar);
    }
  }
  if (out.wideLogits && o.wideAuxWeight > 0) {
    const wl = out.wideLogits;
    const aux = [
      tasks.has("sentiment") ? maskedCrossEntropy(tf.slice(wl, [0, 0], [p.B, N_SENTIMENT]), p.sentiment, cw.sentiment) : null,
      tasks.has("topic") ? maskedCrossEntropy(tf.slice(wl, [0, N_SENTIMENT], [p.B, N_TOPIC]), p.topic, cw.topic) : null,
    ];
    for (const l of aux) if (l) parts.push(tf.mul(l, o.wideAuxWeight) as tf.Scalar);
  }
  return parts.length ? (tf.addN(parts) as tf.Scalar) : null;
}
