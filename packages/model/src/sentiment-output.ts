import { SENTIMENT_LABELS, type ModelOutput } from "@finsentry/schemas";
import { toOutputDigits } from "./output-digits.ts";

/**
 * Bearish / neutral / bullish probabilities → an output's sentiment, the same for every tier and for the cascade's
 * pooled answer: the label is the first most probable class, score = p(bullish) − p(bearish) ∈ [-1, 1], confidence =
 * the label's probability.
 */
export function sentimentOutput(p: ArrayLike<number>): ModelOutput["sentiment"] {
  const [bear, neu, bull] = [p[0]!, p[1]!, p[2]!];
  let s = 0;
  for (let i = 1; i < SENTIMENT_LABELS.length; i++) if (p[i]! > p[s]!) s = i;
  return {
    label: SENTIMENT_LABELS[s]!,
    score: toOutputDigits(Math.min(1, Math.max(-1, bull - bear))),
    confidence: toOutputDigits(Math.min(1, Math.max(0, p[s]!))),
    probs: { bearish: toOutputDigits(bear), neutral: toOutputDigits(neu), bullish: toOutputDigits(bull) },
  };
}
