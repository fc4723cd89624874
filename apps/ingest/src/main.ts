import { onShutdown } from "@finsentry/core";
import { createRuntime, IngestWriter, StreamRegistry, StreamSupervisor } from "@finsentry/pipeline";

// news, social and user-registered Kafka streams → validation → items.raw (or the dead-letter topic).
const rt = await createRuntime("ingest");
const supervisor = new StreamSupervisor({ bus: rt.bus, log: rt.log, writer: new IngestWriter(rt.bus), registry: new StreamRegistry(rt.db.db) });
await supervisor.start();
onShutdown(rt.log, async () => {
  await supervisor.stop();
  await rt.close();
});
