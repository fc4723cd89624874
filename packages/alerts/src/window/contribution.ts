import type { ScoredItem, SentimentLabel } from "@finsentry/schemas";

/**
 * Pseudo-entity for the model's whole output stream (every scored item, with or without entities). Only drift rules
 * watch it, and drift rules watch nothing else.
 */
export const MODEL_STREAM_KEY = "MODEL:output";

/** What one item adds to one entity's windows. An item mentioning an entity twice still counts once. */
export interface Contribution {
  itemId: string;
  entityKey: string;
  /** Event time (item.published_at), ms since epoch. */
  t: number;
  score: number;
  confidence: number;
  bearish: boolean;
  /** Sentiment label; absent on rows counted before it was kept (only drift rules read it). */
  label?: SentimentLabel;
  topic: string;
  topicConfidence: number;
}

/** What one scored item adds to the windows of `entityKey` (its fields, read once for every key). */
function contributionOf(s: ScoredItem, entityKey: string): Contribution {
  return {
    itemId: s.item.id,
    entityKey,
    t: Date.parse(s.item.published_at),
    score: s.output.sentiment.score,
    confidence: s.output.sentiment.confidence,
    bearish: s.output.sentiment.label === "bearish",
    label: s.output.sentiment.label,
    topic: s.output.topic.label,
    topicConfidence: s.output.topic.confidence,
  };
}

export function contributionsOf(s: ScoredItem): Contribution[] {
  return [...new Set(s.mentions.map((m) => m.key))].map((entityKey) => contributionOf(s, entityKey));
}

/** What one item adds to the model-stream windows (drift rules). */
export function modelStreamContribution(s: ScoredItem): Contribution {
  return contributionOf(s, MODEL_STREAM_KEY);
}

/** Total order for contributions: event time, then item id, so equal inputs give equal windows in any arrival order. */
export function compareContribution(a: Contribution, b: Contribution): number {
  return a.t - b.t || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0);
}
