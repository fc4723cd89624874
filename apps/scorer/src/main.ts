import { onShutdown, orExit, serveMetrics } from "@finsentry/core";
import { championScorer, defaultModelStore, followChampion } from "@finsentry/learning";
import { createRuntime, followRegistry, loadModelTiers, loadTextScorer, startLagReporter, startScorer } from "@finsentry/pipeline";
import { TOPICS } from "@finsentry/schemas";

// items.raw → model → Postgres → items.scored. Scale out by running more processes: they share the consumer group.
// Follows model.events: a promoted model is loaded beside the old one and switched in between batches.
const rt = await createRuntime("scorer");
const store = defaultModelStore(rt.log);
// The fast tier is the registry's champion (hot-swapped); the accurate tier (SCORER_TIERS) is loaded once and stays.
const tiers = await orExit("scorer", rt.log, loadModelTiers(rt.log));
const fast = await orExit(
  "scorer",
  rt.log,
  championScorer({ db: rt.db.db, store, log: rt.log }, () => loadTextScorer(rt.log, rt.config.MODEL_DIR, rt.config.SCORER_FALLBACK)),
);
// Mentions of registered entities get canonical keys; the registry is reloaded when an alias/merge/split changes it.
const registry = await orExit("scorer", rt.log, followRegistry(rt.db.db, rt.log));
const scorer = await startScorer({
  bus: rt.bus,
  db: rt.db,
  log: rt.log,
  model: tiers.serve(fast),
  batchSize: rt.config.SCORER_BATCH_SIZE,
  resolver: registry.current,
});
const follow = await followChampion(
  { bus: rt.bus, db: rt.db.db, store, log: rt.log },
  (next) => scorer.swapModel(tiers.serve(next)),
  () => scorer.modelVersion,
);
const lag = startLagReporter(rt.bus, rt.log, [{ group: "scorer", topic: TOPICS.raw }]);
const metrics = rt.config.METRICS_PORT ? await serveMetrics(rt.config.METRICS_PORT) : null;
onShutdown(rt.log, async () => {
  metrics?.close();
  lag.stop();
  await follow.stop();
  await scorer.stop();
  registry.stop();
  await tiers.close();
  await rt.close();
});
