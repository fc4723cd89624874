import { round } from "@finsentry/core";
import type { Contribution } from "./contribution.ts";
import { driftStats, type DriftStats } from "./drift.ts";

/** Aggregates of one entity's window [start, end). */
export interface WindowFigures {
  start: number;
  end: number;
  count: number;
  /** Mean sentiment score; 0 for an empty window (check count). */
  mean: number;
  /** Σ score·confidence / Σ confidence — confident items weigh more. */
  weightedMean: number;
  bearish: number;
  bearishShare: number;
  /** Item count per topic label. */
  topics: Map<string, number>;
  items: Contribution[];
  /** Per-task class counts and mean confidence; computed on first use (model stream only). */
  drift?: DriftStats;
}

export const driftOf = (f: WindowFigures): DriftStats => (f.drift ??= driftStats(f.items));

export function computeFigures(items: Contribution[], start: number, end: number): WindowFigures {
  let sum = 0;
  let wsum = 0;
  let wtot = 0;
  let bearish = 0;
  const topics = new Map<string, number>();
  for (const c of items) {
    sum += c.score;
    wsum += c.score * c.confidence;
    wtot += c.confidence;
    if (c.bearish) bearish++;
    topics.set(c.topic, (topics.get(c.topic) ?? 0) + 1);
  }
  const n = items.length;
  const mean = n ? sum / n : 0;
  return {
    start,
    end,
    count: n,
    mean,
    weightedMean: wtot > 0 ? wsum / wtot : mean,
    bearish,
    bearishShare: n ? bearish / n : 0,
    topics,
    items,
  };
}

/** The figures as the flat number record alerts carry (`topic:<label>` per topic present). */
export function figuresRecord(f: WindowFigures): Record<string, number> {
  const out: Record<string, number> = {
    window_start_ms: f.start,
    window_end_ms: f.end,
    count: f.count,
    mean: round(f.mean),
    weighted_mean: round(f.weightedMean),
    bearish: f.bearish,
    bearish_share: round(f.bearishShare),
  };
  for (const [topic, n] of [...f.topics].sort(([a], [b]) => (a < b ? -1 : 1))) out[`topic:${topic}`] = n;
  return out;
}
