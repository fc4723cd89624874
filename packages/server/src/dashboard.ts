import { existsSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "@finsentry/core";

/**
 * Serves the built Next.js dashboard from this process for every path the API does not own, so one origin carries
 * pages, REST and socket.io (the session cookie works everywhere). Returns null when the dashboard is not built.
 */
export async function mountDashboard(app: FastifyInstance, dir: string, log: Logger): Promise<{ close(): Promise<void> } | null> {
  if (!existsSync(join(dir, ".next", "BUILD_ID"))) {
    log.warn({ dir }, "dashboard is not built (run `npm run build`): serving the API only");
    return null;
  }
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  const { default: next } = await import("next");
  const dashboard = next({ dev: false, dir, quiet: true });
  await dashboard.prepare();
  const handle = dashboard.getRequestHandler();
  app.setNotFoundHandler(async (req, reply) => {
    if (req.url.startsWith("/api/")) return reply.code(404).send({ error: "not_found" });
    reply.hijack();
    await handle(req.raw, reply.raw);
  });
  return { close: () => dashboard.close() };
}
