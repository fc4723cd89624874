/** Per-entity sentiment as the entity-level datasets spell it. */
export type EntityPolarity = "positive" | "negative" | "neutral";

/**
 * Headline sentiment from per-entity sentiment (SEntFiN, FinEntity). Rule:
 *  - neutral entities do not vote: they are mostly the source or a bystander ("…, says Moody's");
 *  - only positive → bullish, only negative → bearish, nothing polar → neutral;
 *  - positive AND negative: the strict majority wins, a tie returns undefined (headline left without sentiment,
 *    its entities are still used) — "A beats B" pairs are common and have no single headline polarity.
 */
export function headlineSentiment(labels: Iterable<EntityPolarity>): "bearish" | "neutral" | "bullish" | undefined {
  let pos = 0;
  let neg = 0;
  for (const l of labels) {
    if (l === "positive") pos++;
    else if (l === "negative") neg++;
  }
  if (pos === 0 && neg === 0) return "neutral";
  if (pos > neg) return "bullish";
  if (neg > pos) return "bearish";
  return undefined;
}
