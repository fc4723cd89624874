import { onShutdown } from "@finsentry/core";
import { TOPICS } from "@finsentry/schemas";
import { startLagReporter,
  createRuntime, IngestWriter, loadTextScorer, startDemoSource, startScorer, StreamRegistry, StreamSupervisor,
} from "@finsentry/pipeline";
import { alertRoutes, startAlerter } from "@finsentry/alerts";
import { labelRoutes, startLabelConsumer } from "@finsentry/labels";
import { startNotifier, webhookRoutes } from "@finsentry/webhooks";
import { fileURLToPath } from "node:url";
import { buildServer, ensureAdmin, mountDashboard, entityRoutes, itemRoutes, startLiveGateway, streamRoutes } from "@finsentry/server";

// Every service in one process on embedded defaults (in-memory bus, PGlite, bundled model, demo stream).
// Set KAFKA_BROKERS / DATABASE_URL to run the same wiring on real Kafka and Postgres.
const rt = await createRuntime("finsentry");
const registry = new StreamRegistry(rt.db.db);
const writer = new IngestWriter(rt.bus);
const supervisor = new StreamSupervisor({ bus: rt.bus, log: rt.log, writer, registry });
await supervisor.start();
const model = await loadTextScorer(rt.log, rt.config.MODEL_DIR);
const scorer = await startScorer({ bus: rt.bus, db: rt.db, log: rt.log, model, batchSize: rt.config.SCORER_BATCH_SIZE });
const alerter = await startAlerter({ bus: rt.bus, db: rt.db, log: rt.log, options: { expectedPartitions: rt.config.TOPIC_PARTITIONS } });
const notifier = await startNotifier({ bus: rt.bus, db: rt.db, log: rt.log });
const labelConsumer = await startLabelConsumer({ bus: rt.bus, db: rt.db.db, log: rt.log });
const server = await buildServer({
  db: rt.db,
  log: rt.log,
  plugins: [
    async (app) => streamRoutes(app, { registry, writer, supervisor }),
    async (app) => itemRoutes(app, { db: rt.db.db }),
    async (app) => entityRoutes(app, { db: rt.db }),
    async (app) => labelRoutes(app, { db: rt.db.db, bus: rt.bus }),
    async (app) => webhookRoutes(app, { db: rt.db.db, log: rt.log }),
    // Registered as a plugin (it sets its own error handler); the engine is local here, so rule edits apply at once.
    async (app) => void (await app.register(alertRoutes, { db: rt.db.db, bus: rt.bus, engine: alerter.engine })),
  ],
});
const demo = process.env.DEMO === "off" ? null : startDemoSource({ bus: rt.bus, log: rt.log, ratePerSec: Number(process.env.DEMO_RATE ?? 4) });
await ensureAdmin(rt.db.db, rt.log);
// The dashboard is a path, not an import: the built Next app is served for every non-API path.
const dashboard = await mountDashboard(server.app, fileURLToPath(new URL("../../dashboard", import.meta.url)), rt.log);
const live = await startLiveGateway({ io: server.io, bus: rt.bus, db: rt.db, log: rt.log });
const url = await server.listen(rt.config.PORT, rt.config.HOST);
rt.log.info({ url }, "finsentry is up");
console.log(`\n  finsentry is running — dashboard and API on ${url.replace("127.0.0.1", "localhost")}  (metrics: ${url}/metrics)\n`);
const lag = startLagReporter(rt.bus, rt.log, [{ group: "scorer", topic: TOPICS.raw }, { group: "ingest-news", topic: TOPICS.news }, { group: "ingest-social", topic: TOPICS.social }]);
onShutdown(rt.log, async () => {
  lag.stop();
  demo?.stop();
  await supervisor.stop();
  await scorer.stop();
  await labelConsumer.stop();
  await notifier.stop();
  await alerter.stop();
  await live.stop();
  await server.close();
  await dashboard?.close();
  await rt.close();
});
