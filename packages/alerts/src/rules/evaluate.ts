import type { Contribution } from "../window/contribution.ts";
import { formatDuration } from "../window/duration.ts";
import { ewmaStd, type Baseline } from "../window/ewma.ts";
import { computeFigures, figuresRecord, round, type WindowFigures } from "../window/figures.ts";
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
  const no = (insufficient: "samples" | "baseline", summary: string): Verdict => ({ met: false, insufficient, evidence: [], detail: () => ({ figures: figuresRecord(f), summary }) });
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
        () => `${metricName(r.metric)} ${fmt(value)} over ${span} (${f.count} items) is ${Math.abs(sigmas).toFixed(1)}σ ${value < baseMean ? "below" : "above"} its baseline ${fmt(baseMean)}`,
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
        () => topContributors(f.items.filter((c) => c.bearish), -1, r.evidence_limit),
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
  }
}

const metricName = (m: "mean" | "weighted_mean") => (m === "mean" ? "mean sentiment" : "confidence-weighted sentiment");
