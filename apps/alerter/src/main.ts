import { onShutdown, serveMetrics } from "@finsentry/core";
import { startAlerter } from "@finsentry/alerts";
import { createRuntime } from "@finsentry/pipeline";

// items.scored → per-entity event-time windows → rules → alerts (Postgres + `alerts` topic). State is checkpointed
// in Postgres, so a restart neither loses nor re-fires alerts.
const rt = await createRuntime("alerter");
// One alerter per database: it owns the per-entity windows.
const alerter = await startAlerter({ bus: rt.bus, db: rt.db, log: rt.log, rulesFile: process.env.ALERT_RULES_FILE, options: { expectedPartitions: rt.config.TOPIC_PARTITIONS } });
const metrics = rt.config.METRICS_PORT ? await serveMetrics(rt.config.METRICS_PORT) : null;
onShutdown(rt.log, async () => {
  metrics?.close();
  await alerter.stop();
  await rt.close();
});
