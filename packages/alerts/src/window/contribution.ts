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

export function contributionsOf(s: ScoredItem): Contribution[] {
  const t = Date.parse(s.item.published_at);
  const keys = [...new Set(s.mentions.map((m) => m.key))];
  return keys.map((entityKey) => ({
    itemId: s.item.id,
    entityKey,
    t,
    score: s.output.sentiment.score,
    confidence: s.output.sentiment.confidence,
    bearish: s.output.sentiment.label === "bearish",
    label: s.output.sentiment.label,
    topic: s.output.topic.label,
    topicConfidence: s.output.topic.confidence,
  }));
}

/** What one item adds to the model-stream windows (drift rules). */
export function modelStreamContribution(s: ScoredItem): Contribution {
  return {
    itemId: s.item.id,
    entityKey: MODEL_STREAM_KEY,
    t: Date.parse(s.item.published_at),
    score: s.output.sentiment.score,
    confidence: s.output.sentiment.confidence,
    bearish: s.output.sentiment.label === "bearish",
    label: s.output.sentiment.label,
    topic: s.output.topic.label,
    topicConfidence: s.output.topic.confidence,
  };
}

/** Total order for contributions: event time, then item id, so equal inputs give equal windows in any arrival order. */
export function compareContribution(a: Contribution, b: Contribution): number {
  return a.t - b.t || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0);
}
