import type { ModelOutput } from "@finsentry/schemas";
import { NAME_TYPES, sentenceInitial } from "../accurate/decode.ts";
import type { TextScorer } from "../types.ts";
import { assertBlendWeight, blendSentiment } from "./sentiment-blend.ts";

export interface CascadeOptions {
  /**
   * An item whose fast-tier confidence on any task (sentiment, topic, or any entity span it found) is below this
   * goes to the accurate tier. 0 = fast tier only, above 1 = accurate tier for everything.
   */
  threshold: number;
  /**
   * Also escalate an item with a capitalised word (not sentence-initial) that the fast tier did not read as part of a
   * name: the fast model misses most names with high confidence, so its confidence alone cannot catch them
   * (docs/benchmarks.md, "Cascade"). Default true.
   */
  names?: boolean;
  /**
   * An escalated item's sentiment pools both tiers' probabilities (weighted geometric mean, this weight on the fast
   * tier's; `blendSentiment`); 0 keeps the accurate tier's own. Topic and entities are the accurate tier's.
   * Default DEFAULT_SENTIMENT_BLEND.
   */
  sentimentBlend?: number;
  /** Close the accurate tier with the cascade (default true). False when one accurate tier serves successive cascades (hot swaps of the fast tier). */
  closeAccurate?: boolean;
}

/** The fast tier's weight in an escalated item's sentiment, chosen on gold dev sets (docs/accurate-tier.md). */
export const DEFAULT_SENTIMENT_BLEND = 0.5;

/** What the cascade answers for an item the accurate tier read: its output, with the two tiers' sentiment pooled. */
export function escalatedOutput(fast: ModelOutput, accurate: ModelOutput, sentimentBlend = DEFAULT_SENTIMENT_BLEND): ModelOutput {
  return { ...accurate, sentiment: blendSentiment(fast.sentiment, accurate.sentiment, sentimentBlend), tier: "accurate" };
}

/** The lowest confidence the fast tier gave this item on any task: the cascade's escalation signal. */
export function leastConfidence(o: ModelOutput): number {
  let least = Math.min(o.sentiment.confidence, o.topic.confidence);
  for (const e of o.entities) if (e.confidence !== undefined && e.confidence < least) least = e.confidence;
  return least;
}

const CAPITALISED = /(?<![\p{L}\p{N}$#@_])\p{Lu}\p{Ll}+/gu;

/** A capitalised word, not at the start of a sentence, outside every name span of the fast output. */
export function uncoveredName(text: string, o: ModelOutput): boolean {
  for (const m of text.matchAll(CAPITALISED)) {
    const s = m.index;
    const e = s + m[0].length;
    if (sentenceInitial(text, s, ".!?:")) continue; // capitalised anyway
    if (!o.entities.some((x) => NAME_TYPES.has(x.type) && x.start <= s && x.end >= e)) return true;
  }
  return false;
}

/** Whether the cascade hands this item to the accurate tier. */
export function escalates(text: string, o: ModelOutput, opts: Pick<CascadeOptions, "threshold" | "names">): boolean {
  return leastConfidence(o) < opts.threshold || (opts.names !== false && uncoveredName(text, o));
}

/**
 * Two tiers behind one TextScorer: the fast model reads every item; the items it is unsure of (least confidence below
 * the threshold) are read again, in one batch, by the accurate model, whose answer replaces the fast one (its
 * sentiment pooled with the fast tier's, `sentimentBlend`). Every
 * output records the tier that answered, so the stored score, the dashboard and the learner can tell them apart.
 */
export class CascadeScorer implements TextScorer {
  /**
   * The fast tier's version: it is what the registry's champion, the learner and the rollback name, and the stored
   * score's model_version; which tier answered each item is in its output (`tier`), the pair in `describe`.
   */
  readonly version: string;
  readonly describe: string;
  /** Items each tier answered since start (for metrics and the bench's escalation share). */
  readonly answered = { fast: 0, accurate: 0 };

  constructor(
    private fast: TextScorer,
    private accurate: TextScorer,
    private opts: CascadeOptions,
  ) {
    if (!(opts.threshold >= 0)) throw new Error(`cascade threshold must be a number >= 0, got ${opts.threshold}`);
    assertBlendWeight(opts.sentimentBlend ?? DEFAULT_SENTIMENT_BLEND, "cascade sentiment blend");
    this.version = fast.version;
    this.describe = `${fast.version} > ${accurate.version} below ${opts.threshold}`;
  }

  async score(texts: string[]): Promise<ModelOutput[]> {
    const first = await this.fast.score(texts);
    if (first.length !== texts.length) throw new Error(`fast tier returned ${first.length} outputs for ${texts.length} texts`);
    const unsure = first.flatMap((o, i) => (escalates(texts[i]!, o, this.opts) ? [i] : []));
    const out: ModelOutput[] = first.map((o) => ({ ...o, tier: "fast" }));
    if (unsure.length > 0) {
      const second = await this.accurate.score(unsure.map((i) => texts[i]!));
      if (second.length !== unsure.length) throw new Error(`accurate tier returned ${second.length} outputs for ${unsure.length} texts`);
      unsure.forEach((i, k) => (out[i] = escalatedOutput(first[i]!, second[k]!, this.opts.sentimentBlend)));
    }
    this.answered.accurate += unsure.length;
    this.answered.fast += texts.length - unsure.length;
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([this.fast.close(), this.opts.closeAccurate === false ? undefined : this.accurate.close()]);
  }
}
