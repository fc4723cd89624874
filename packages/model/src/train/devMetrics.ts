import { SENTIMENT_LABELS, TOPIC_LABELS } from "@finsentry/schemas";
import { classificationReport, prf } from "../eval/metrics.ts";

/**
 * Accuracy and macro-F1 over labelled items (label -1 skipped), by eval/metrics.ts's classificationReport, so early
 * stopping, `npm run eval`, the learner's gate and the model card compute the same figure (macro over the classes
 * present in gold or predictions, as sklearn).
 */
export function classification(
  gold: ArrayLike<number>,
  pred: ArrayLike<number>,
  K: number,
): { accuracy: number; macroF1: number; n: number } {
  const labels =
    K === SENTIMENT_LABELS.length
      ? SENTIMENT_LABELS
      : K === TOPIC_LABELS.length
        ? TOPIC_LABELS
        : Array.from({ length: K }, (_, k) => String(k));
  const g: string[] = [];
  const p: string[] = [];
  for (let i = 0; i < gold.length; i++) {
    if (gold[i]! < 0) continue;
    g.push(labels[gold[i]!]!);
    p.push(labels[pred[i]!]!);
  }
  const r = classificationReport(g, p, labels);
  return { accuracy: r.accuracy, macroF1: r.macro_f1, n: r.n };
}

/** Token spans from a BIO sequence (same lenient rule as runtime decoding): "type:start:end" keys. */
export function bioSpans(tags: ArrayLike<number>, from: number, to: number): Set<string> {
  const out = new Set<string>();
  let cur: { type: number; start: number; end: number } | undefined;
  const close = () => {
    if (cur) out.add(`${cur.type}:${cur.start}:${cur.end}`);
    cur = undefined;
  };
  for (let t = from; t < to; t++) {
    const tg = tags[t]!;
    if (tg <= 0) {
      close();
      continue;
    }
    const type = (tg - 1) >> 1;
    if ((tg - 1) % 2 === 0 || !cur || cur.type !== type) {
      close();
      cur = { type, start: t, end: t + 1 };
    } else cur.end = t + 1;
  }
  close();
  return out;
}

/**
 * Exact-match token-span counts accumulated inside the training loop (the tfjs model's argmax tags against the
 * training labels, gold + weak), scored with eval/metrics.ts's prf. The card labels this figure as what it is; the
 * character-span figure against human gold comes from `npm run eval` / `npm run eval:gold`.
 */
export class SpanF1 {
  tp = 0;
  fp = 0;
  fn = 0;
  add(gold: Set<string>, pred: Set<string>): void {
    for (const p of pred)
      if (gold.has(p)) this.tp++;
      else this.fp++;
    for (const g of gold) if (!pred.has(g)) this.fn++;
  }
  result(): { precision: number; recall: number; f1: number } {
    return prf(this.tp, this.tp + this.fp, this.tp + this.fn);
  }
}
