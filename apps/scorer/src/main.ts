import { onShutdown } from "@finsentry/core";
import { createRuntime, loadTextScorer, startScorer } from "@finsentry/pipeline";

// items.raw → model → Postgres → items.scored. Scale out by running more processes: they share the consumer group.
const rt = await createRuntime("scorer");
const model = await loadTextScorer(rt.log, rt.config.MODEL_DIR);
const scorer = await startScorer({ bus: rt.bus, db: rt.db, log: rt.log, model, batchSize: rt.config.SCORER_BATCH_SIZE });
onShutdown(rt.log, async () => {
  await scorer.stop();
  await rt.close();
});
