import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onShutdown, orExit } from "@finsentry/core";
import {
  alertRetentionTasks,
  DEMO_RULES_FILE,
  loadRetentionConfig,
  loadRulesFile,
  seedRules,
  startAlerter,
  startRetention,
} from "@finsentry/alerts";
import { startLabelConsumer } from "@finsentry/labels";
import {
  defaultModelStore,
  ensureChampion,
  followChampion,
  ModelRegistry,
  trainerOptionsFromEnv,
  RunStore,
  startTrainer,
} from "@finsentry/learning";
import { DEMO_ENTITIES } from "@finsentry/entities";
import { loadScorer } from "@finsentry/model";
import {
  BUNDLED_MODEL_DIR,
  createRuntime,
  IngestWriter,
  loadIngestConfig,
  loadModelTiers,
  loadTextScorer,
  startDemoSource,
  startLagReporter,
  startScorer,
  followRegistry,
  StreamRegistry,
  StreamSupervisor,
} from "@finsentry/pipeline";
import { TOPICS } from "@finsentry/schemas";
import { apiRoutePlugins, buildServer, ensureAdmin, mountDashboard, startLiveGateway } from "@finsentry/server";
import { startNotifier, webhookRetentionTasks } from "@finsentry/webhooks";

// Every service in one process on embedded defaults (in-memory bus, PGlite, bundled model, demo stream).
// Set KAFKA_BROKERS / DATABASE_URL to run the same wiring on real Kafka and Postgres.
const rt = await createRuntime("finsentry");
const { bus, db, log, config } = rt;

// source → score
const streams = new StreamRegistry(db.db);
// HTTP pushes are answered once stored (in-memory bus: after the scorer's commit) and refused while it is far behind.
const ingestConfig = loadIngestConfig();
const writer = new IngestWriter(bus, { maxLag: ingestConfig.INGEST_MAX_LAG, ackTimeoutMs: ingestConfig.INGEST_ACK_TIMEOUT_MS });
const supervisor = new StreamSupervisor({ bus, log, writer, registry: streams });
await supervisor.start();
const store = defaultModelStore(log);
const models = new ModelRegistry(db.db);
// The registry's champion serves (the bundled model on first run); MODEL_DIR pins a directory instead.
const champion =
  !config.MODEL_DIR && existsSync(join(BUNDLED_MODEL_DIR, "manifest.json"))
    ? await ensureChampion({ registry: models, store, log }, BUNDLED_MODEL_DIR)
    : null;
const championRow = champion ? await models.get(champion) : null;
const tiers = await orExit("finsentry", log, loadModelTiers(log));
const fast = await orExit(
  "finsentry",
  log,
  championRow ? store.localDir(championRow.uri).then(loadScorer) : loadTextScorer(log, config.MODEL_DIR, config.SCORER_FALLBACK),
);
// With the demo on, its fictional companies are registered, so "$NWM", "#NWM" and "Northwind Motors" are one entity.
const demoOn = process.env.DEMO !== "off";
const registry = await orExit("finsentry", log, followRegistry(db.db, log, demoOn ? { seed: DEMO_ENTITIES } : {}));
const scorer = await startScorer({
  bus,
  db,
  log,
  model: tiers.serve(fast),
  batchSize: config.SCORER_BATCH_SIZE,
  resolver: registry.current,
});
// A promoted champion replaces the fast tier; the accurate tier stays loaded.
const follow = await followChampion(
  { bus, db: db.db, store, log },
  (next) => scorer.swapModel(tiers.serve(next)),
  () => scorer.modelVersion,
);

// → alert → deliver
// With the demo on (the default), the demo rules are seeded beside the default ones and the engine allows 10 s of
// lateness instead of 2 min: the demo's items are dated "now" by this process, and the demo's warning is promised
// within two minutes of start (README, "What you'll see"). DEMO=off keeps production timing and rules only.
const alerter = await startAlerter({
  bus,
  db,
  log,
  options: { expectedPartitions: config.TOPIC_PARTITIONS, ...(demoOn ? { latenessMs: 10_000 } : {}) },
});
if (demoOn) {
  const added = await seedRules(db.db, await loadRulesFile(DEMO_RULES_FILE));
  if (added) log.info({ file: DEMO_RULES_FILE, added }, "demo alert rules seeded");
  await alerter.engine.reloadRules();
}
// One process, so it is the only alerter: it runs the retention job itself (the alerter app's leader does it there).
const retention = loadRetentionConfig();
const stopRetention = startRetention({
  db: db.db,
  log,
  intervalMinutes: retention.RETENTION_INTERVAL_MINUTES,
  tasks: [
    ...alertRetentionTasks(retention),
    ...webhookRetentionTasks({
      deliveriesDays: retention.RETENTION_WEBHOOK_DELIVERIES_DAYS,
      attemptsDays: retention.RETENTION_WEBHOOK_ATTEMPTS_DAYS,
      deadDays: retention.RETENTION_DEAD_LETTERS_DAYS,
    }),
  ],
});
const notifier = await startNotifier({ bus, db, log });

// learn
const labelConsumer = await startLabelConsumer({ bus, db: db.db, log });
const runs = new RunStore(db.db);
const server = await buildServer({
  db,
  log,
  // The alert engine is local here, so rule edits apply at once; a new stream starts at once too.
  plugins: apiRoutePlugins({ db, bus, log, streams: { registry: streams, writer, supervisor }, alertEngine: alerter.engine, models, runs }),
});
const trainer = championRow
  ? await startTrainer(
      // Progress goes out on `training.progress` (the in-memory bus here); the live gateway relays it to socket.io.
      { db: db.db, bus, log, store, registry: models, runs },
      await trainerOptionsFromEnv(),
    )
  : null;

const demo = demoOn
  ? startDemoSource({
      bus,
      log,
      ratePerSec: Number(process.env.DEMO_RATE ?? 4),
      maxLag: ingestConfig.INGEST_MAX_LAG,
      storyPeriodMs: process.env.DEMO_STORY_PERIOD_S ? Number(process.env.DEMO_STORY_PERIOD_S) * 1000 : undefined,
    })
  : null;
await ensureAdmin(db.db, log);
// The dashboard is a path, not an import: the built Next app is served for every non-API path.
const dashboard = await mountDashboard(server.app, fileURLToPath(new URL("../../dashboard", import.meta.url)), log);
const live = await startLiveGateway({ io: server.io, bus, db, log });
const url = await server.listen(config.PORT, config.HOST);
log.info({ url }, "finsentry is up");
console.log(`\n  finsentry is running — dashboard and API on ${url.replace("127.0.0.1", "localhost")}  (metrics: ${url}/metrics)\n`);
const lag = startLagReporter(bus, log, [
  { group: "scorer", topic: TOPICS.raw },
  { group: "ingest-news", topic: TOPICS.news },
  { group: "ingest-social", topic: TOPICS.social },
]);

onShutdown(log, async () => {
  lag.stop();
  demo?.stop();
  await supervisor.stop();
  await follow.stop();
  await scorer.stop();
  registry.stop();
  await tiers.close();
  await trainer?.stop();
  await labelConsumer.stop();
  await stopRetention();
  await alerter.stop();
  await notifier.stop();
  await live.stop();
  await server.close();
  await dashboard?.close();
  await rt.close();
});
