import * as tf from "@tensorflow/tfjs";
import { N_SENTIMENT, N_TOPIC, type ModelConfig } from "../nn/config.ts";
import type { EmbeddingGrad } from "../nn/embedding.ts";
import { forward } from "../nn/forward.ts";
import type { WeightMap } from "../nn/weights.ts";
import { packBatch } from "./batches.ts";
import { bioSpans, classification, SpanF1 } from "./devMetrics.ts";
import type { Encoded } from "./encode.ts";
import type { Task } from "./options.ts";

export type DevMetrics = Partial<Record<Task, Record<string, number>>> & { score: number };

/** Dev metrics from the tfjs model (no dropout): accuracy/macro-F1 per head, exact token-span F1 for entities. */
export function evaluate(
  w: WeightMap,
  c: ModelConfig,
  items: readonly Encoded[],
  tasks: readonly Task[],
  embeddingGrad: EmbeddingGrad,
  batchSize = 128,
): DevMetrics {
  const order = items.map((_, i) => i).sort((a, b) => items[a]!.ids.length - items[b]!.ids.length);
  const sGold: number[] = [],
    sPred: number[] = [],
    tGold: number[] = [],
    tPred: number[] = [];
  const spans = new SpanF1();
  for (let i = 0; i < order.length; i += batchSize) {
    const batch = order.slice(i, i + batchSize).map((j) => items[j]!);
    const p = packBatch(batch, c.padId);
    const [s, t, g] = tf.tidy(() => {
      const o = forward(w, tf.tensor2d(p.ids, [p.B, p.T], "int32"), c, { embeddingGrad });
      return [o.sentimentLogits.argMax(-1), o.topicLogits.argMax(-1), o.tagLogits.argMax(-1)];
    });
    const [sv, tv, gv] = [s!.dataSync(), t!.dataSync(), g!.dataSync()];
    tf.dispose([s!, t!, g!]);
    batch.forEach((x, b) => {
      sGold.push(x.sentiment);
      sPred.push(sv[b]!);
      tGold.push(x.topic);
      tPred.push(tv[b]!);
      if (x.tags) {
        const pred = Int32Array.from({ length: x.ids.length }, (_, k) => (k === 0 ? 0 : gv[b * p.T + k]!));
        spans.add(
          bioSpans(
            Int32Array.from(x.tags, (v) => Math.max(0, v)),
            1,
            x.ids.length,
          ),
          bioSpans(pred, 1, x.ids.length),
        );
      }
    });
  }
  const out: DevMetrics = { score: 0 };
  const scores: number[] = [];
  if (tasks.includes("sentiment")) {
    const m = classification(sGold, sPred, N_SENTIMENT);
    out.sentiment = m;
    if (m.n) scores.push(m.macroF1);
  }
  if (tasks.includes("topic")) {
    const m = classification(tGold, tPred, N_TOPIC);
    out.topic = m;
    if (m.n) scores.push(m.macroF1);
  }
  if (tasks.includes("entities")) {
    const r = spans.result();
    out.entities = { precision: r.precision, recall: r.recall, spanF1: r.f1 };
    if (spans.tp + spans.fn > 0) scores.push(r.f1);
  }
  out.score = scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : 0;
  return out;
}
