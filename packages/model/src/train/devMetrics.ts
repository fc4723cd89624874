/** Accuracy and macro-F1 over labelled items (label -1 skipped). Early stopping needs these inside the train loop. */
export function classification(gold: ArrayLike<number>, pred: ArrayLike<number>, K: number): { accuracy: number; macroF1: number; n: number } {
  const tp = new Float64Array(K);
  const fp = new Float64Array(K);
  const fn = new Float64Array(K);
  let n = 0;
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = gold[i]!;
    if (g < 0) continue;
    const p = pred[i]!;
    n++;
    if (g === p) {
      correct++;
      tp[g] = tp[g]! + 1;
    } else {
      fp[p] = fp[p]! + 1;
      fn[g] = fn[g]! + 1;
    }
  }
  let f1sum = 0;
  let present = 0;
  for (let k = 0; k < K; k++) {
    if (tp[k]! + fn[k]! === 0) continue; // macro over classes present in gold
    present++;
    const d = 2 * tp[k]! + fp[k]! + fn[k]!;
    f1sum += d > 0 ? (2 * tp[k]!) / d : 0;
  }
  return { accuracy: n ? correct / n : 0, macroF1: present ? f1sum / present : 0, n };
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

/** Exact-match span precision/recall/F1 accumulated over examples. */
export class SpanF1 {
  tp = 0;
  fp = 0;
  fn = 0;
  add(gold: Set<string>, pred: Set<string>): void {
    for (const p of pred) if (gold.has(p)) this.tp++;
      else this.fp++;
    for (const g of gold) if (!pred.has(g)) this.fn++;
  }
  result(): { precision: number; recall: number; f1: number } {
    const precision = this.tp + this.fp ? this.tp / (this.tp + this.fp) : 0;
    const recall = this.tp + this.fn ? this.tp / (this.tp + this.fn) : 0;
    return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
  }
}
