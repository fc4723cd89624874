import { onShutdown } from "@finsentry/core";
import { createRuntime } from "@finsentry/pipeline";
import { fileURLToPath } from "node:url";
import { apiRoutePlugins, buildServer, ensureAdmin, mountDashboard, startLiveGateway } from "@finsentry/server";

// REST + socket.io gateway. Stateless: run several behind a load balancer.
const rt = await createRuntime("api");
// Rule edits reach the alerter process through its rules poll; new streams start at the ingest service's next poll.
const server = await buildServer({ db: rt.db, log: rt.log, plugins: apiRoutePlugins({ db: rt.db, bus: rt.bus, log: rt.log }) });
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
