import { counter, gauge, histogram } from "@finsentry/core";

/** Alert engine metrics, served by the API at /metrics. */
export const m = {
  items: counter(
    "finsentry_alerter_items_total",
    "Scored items seen by the alerter, by outcome (counted, duplicate, invalid, no_entities)",
    ["outcome"],
  ),
  late: counter("finsentry_alerter_late_items_total", "Items behind the watermark (late) or too far ahead of the clock (future)", [
    "reason",
  ]),
  evaluations: counter("finsentry_alerter_rule_evaluations_total", "Rule × entity window evaluations"),
  events: counter("finsentry_alerter_events_total", "Alert lifecycle events written, by type", ["type"]),
  published: counter("finsentry_alerter_events_published_total", "Alert events published on the alerts topic"),
  batchSeconds: histogram(
    "finsentry_alerter_batch_seconds",
    "Alerter batch wall time",
    [],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  ),
  watermark: gauge("finsentry_alerter_watermark_seconds", "Event-time watermark (unix seconds)"),
  rules: gauge("finsentry_alerter_rules", "Enabled rules loaded by the alerter"),
  reloadErrors: counter("finsentry_alerter_rule_reload_errors_total", "Stored rules that failed validation on reload"),
  leader: gauge("finsentry_alerter_leader", "1 while this alerter process holds the lease and evaluates rules, 0 while it stands by"),
  leaseEpoch: gauge("finsentry_alerter_lease_epoch", "Epoch of the lease this process last held (each takeover increments it)"),
  leadership: counter(
    "finsentry_alerter_leadership_changes_total",
    "Leadership gained or lost by this process, by event (acquired, lost, released)",
    ["event"],
  ),
  retentionDeleted: counter("finsentry_retention_deleted_rows_total", "Rows removed by the retention job, by table", ["table"]),
  retentionRuns: counter("finsentry_retention_runs_total", "Retention job runs, by outcome (ok, error)", ["outcome"]),
  retentionLastRun: gauge("finsentry_retention_last_run_seconds", "When the retention job last completed (unix seconds)"),
};
