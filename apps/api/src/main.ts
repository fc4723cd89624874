import { onShutdown } from "@finsentry/core";
import { createRuntime, IngestWriter, StreamRegistry } from "@finsentry/pipeline";
import { buildServer, itemRoutes, streamRoutes } from "@finsentry/server";

// REST + socket.io gateway. Stateless: run several behind a load balancer.
const rt = await createRuntime("api");
const registry = new StreamRegistry(rt.db.db);
const server = await buildServer({
  db: rt.db,
  log: rt.log,
  plugins: [
    async (app) => streamRoutes(app, { registry, writer: new IngestWriter(rt.bus) }),
    async (app) => itemRoutes(app, { db: rt.db.db }),
  ],
});
const url = await server.listen(rt.config.PORT, rt.config.HOST);
rt.log.info({ url }, "api listening");
onShutdown(rt.log, async () => {
  await server.close();
  await rt.close();
});
