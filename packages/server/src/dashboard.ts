import { existsSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance, FastifyReply } from "fastify";
import { problem, sendProblem, type Logger } from "@finsentry/core";

/** Whether a path is under /api however it is spelled (escapes, repeated slashes, case): unknown API paths get a 404. */
function isApiPath(url: string): boolean {
  let path = url.split("?")[0]!;
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape is not a page either way; judged as written.
  }
  return /^\/+api(\/|$)/i.test(path);
}

const notFound = (reply: FastifyReply) => sendProblem(reply, problem(404, "not_found", "no such route"));

/**
 * Serves the built Next.js dashboard from this process for every path the API does not own, so one origin carries
 * pages, REST and socket.io (the session cookie works everywhere). Returns null when the dashboard is not built.
 */
export async function mountDashboard(app: FastifyInstance, dir: string, log: Logger): Promise<{ close(): Promise<void> } | null> {
  if (!existsSync(join(dir, ".next", "BUILD_ID"))) {
    log.warn({ dir }, "dashboard is not built (run `npm run build`): serving the API only");
    app.setNotFoundHandler(async (_req, reply) => notFound(reply));
    return null;
  }
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  const { default: next } = await import("next");
  const dashboard = next({ dev: false, dir, quiet: true });
  await dashboard.prepare();
  const handle = dashboard.getRequestHandler();
  app.setNotFoundHandler(async (req, reply) => {
    if (isApiPath(req.url)) return notFound(reply);
    reply.hijack();
    await handle(req.raw, reply.raw);
  });
  return { close: () => dashboard.close() };
}
