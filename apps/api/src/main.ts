import { onShutdown } from "@finsentry/core";
import { createRuntime, IngestWriter, StreamRegistry } from "@finsentry/pipeline";
import { alertRoutes } from "@finsentry/alerts";
import { driftRoutes, learningRoutes, ModelRegistry, RunStore } from "@finsentry/learning";
import { labelRoutes, startLabelConsumer } from "@finsentry/labels";
import { webhookRoutes } from "@finsentry/webhooks";
import { fileURLToPath } from "node:url";
import { buildServer, ensureAdmin, mountDashboard, entityRoutes, itemRoutes, startLiveGateway, streamRoutes } from "@finsentry/server";

// REST + socket.io gateway. Stateless: run several behind a load balancer.
const rt = await createRuntime("api");
const registry = new StreamRegistry(rt.db.db);
const server = await buildServer({
  db: rt.db,
  log: rt.log,
  plugins: [
    async (app) => streamRoutes(app, { registry, writer: new IngestWriter(rt.bus) }),
    async (app) => itemRoutes(app, { db: rt.db.db }),
    async (app) => entityRoutes(app, { db: rt.db }),
    async (app) => labelRoutes(app, { db: rt.db.db, bus: rt.bus }),
    async (app) => webhookRoutes(app, { db: rt.db.db, log: rt.log }),
    async (app) => learningRoutes(app, { registry: new ModelRegistry(rt.db.db), runs: new RunStore(rt.db.db), bus: rt.bus }),
    async (app) => driftRoutes(app, { db: rt.db }),
    // Rule edits reach the alerter process through its rules poll.
    async (app) => void (await app.register(alertRoutes, { db: rt.db.db, bus: rt.bus })),
  ],
});
await ensureAdmin(rt.db.db, rt.log);
// The dashboard is a path, not an import: the built Next app is served for every non-API path.
const dashboard = await mountDashboard(server.app, fileURLToPath(new URL("../../dashboard", import.meta.url)), rt.log);
const live = await startLiveGateway({ io: server.io, bus: rt.bus, db: rt.db, log: rt.log });
const url = await server.listen(rt.config.PORT, rt.config.HOST);
rt.log.info({ url }, "api listening");
onShutdown(rt.log, async () => {
  await live.stop();
  await server.close();
  await dashboard?.close();
  await rt.close();
});
