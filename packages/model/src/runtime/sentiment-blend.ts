import { SENTIMENT_LABELS, type ModelOutput } from "@finsentry/schemas";
import { softmax } from "../accurate/decode.ts";
import { sentimentOutput } from "../sentiment-output.ts";

/**
 * Probabilities under this floor count as it when blended: outputs carry four decimals, so a printed 0 means "< 0.00005"
 * and must not veto a class on its own.
 */
const FLOOR = 1e-4;

/** Throws, naming `what`, unless `w` is a weight in [0, 1] (NaN included). */
export function assertBlendWeight(w: number, what: string): void {
  if (!(w >= 0 && w <= 1)) throw new Error(`${what} must be in [0, 1], got ${w}`);
}

/**
 * The sentiment of an item both tiers read: a weighted geometric mean of their class probabilities, renormalised
 * (log-linear pooling), `fastWeight` on the fast tier's. The two models err differently (a 12-layer pretrained
 * encoder and a small student trained on other views of the data), so the product corrects some of the accurate
 * tier's mistakes: at 0.5, gold tweets +1.0 / +1.2 points of accuracy (dev / test), headlines −0.1 / 0, news
 * paragraphs +0.9 / 0 (docs/accurate-tier.md). 0 returns the accurate tier's own sentiment.
 */
export function blendSentiment(
  fast: ModelOutput["sentiment"],
  accurate: ModelOutput["sentiment"],
  fastWeight: number,
): ModelOutput["sentiment"] {
  assertBlendWeight(fastWeight, "sentiment blend weight");
  if (fastWeight === 0) return accurate;
  const logp = SENTIMENT_LABELS.map(
    (l) => fastWeight * Math.log(Math.max(FLOOR, fast.probs[l])) + (1 - fastWeight) * Math.log(Math.max(FLOOR, accurate.probs[l])),
  );
  return sentimentOutput(softmax(logp, 0, logp.length));
}
