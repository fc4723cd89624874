import { onShutdown, serveMetrics } from "@finsentry/core";
import { TOPICS } from "@finsentry/schemas";
import { startLagReporter, createRuntime, IngestWriter, loadIngestConfig, StreamRegistry, StreamSupervisor } from "@finsentry/pipeline";

// news, social and user-registered Kafka streams → validation → items.raw (or the dead-letter topic).
const rt = await createRuntime("ingest");
const ingestConfig = loadIngestConfig();
const writer = new IngestWriter(rt.bus, { maxLag: ingestConfig.INGEST_MAX_LAG, ackTimeoutMs: ingestConfig.INGEST_ACK_TIMEOUT_MS });
const supervisor = new StreamSupervisor({ bus: rt.bus, log: rt.log, writer, registry: new StreamRegistry(rt.db.db) });
await supervisor.start();
const lag = startLagReporter(rt.bus, rt.log, [
  { group: "ingest-news", topic: TOPICS.news },
  { group: "ingest-social", topic: TOPICS.social },
]);
const metrics = rt.config.METRICS_PORT ? await serveMetrics(rt.config.METRICS_PORT) : null;
onShutdown(rt.log, async () => {
  metrics?.close();
  lag.stop();
  await supervisor.stop();
  await rt.close();
});
