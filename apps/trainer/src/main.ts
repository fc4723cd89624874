import { onShutdown, serveMetrics } from "@finsentry/core";
import { defaultModelStore, ensureChampion, ModelRegistry, RunStore, startTrainer, trainerOptionsFromEnv } from "@finsentry/learning";
import { BUNDLED_MODEL_DIR, createRuntime } from "@finsentry/pipeline";
import { startLabelConsumer } from "@finsentry/labels";

// labels (API, dashboard, `labels` topic) → fine-tune the champion → gate → register → promote → model.events.
const rt = await createRuntime("trainer");
const store = defaultModelStore(rt.log);
const registry = new ModelRegistry(rt.db.db);
await ensureChampion({ registry, store, log: rt.log }, BUNDLED_MODEL_DIR);
// Validated before anything starts: a mistyped number stops the trainer with the variable's name.
const options = await trainerOptionsFromEnv();
if (options.golden.length === 0) rt.log.warn("GOLDEN_SET is not set: the gate judges challengers on recent labels only");
const labels = await startLabelConsumer({ bus: rt.bus, db: rt.db.db, log: rt.log });
const trainer = await startTrainer({ db: rt.db.db, bus: rt.bus, log: rt.log, store, registry, runs: new RunStore(rt.db.db) }, options);
const metrics = rt.config.METRICS_PORT ? await serveMetrics(rt.config.METRICS_PORT) : null;
onShutdown(rt.log, async () => {
  metrics?.close();
  await trainer.stop();
  await labels.stop();
  await rt.close();
});
