import type { EntitySpan, SentimentLabel, TopicLabel } from "@finsentry/schemas";

const RANK: Record<string, number> = { viewer: 1, analyst: 2, admin: 3 };

export interface LabelRow {
  sentiment: string | null;
  topic: string | null;
  entities: { start: number; end: number; type: string }[] | null;
  role: string;
  createdAt: string;
}

export interface EffectiveLabel {
  sentiment?: SentimentLabel;
  topic?: TopicLabel;
  entities?: EntitySpan[];
}

/**
 * Conflict rule, per task: the label from the highest role wins; among equal roles the latest wins.
 * So an analyst's correction is not undone by a later viewer, and an analyst can revise their own label.
 */
export function resolveLabels(rows: LabelRow[]): EffectiveLabel {
  const ordered = [...rows].sort((a, b) => (RANK[b.role] ?? 0) - (RANK[a.role] ?? 0) || b.createdAt.localeCompare(a.createdAt));
  const out: EffectiveLabel = {};
  for (const r of ordered) {
    if (out.sentiment === undefined && r.sentiment) out.sentiment = r.sentiment as SentimentLabel;
    if (out.topic === undefined && r.topic) out.topic = r.topic as TopicLabel;
    if (out.entities === undefined && r.entities) out.entities = r.entities as EntitySpan[];
  }
  return out;
}
