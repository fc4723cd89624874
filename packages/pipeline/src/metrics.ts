import { counter, gauge, histogram } from "@finsentry/core";

/** Per-stage pipeline metrics, served in Prometheus text format at /metrics. */
export const m = {
  ingested: counter("finsentry_ingest_messages_total", "Messages read by ingest, by stream and outcome", ["stream", "outcome"]),
  deadLetters: counter("finsentry_deadletter_total", "Rejected inputs, by stream and reason", ["stream", "reason"]),
  scored: counter("finsentry_scorer_items_total", "Items scored, by outcome (new, duplicate)", ["outcome"]),
  scoreBatchSeconds: histogram("finsentry_scorer_batch_seconds", "Scorer batch wall time by phase", ["phase"], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
  ingestBatchSeconds: histogram("finsentry_ingest_batch_seconds", "Ingest batch wall time", [], [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]),
  lag: gauge("finsentry_consumer_lag", "Messages behind the end of each partition, by group and topic", ["group", "topic"]),
  modelVersion: gauge("finsentry_scorer_model_info", "Model version the scorer runs (value 1)", ["version"]),
};
