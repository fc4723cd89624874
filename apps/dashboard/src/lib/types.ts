import { ENTITY_TYPES as ENTITY_TYPE_LIST, SENTIMENT_LABELS, TOPIC_LABELS } from "@finsentry/schemas/constants";
import type { AlertEvent, AlertState, EntityType, ModelOutput, SentimentLabel, Severity, TopicLabel } from "@finsentry/schemas";

export type { AlertEvent, AlertState, EntityType, ModelOutput, SentimentLabel, Severity, TopicLabel };

/** The shared constants (zod-free module, so the client bundle stays small). */
export const TOPICS = TOPIC_LABELS;
export const SENTIMENTS = SENTIMENT_LABELS;
export const ENTITY_TYPES = ENTITY_TYPE_LIST;
export const SEVERITIES = ["critical", "warning", "info"] as const satisfies readonly Severity[];

export interface Item {
  id: string;
  source: string;
  stream?: string;
  published_at: string;
  text: string;
  url?: string | null;
  model_version?: string | null;
  output: ModelOutput | null;
}

export interface Alert {
  id: string;
  rule_id: string;
  rule_name: string;
  rule_type?: string;
  entity_key: string;
  severity: Severity;
  state: AlertState;
  title: string;
  summary: string;
  figures: Record<string, number>;
  evidence_item_ids: string[];
  fired_at: string;
  updated_at: string;
  acknowledged_at?: string | null;
  acknowledged_by?: string | null;
  resolved_at: string | null;
  resolved_by?: string | null;
  resolve_reason?: string | null;
}

export interface AlertDetail {
  alert: Alert;
  events: { id: string; seq?: number; type: string; state?: string; actor?: string | null; note?: string | null; at: string }[];
  evidence: {
    items: {
      id: string;
      published_at: string;
      source: string;
      url: string | null;
      text: string;
      sentiment: SentimentLabel | null;
      score: number | null;
      confidence: number | null;
      topic: string | null;
    }[];
    missing: string[];
  };
}

export interface SeriesPoint {
  t: string;
  count: number;
  mean_sentiment: number | null;
  weighted_sentiment?: number | null;
  bearish: number;
}

export interface Mover {
  key: string;
  /** Registry name of a canonical key (`E:<id>`); null for legacy keys. */
  entity_name?: string | null;
  mentions: number;
  mean_sentiment: number;
  baseline_sentiment: number | null;
  delta: number;
}

export interface User {
  name: string;
  role: "viewer" | "analyst" | "admin";
  via?: string;
}

export type PathOrConst = string | { const: string };
export interface StreamSpec {
  id: string;
  kind: "kafka" | "http";
  topic?: string;
  enabled: boolean;
  mapping: Record<string, PathOrConst | undefined> & { published_at_format?: string };
}
