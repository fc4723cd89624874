import { onShutdown, orExit, serveMetrics } from "@finsentry/core";
import { alertRetentionTasks, loadAlerterHaConfig, loadRetentionConfig, startHaAlerter, startRetention } from "@finsentry/alerts";
import { createRuntime } from "@finsentry/pipeline";
import { webhookRetentionTasks } from "@finsentry/webhooks";

// items.scored → per-entity event-time windows → rules → alerts (Postgres + `alerts` topic). State is checkpointed
// in Postgres, so a restart neither loses nor re-fires alerts. Run several for high availability: they compete for a
// lease in Postgres (packages/alerts/src/ha), exactly one evaluates, and a standby takes over from the checkpoint
// within seconds when the leader dies. The leader also runs the retention job.
//
// Only the leader is in the `alerter` consumer group, and a SIGKILLed member keeps its partitions until its Kafka
// session times out: the alerter's default session timeout is therefore Kafka's minimum (6 s) rather than 15 s,
// so the consumer handover is no slower than the lease's (KAFKA_SESSION_TIMEOUT_MS still overrides it).
const env = { ...process.env, KAFKA_SESSION_TIMEOUT_MS: process.env.KAFKA_SESSION_TIMEOUT_MS ?? "6000" };
const ha = loadAlerterHaConfig(env);
const retention = loadRetentionConfig(env);
const rt = await createRuntime("alerter", env);
const metrics = rt.config.METRICS_PORT ? await serveMetrics(rt.config.METRICS_PORT) : null;
const tasks = [
  ...alertRetentionTasks(retention),
  ...webhookRetentionTasks({
    deliveriesDays: retention.RETENTION_WEBHOOK_DELIVERIES_DAYS,
    attemptsDays: retention.RETENTION_WEBHOOK_ATTEMPTS_DAYS,
    deadDays: retention.RETENTION_DEAD_LETTERS_DAYS,
  }),
];
const alerter = await orExit(
  "alerter",
  rt.log,
  startHaAlerter({
    bus: rt.bus,
    db: rt.db,
    log: rt.log,
    rulesFile: process.env.ALERT_RULES_FILE,
    options: { expectedPartitions: rt.config.TOPIC_PARTITIONS },
    ha: { ttlMs: ha.ALERTER_LEASE_TTL_MS, renewMs: ha.ALERTER_LEASE_RENEW_MS, pollMs: ha.ALERTER_STANDBY_POLL_MS },
    whileLeading: () => startRetention({ db: rt.db.db, log: rt.log, tasks, intervalMinutes: retention.RETENTION_INTERVAL_MINUTES }),
  }),
);
onShutdown(rt.log, async () => {
  metrics?.close();
  await alerter.stop();
  await rt.close();
});
