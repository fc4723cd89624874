import type { EntitySpan } from "@finsentry/schemas";

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Gold examples (classification) or gold spans (entities) of this class. */
  support: number;
}

export interface ClassificationReport {
  n: number;
  accuracy: number;
  /** Mean F1 over classes present in gold OR predictions (sklearn's default label set): absent classes do not count. */
  macro_f1: number;
  per_class: Record<string, ClassScores>;
  /** matrix[gold][predicted], rows and columns in `labels` order. */
  confusion: { labels: string[]; matrix: number[][] };
}

/** P/R/F1 with 0 where undefined (no predictions / no gold), like sklearn's zero_division=0. */
export function prf(tp: number, predicted: number, actual: number): Omit<ClassScores, "support"> {
  const precision = predicted > 0 ? tp / predicted : 0;
  const recall = actual > 0 ? tp / actual : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/** Accuracy, macro-F1, per-class P/R/F1/support and confusion matrix over a fixed label set. */
export function classificationReport(gold: readonly string[], pred: readonly string[], labels: readonly string[]): ClassificationReport {
  if (gold.length !== pred.length) throw new Error(`gold has ${gold.length} labels, predictions ${pred.length}`);
  const index = new Map(labels.map((l, i) => [l, i]));
  const k = labels.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  gold.forEach((g, i) => {
    const gi = index.get(g);
    const pi = index.get(pred[i]!);
    if (gi === undefined) throw new Error(`gold label ${JSON.stringify(g)} is not one of ${labels.join(", ")}`);
    if (pi === undefined) throw new Error(`predicted label ${JSON.stringify(pred[i])} is not one of ${labels.join(", ")}`);
    matrix[gi]![pi]!++;
    if (gi === pi) correct++;
  });
  const per_class: Record<string, ClassScores> = {};
  const present: number[] = [];
  labels.forEach((label, c) => {
    const tp = matrix[c]![c]!;
    const actual = matrix[c]!.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, row) => a + row[c]!, 0);
    per_class[label] = { ...prf(tp, predicted, actual), support: actual };
    if (actual > 0 || predicted > 0) present.push(per_class[label].f1);
  });
  return {
    n: gold.length,
    accuracy: gold.length > 0 ? correct / gold.length : 0,
    macro_f1: present.length > 0 ? present.reduce((a, b) => a + b, 0) / present.length : 0,
    per_class,
    confusion: { labels: [...labels], matrix },
  };
}

export interface EntityReport {
  n: number;
  /** Micro-averaged exact-match (same start, end AND type) scores over all spans. */
  precision: number;
  recall: number;
  f1: number;
  /** For shape stability with classification: the share of texts whose predicted span set is exactly the gold set. */
  accuracy: number;
  /** Mean F1 over entity types present in gold or predictions. */
  macro_f1: number;
  per_class: Record<string, ClassScores>;
  /** Always null for entities (kept so every report has the same keys). */
  confusion: null;
}

const spanKey = (s: EntitySpan): string => `${s.start}:${s.end}:${s.type}`;

/** Exact span-and-type matching, micro and per type. Duplicate spans within one text count once. */
export function entityReport(
  gold: readonly (readonly EntitySpan[])[],
  pred: readonly (readonly EntitySpan[])[],
  types: readonly string[],
): EntityReport {
  if (gold.length !== pred.length) throw new Error(`gold has ${gold.length} texts, predictions ${pred.length}`);
  const counts = new Map(types.map((t) => [t, { tp: 0, predicted: 0, actual: 0 }]));
  const bump = (type: string, field: "tp" | "predicted" | "actual"): void => {
    let c = counts.get(type);
    if (!c) counts.set(type, (c = { tp: 0, predicted: 0, actual: 0 }));
    c[field]++;
  };
  let exact = 0;
  gold.forEach((g, i) => {
    const gk = new Map(g.map((s) => [spanKey(s), s]));
    const pk = new Map(pred[i]!.map((s) => [spanKey(s), s]));
    for (const s of gk.values()) bump(s.type, "actual");
    for (const [key, s] of pk) {
      bump(s.type, "predicted");
      if (gk.has(key)) bump(s.type, "tp");
    }
    if (gk.size === pk.size && [...gk.keys()].every((key) => pk.has(key))) exact++;
  });
  let tp = 0;
  let predicted = 0;
  let actual = 0;
  const per_class: Record<string, ClassScores> = {};
  const present: number[] = [];
  for (const [type, c] of counts) {
    tp += c.tp;
    predicted += c.predicted;
    actual += c.actual;
    per_class[type] = { ...prf(c.tp, c.predicted, c.actual), support: c.actual };
    if (c.actual > 0 || c.predicted > 0) present.push(per_class[type].f1);
  }
  return {
    n: gold.length,
    ...prf(tp, predicted, actual),
    accuracy: gold.length > 0 ? exact / gold.length : 0,
    macro_f1: present.length > 0 ? present.reduce((a, b) => a + b, 0) / present.length : 0,
    per_class,
    confusion: null,
  };
}
