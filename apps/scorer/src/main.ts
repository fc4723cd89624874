import { onShutdown, serveMetrics } from "@finsentry/core";
import { TOPICS } from "@finsentry/schemas";
import { startLagReporter, createRuntime, loadTextScorer, startScorer } from "@finsentry/pipeline";

// items.raw → model → Postgres → items.scored. Scale out by running more processes: they share the consumer group.
const rt = await createRuntime("scorer");
const model = await loadTextScorer(rt.log, rt.config.MODEL_DIR);
const scorer = await startScorer({ bus: rt.bus, db: rt.db, log: rt.log, model, batchSize: rt.config.SCORER_BATCH_SIZE });
const lag = startLagReporter(rt.bus, rt.log, [{ group: "scorer", topic: TOPICS.raw }]);
const metrics = rt.config.METRICS_PORT ? await serveMetrics(rt.config.METRICS_PORT) : null;
onShutdown(rt.log, async () => {
  metrics?.close();
  lag.stop();
  await scorer.stop();
  await rt.close();
});
