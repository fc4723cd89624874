import { onShutdown, serveMetrics } from "@finsentry/core";
import { createRuntime } from "@finsentry/pipeline";
import { startNotifier } from "@finsentry/webhooks";

// alerts + model.events → durable outbox → signed webhook deliveries with retries. Run several: rows are claimed
// with SKIP LOCKED, so each delivery goes out once per attempt.
const rt = await createRuntime("notifier");
const notifier = await startNotifier({ bus: rt.bus, db: rt.db, log: rt.log });
const metrics = rt.config.METRICS_PORT ? await serveMetrics(rt.config.METRICS_PORT) : null;
onShutdown(rt.log, async () => {
  metrics?.close();
  await notifier.stop();
  await rt.close();
});
