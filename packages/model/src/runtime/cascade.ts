import type { ModelOutput } from "@finsentry/schemas";
import type { TextScorer } from "../types.ts";

export interface CascadeOptions {
  /**
   * An item whose fast-tier confidence on any task (sentiment, topic, or any entity span it found) is below this
   * goes to the accurate tier. 0 = fast tier only, above 1 = accurate tier for everything.
   */
  threshold: number;
}

/** The lowest confidence the fast tier gave this item on any task: the cascade's escalation signal. */
export function leastConfidence(o: ModelOutput): number {
  let least = Math.min(o.sentiment.confidence, o.topic.confidence);
  for (const e of o.entities) if (e.confidence !== undefined && e.confidence < least) least = e.confidence;
  return least;
}

/**
 * Two tiers behind one TextScorer: the fast model reads every item; the items it is unsure of (least confidence below
 * the threshold) are read again, in one batch, by the accurate model, whose answer replaces the fast one. Every
 * output records the tier that answered, so the stored score, the dashboard and the learner can tell them apart.
 */
export class CascadeScorer implements TextScorer {
  readonly version: string;
  /** Items each tier answered since start (for metrics and the bench's escalation share). */
  readonly answered = { fast: 0, accurate: 0 };

  constructor(
    private fast: TextScorer,
    private accurate: TextScorer,
    private opts: CascadeOptions,
  ) {
    if (!(opts.threshold >= 0)) throw new Error(`cascade threshold must be a number >= 0, got ${opts.threshold}`);
    this.version = `${fast.version}>${accurate.version}@${opts.threshold}`;
  }

  async score(texts: string[]): Promise<ModelOutput[]> {
    const first = await this.fast.score(texts);
    if (first.length !== texts.length) throw new Error(`fast tier returned ${first.length} outputs for ${texts.length} texts`);
    const unsure = first.flatMap((o, i) => (leastConfidence(o) < this.opts.threshold ? [i] : []));
    const out: ModelOutput[] = first.map((o) => ({ ...o, tier: "fast" }));
    if (unsure.length > 0) {
      const second = await this.accurate.score(unsure.map((i) => texts[i]!));
      if (second.length !== unsure.length) throw new Error(`accurate tier returned ${second.length} outputs for ${unsure.length} texts`);
      unsure.forEach((i, k) => (out[i] = { ...second[k]!, tier: "accurate" }));
    }
    this.answered.accurate += unsure.length;
    this.answered.fast += texts.length - unsure.length;
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([this.fast.close(), this.accurate.close()]);
  }
}
