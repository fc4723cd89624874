import { counter, gauge, histogram } from "@finsentry/core";
import type { ScoredItem } from "@finsentry/schemas";

/** Per-stage pipeline metrics, served in Prometheus text format at /metrics. */
export const m = {
  ingested: counter("finsentry_ingest_messages_total", "Messages read by ingest, by stream and outcome", ["stream", "outcome"]),
  deadLetters: counter("finsentry_deadletter_total", "Rejected inputs, by stream and reason", ["stream", "reason"]),
  scored: counter("finsentry_scorer_items_total", "Items scored, by outcome (new, duplicate)", ["outcome"]),
  scoreBatchSeconds: histogram(
    "finsentry_scorer_batch_seconds",
    "Scorer wall time by phase: model (one pass of SCORER_BATCH_SIZE items), db and publish (one write)",
    ["phase"],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ),
  ingestBatchSeconds: histogram("finsentry_ingest_batch_seconds", "Ingest batch wall time", [], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]),
  lag: gauge("finsentry_consumer_lag", "Messages behind the end of each partition, by group and topic", ["group", "topic"]),
  tierItems: counter(
    "finsentry_scorer_tier_items_total",
    "Newly scored items by the tier that answered (fast, accurate; single when one model serves alone)",
    ["tier"],
  ),
  modelVersion: gauge("finsentry_scorer_model_info", "Model version the scorer runs (value 1)", ["version"]),
  predictions: counter(
    "finsentry_scorer_predictions_total",
    "Predictions on newly scored items, by task (sentiment, topic, entity), model version and class (entity: span type)",
    ["task", "model_version", "label"],
  ),
  confidence: histogram(
    "finsentry_scorer_prediction_confidence",
    "Confidence of predictions on newly scored items, by task and model version (entity: per span)",
    ["task", "model_version"],
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
  ),
};

/** Class counts and confidences of what the model predicted, for drift dashboards and alerts outside finsentry. */
export function recordPredictions(scored: ScoredItem[]): void {
  for (const s of scored) {
    const v = s.model_version;
    const { sentiment, topic, entities } = s.output;
    m.tierItems.inc({ tier: s.output.tier ?? "single" });
    m.predictions.inc({ task: "sentiment", model_version: v, label: sentiment.label });
    m.confidence.observe({ task: "sentiment", model_version: v }, sentiment.confidence);
    m.predictions.inc({ task: "topic", model_version: v, label: topic.label });
    m.confidence.observe({ task: "topic", model_version: v }, topic.confidence);
    for (const e of entities) {
      m.predictions.inc({ task: "entity", model_version: v, label: e.type });
      if (e.confidence !== undefined) m.confidence.observe({ task: "entity", model_version: v }, e.confidence);
    }
  }
}
