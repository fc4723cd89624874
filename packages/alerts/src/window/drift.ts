import { SENTIMENT_LABELS, TOPIC_LABELS } from "@finsentry/schemas";
import type { Contribution } from "./contribution.ts";
import { emptyEwma, ewmaUpdateRobust, type Ewma } from "./ewma.ts";

export const DRIFT_TASKS = ["sentiment", "topic"] as const;
export type DriftTask = (typeof DRIFT_TASKS)[number];

/** Class labels per task, in the order distributions are kept (the model heads' order). */
export const TASK_LABELS: Record<DriftTask, readonly string[]> = { sentiment: SENTIMENT_LABELS, topic: TOPIC_LABELS };
const INDEX: Record<DriftTask, Map<string, number>> = {
  sentiment: new Map(SENTIMENT_LABELS.map((l, i) => [l, i])),
  topic: new Map(TOPIC_LABELS.map((l, i) => [l, i])),
};

/** The sentiment label of a contribution; rows counted before labels were kept fall back to bearish / not bearish. */
export const sentimentLabelOf = (c: Contribution): string => c.label ?? (c.bearish ? "bearish" : "neutral");
export const classOf = (task: DriftTask, c: Contribution): string => (task === "sentiment" ? sentimentLabelOf(c) : c.topic);
export const confidenceOf = (task: DriftTask, c: Contribution): number => (task === "sentiment" ? c.confidence : c.topicConfidence);

/** One task's predictions in a window: items per class and mean confidence. */
export interface TaskStats {
  counts: number[];
  meanConfidence: number;
}
export type DriftStats = Record<DriftTask, TaskStats>;

export function driftStats(items: Contribution[]): DriftStats {
  const out = {} as DriftStats;
  for (const task of DRIFT_TASKS) {
    const counts = new Array<number>(TASK_LABELS[task].length).fill(0);
    let conf = 0;
    for (const c of items) {
      const i = INDEX[task].get(classOf(task, c));
      if (i !== undefined) counts[i]!++;
      conf += confidenceOf(task, c);
    }
    out[task] = { counts, meanConfidence: items.length ? conf / items.length : 0 };
  }
  return out;
}

/** Non-negative weights → a distribution; all-zero stays all-zero. */
export function normalize(xs: number[]): number[] {
  const total = xs.reduce((s, x) => s + Math.max(0, x), 0);
  return total > 0 ? xs.map((x) => Math.max(0, x) / total) : xs.map(() => 0);
}

/** Jensen–Shannon distance (square root of the divergence, log base 2): 0 for equal distributions, 1 for disjoint ones. */
export function jsDistance(p: number[], q: number[]): number {
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!;
    const b = q[i] ?? 0;
    const m = (a + b) / 2;
    if (a > 0) d += 0.5 * a * Math.log2(a / m);
    if (b > 0) d += 0.5 * b * Math.log2(b / m);
  }
  return Math.sqrt(Math.max(0, Math.min(1, d)));
}

/** Shares are floored here for PSI: an empty class would make it infinite. */
export const PSI_FLOOR = 0.001;

/** Population stability index Σ (p−q)·ln(p/q) of the current distribution `p` against the baseline `q`. */
export function psi(p: number[], q: number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const a = Math.max(p[i]!, PSI_FLOOR);
    const b = Math.max(q[i] ?? 0, PSI_FLOOR);
    s += (a - b) * Math.log(a / b);
  }
  return s;
}

/** Per task: EWMA of each class share and of the mean confidence, over non-empty windows of the model stream. */
export type DriftBaseline = Record<DriftTask, { shares: Ewma[]; confidence: Ewma }> & {
  /** Items folded in so far (window counts summed): weights windows while the baseline warms up. */
  items: number;
};

export const emptyDriftBaseline = (): DriftBaseline => ({
  sentiment: { shares: SENTIMENT_LABELS.map(emptyEwma), confidence: emptyEwma() },
  topic: { shares: TOPIC_LABELS.map(emptyEwma), confidence: emptyEwma() },
  items: 0,
});

/** Clipping floors: about two points of share and of confidence noise. */
const SHARE_STD_FLOOR = 0.02;
const CONFIDENCE_STD_FLOOR = 0.02;

/**
 * Folds a window into the baseline with the same robust update as the other baselines: each share and the mean
 * confidence are clipped at mean ± 3σ once warm, so a drift episode does not become "normal" while it lasts (and the
 * return to normal afterwards does not read as a second drift).
 * Until the EWMA weight takes over, windows are pooled by item count: with a small alpha, the first (often partial,
 * few-item) window would otherwise stay in the baseline for many half-lives.
 */
export function updateDriftBaseline(b: DriftBaseline, s: DriftStats, alpha: number): void {
  const n = s.sentiment.counts.reduce((x, y) => x + y, 0);
  if (n === 0) return;
  const a = Math.max(alpha, n / (b.items + n));
  b.items += n;
  for (const task of DRIFT_TASKS) {
    const shares = normalize(s[task].counts);
    b[task].shares.forEach((e, i) => ewmaUpdateRobust(e, shares[i]!, a, SHARE_STD_FLOOR));
    ewmaUpdateRobust(b[task].confidence, s[task].meanConfidence, a, CONFIDENCE_STD_FLOOR);
  }
}

/** The baseline's distribution for a task (EWMA shares renormalised: clipping can leave them off 1). */
export const baselineShares = (b: DriftBaseline, task: DriftTask): number[] => normalize(b[task].shares.map((e) => e.mean));
