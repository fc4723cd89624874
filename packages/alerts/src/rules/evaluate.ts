import { round } from "@finsentry/core";
import type { Contribution } from "../window/contribution.ts";
import { formatDuration } from "../window/duration.ts";
import { ewmaStd, type Baseline } from "../window/ewma.ts";
import { computeFigures, driftOf, figuresRecord, type WindowFigures } from "../window/figures.ts";
import { TASK_LABELS, baselineShares, classOf, confidenceOf, jsDistance, normalize, psi, type DriftTask } from "../window/drift.ts";
import type { CompiledRule } from "./compile.ts";

/** The outcome of one rule on one entity's window. Not met when samples or baseline are insufficient. */
export interface Verdict {
  met: boolean;
  /** Why an evaluation could not judge (reported, and treated as not met). */
  insufficient?: "samples" | "baseline";
  evidence: string[];
  /** Window figures and a one-line summary, built only when a transition needs them (the hot path skips them). */
  detail(): { figures: Record<string, number>; summary: string };
}

const fmt = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(2);

/**
 * Top contributors: items pushing in the alert's direction (−1 bearish, +1 bullish), ranked by |score|×confidence.
 * Direction 0 (or nothing pushing that way) ranks all items.
 */
export function topContributors(items: Contribution[], direction: -1 | 0 | 1, limit: number): string[] {
  const strength = (c: Contribution) => Math.abs(c.score) * c.confidence;
  let pool = direction === 0 ? items : items.filter((c) => Math.sign(c.score) === direction && c.confidence > 0);
  if (pool.length === 0) pool = items;
  return [...pool]
    .sort((a, b) => strength(b) - strength(a) || (a.itemId < b.itemId ? -1 : 1))
    .slice(0, limit)
    .map((c) => c.itemId);
}

export function evaluateRule(cr: CompiledRule, f: WindowFigures, b: Baseline): Verdict {
  const r = cr.rule;
  const span = formatDuration(cr.spec.sizeMs);
  const no = (insufficient: "samples" | "baseline", summary: string): Verdict => ({
    met: false,
    insufficient,
    evidence: [],
    detail: () => ({ figures: figuresRecord(f), summary }),
  });
  const verdict = (met: boolean, evidence: () => string[], extra: () => Record<string, number>, summary: () => string): Verdict => ({
    met,
    evidence: met ? evidence() : [],
    detail: () => ({ figures: { ...figuresRecord(f), ...extra() }, summary: summary() }),
  });

  switch (r.type) {
    case "sentiment_level": {
      if (f.count < r.min_samples) return no("samples", `${f.count} items < min_samples ${r.min_samples}`);
      const value = r.metric === "mean" ? f.mean : f.weightedMean;
      const met = r.op === "below" ? value < r.threshold : value > r.threshold;
      return verdict(
        met,
        () => topContributors(f.items, r.op === "below" ? -1 : 1, r.evidence_limit),
        () => ({ value: round(value), threshold: r.threshold }),
        () => `${metricName(r.metric)} ${fmt(value)} over ${span} (${f.count} items) is ${met ? "" : "not "}${r.op} ${fmt(r.threshold)}`,
      );
    }
    case "sentiment_shift": {
      if (f.count < r.min_samples) return no("samples", `${f.count} items < min_samples ${r.min_samples}`);
      const base = b[r.metric];
      if (base.n < r.baseline_min_windows) return no("baseline", `baseline has ${base.n} of ${r.baseline_min_windows} windows`);
      const value = r.metric === "mean" ? f.mean : f.weightedMean;
      const std = Math.max(ewmaStd(base), r.min_std);
      const dir = r.direction === "down" ? -1 : 1;
      const shift = (value - base.mean) * dir;
      const sigmas = shift / std;
      const met = sigmas >= r.std_devs && shift >= r.min_shift;
      const baseMean = base.mean;
      return verdict(
        met,
        () => topContributors(f.items, dir, r.evidence_limit),
        () => ({ value: round(value), baseline_mean: round(baseMean), baseline_std: round(std), shift_std_devs: round(sigmas, 2) }),
        () =>
          `${metricName(r.metric)} ${fmt(value)} over ${span} (${f.count} items) is ${Math.abs(sigmas).toFixed(1)}σ ${value < baseMean ? "below" : "above"} its baseline ${fmt(baseMean)}`,
      );
    }
    case "negative_volume_spike": {
      if (f.count < r.min_samples) return no("samples", `${f.count} items < min_samples ${r.min_samples}`);
      const base = b.bearish;
      if (base.n < r.baseline_min_windows) return no("baseline", `baseline has ${base.n} of ${r.baseline_min_windows} windows`);
      const std = Math.max(ewmaStd(base), r.min_std);
      const z = (f.bearish - base.mean) / std;
      const met = z >= r.z_score && f.bearish >= r.min_bearish;
      const baseMean = base.mean;
      return verdict(
        met,
        () =>
          topContributors(
            f.items.filter((c) => c.bearish),
            -1,
            r.evidence_limit,
          ),
        () => ({ baseline_bearish_mean: round(baseMean), baseline_bearish_std: round(std), z: round(z, 2) }),
        () => `${f.bearish} bearish mentions in ${span} vs baseline ${baseMean.toFixed(1)}±${std.toFixed(1)} (z=${z.toFixed(1)})`,
      );
    }
    case "watched_topics": {
      if (f.count < r.min_samples) return no("samples", `${f.count} items < min_samples ${r.min_samples}`);
      const matched = f.items.filter((c) => (r.topics as string[]).includes(c.topic) && c.topicConfidence >= r.min_topic_confidence);
      const m = computeFigures(matched, f.start, f.end);
      let met = matched.length >= r.min_count;
      let direction: -1 | 0 | 1 = 0;
      const cond = r.sentiment;
      const value = cond ? (cond.metric === "mean" ? m.mean : m.weightedMean) : 0;
      if (cond) {
        met &&= cond.op === "below" ? value < cond.threshold : value > cond.threshold;
        direction = cond.op === "below" ? -1 : 1;
      }
      return verdict(
        met,
        () => topContributors(matched, direction, r.evidence_limit),
        () => ({ matched: matched.length, matched_mean: round(m.mean), matched_weighted_mean: round(m.weightedMean) }),
        () =>
          `${matched.length} item(s) on ${r.topics.join(", ")} in ${span}` +
          (cond ? `, ${metricName(cond.metric)} ${fmt(value)} (${cond.op} ${fmt(cond.threshold)}: ${met ? "yes" : "no"})` : ""),
      );
    }
    case "drift": {
      if (f.count < r.min_samples) return no("samples", `${f.count} items < min_samples ${r.min_samples}`);
      const ref = cr.reference ?? { distribution: null, confidence: null };
      const bd = b.drift?.[r.task];
      const windows = bd?.confidence.n ?? 0;
      // The EWMA baseline must be warm only for the comparisons that use it (a fixed reference needs no warm-up).
      const needsBaseline =
        (r.threshold !== undefined && !ref.distribution) || (r.confidence_drop !== undefined && ref.confidence === null);
      if (needsBaseline && windows < r.baseline_min_windows)
        return no("baseline", `baseline has ${windows} of ${r.baseline_min_windows} windows`);
      const stats = driftOf(f)[r.task];
      const labels = TASK_LABELS[r.task];
      const cur = normalize(stats.counts);
      const base = ref.distribution ?? (bd && windows > 0 ? baselineShares(b.drift!, r.task) : null);
      const baseConf = ref.confidence ?? (bd && windows > 0 ? bd.confidence.mean : null);
      const divergence = base ? (r.measure === "js" ? jsDistance(cur, base) : psi(cur, base)) : null;
      const drop = baseConf === null ? null : baseConf - stats.meanConfidence;
      const divMet = r.threshold !== undefined && divergence !== null && divergence >= r.threshold;
      const confMet = r.confidence_drop !== undefined && drop !== null && drop >= r.confidence_drop;
      const measure = r.measure === "js" ? "JS distance" : "PSI";
      return verdict(
        divMet || confMet,
        () => driftEvidence(f, r.task, divMet && base ? cur.map((x, i) => x - base[i]!) : null, r.evidence_limit),
        () => {
          const out: Record<string, number> = { mean_confidence: round(stats.meanConfidence), baseline_windows: windows };
          if (divergence !== null) out.divergence = round(divergence);
          if (r.threshold !== undefined) out.divergence_threshold = r.threshold;
          if (baseConf !== null) out.baseline_mean_confidence = round(baseConf);
          if (drop !== null) out.confidence_drop = round(drop);
          if (r.confidence_drop !== undefined) out.confidence_drop_threshold = r.confidence_drop;
          labels.forEach((l, i) => {
            if (cur[i]! > 0 || (base?.[i] ?? 0) > 0) {
              out[`share:${l}`] = round(cur[i]!);
              if (base) out[`baseline_share:${l}`] = round(base[i]!);
            }
          });
          return out;
        },
        () => {
          const parts: string[] = [];
          if (divergence !== null && base) {
            // The class that grew most (the one the evidence comes from), as the reader's first clue.
            let top = 0;
            cur.forEach((x, i) => x - base[i]! > cur[top]! - base[top]! && (top = i));
            parts.push(
              `${measure} ${divergence.toFixed(2)} from ${ref.distribution ? "reference" : "baseline"}${r.threshold !== undefined ? ` (threshold ${r.threshold})` : ""}, ${labels[top]} ${pctText(cur[top]!)} vs ${pctText(base[top]!)}`,
            );
          }
          if (drop !== null && baseConf !== null)
            parts.push(
              `mean confidence ${stats.meanConfidence.toFixed(2)} vs ${baseConf.toFixed(2)}${r.confidence_drop !== undefined ? ` (drop limit ${r.confidence_drop})` : ""}`,
            );
          return `${r.task} predictions over ${span} (${f.count} items): ${parts.join("; ") || "no baseline yet"}`;
        },
      );
    }
  }
}

const pctText = (x: number) => `${(x * 100).toFixed(0)}%`;

/**
 * Items to look at first: the least confident predictions of the class whose share grew most (a distribution
 * shift), or the least confident predictions overall (a confidence drop).
 */
function driftEvidence(f: WindowFigures, task: DriftTask, shift: number[] | null, limit: number): string[] {
  let pool = f.items;
  if (shift) {
    let up = 0;
    shift.forEach((d, i) => d > shift[up]! && (up = i));
    const label = TASK_LABELS[task][up];
    const grown = f.items.filter((c) => classOf(task, c) === label);
    if (grown.length) pool = grown;
  }
  return [...pool]
    .sort((a, b) => confidenceOf(task, a) - confidenceOf(task, b) || (a.itemId < b.itemId ? -1 : 1))
    .slice(0, limit)
    .map((c) => c.itemId);
}

const metricName = (m: "mean" | "weighted_mean") => (m === "mean" ? "mean sentiment" : "confidence-weighted sentiment");
