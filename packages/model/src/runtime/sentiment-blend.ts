import { SENTIMENT_LABELS, type ModelOutput } from "@finsentry/schemas";
import { toOutputDigits } from "../output-digits.ts";

/**
 * Probabilities under this floor count as it when blended: outputs carry four decimals, so a printed 0 means "< 0.00005"
 * and must not veto a class on its own.
 */
const FLOOR = 1e-4;

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
  if (!(fastWeight >= 0 && fastWeight <= 1)) throw new Error(`sentiment blend weight must be in [0, 1], got ${fastWeight}`);
  if (fastWeight === 0) return accurate;
  const logp = SENTIMENT_LABELS.map(
    (l) => fastWeight * Math.log(Math.max(FLOOR, fast.probs[l])) + (1 - fastWeight) * Math.log(Math.max(FLOOR, accurate.probs[l])),
  );
  const top = Math.max(...logp);
  const e = logp.map((x) => Math.exp(x - top));
  const sum = e.reduce((a, b) => a + b, 0);
  const [bear, neu, bull] = e.map((x) => x / sum) as [number, number, number];
  const p = [bear, neu, bull];
  const s = p.indexOf(Math.max(...p));
  return {
    label: SENTIMENT_LABELS[s]!,
    score: toOutputDigits(Math.min(1, Math.max(-1, bull - bear))),
    confidence: toOutputDigits(p[s]!),
    probs: { bearish: toOutputDigits(bear), neutral: toOutputDigits(neu), bullish: toOutputDigits(bull) },
  };
}
