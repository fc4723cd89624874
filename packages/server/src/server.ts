import Fastify, { type FastifyContextConfig, type FastifyInstance, type FastifyPluginAsync } from "fastify";
import { Server as SocketServer } from "socket.io";
import { registry, type Logger } from "@finsentry/core";
import type { DbHandle } from "@finsentry/db";
import { authenticate } from "./auth.ts";
import { openApiDocument, undocumentedRoutes, type DocumentedRoute, type RouteDoc } from "./openapi.ts";
import { installProblemHandling } from "./problems.ts";
import { authRoutes, installAuth, type AuthSettings } from "./routes-auth.ts";

declare module "fastify" {
  interface FastifyContextConfig extends RouteDoc {
    /** Least role a caller needs for this route; enforced by the auth hook (neither this nor `public`: admin). */
    minRole?: "viewer" | "analyst" | "admin";
    /** Reachable without credentials; the auth hook reads this from the matched route, never from the URL. */
    public?: boolean;
  }
}

export interface ServerDeps {
  db: DbHandle;
  log: Logger;
  /** Route plugins of the services this process exposes (streams, items, alerts, webhooks…). */
  plugins: FastifyPluginAsync[];
  /** Overrides of the rate limits and allowed origins read from the environment (tests, embedding). */
  auth?: Partial<AuthSettings>;
}

/** A route as registered: its role, whether it is public, and what it documents about itself. */
export type RouteInfo = DocumentedRoute;

export interface BuiltServer {
  app: FastifyInstance;
  /** Every route with the role it demands and its docs: the auth and OpenAPI tests walk this table. */
  routes: RouteInfo[];
  io: SocketServer;
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting, lets requests in flight finish for up to `graceMs` (default 10 s), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

export async function buildServer(deps: ServerDeps): Promise<BuiltServer> {
  // Request lines at debug: the access log is the metrics endpoint's job.
  const app = Fastify({
    loggerInstance: deps.log.child({ component: "http" }, { level: process.env.HTTP_LOG_LEVEL ?? "warn" }),
    bodyLimit: 1024 * 1024,
    // `/api/v1/x/` and `//api/v1/x` reach the route `/api/v1/x` (and so its auth), rather than the dashboard's pages.
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
  }) as unknown as FastifyInstance;
  // NDJSON bodies arrive as text and are split per line by the handler.
  app.addContentTypeParser(
    ["application/x-ndjson", "application/ndjson", "application/jsonl", "text/plain"],
    { parseAs: "string" },
    (_req, body, done) => done(null, body),
  );
  // Depth-limited JSON, NUL/surrogate-free input, and RFC 9457 problems for every error (5xx without details).
  installProblemHandling(app);
  const routes: RouteInfo[] = [];
  app.addHook("onRoute", (r) => {
    const { minRole, summary, description, body, query, params, bulk, public: isPublic } = (r.config ?? {}) as FastifyContextConfig;
    const doc: RouteDoc = { summary, description, body, query, params, bulk };
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, minRole, public: isPublic === true, doc });
  });
  // The document is built from the route table, so it is complete only once every plugin has registered.
  let openapi: string | null = null;
  app.addHook("onReady", async () => {
    const missing = undocumentedRoutes(routes);
    if (missing.length) app.log.warn({ routes: missing }, "API routes without OpenAPI docs");
  });
  await installAuth(app, { db: deps.db.db, ...(deps.auth ? { settings: deps.auth } : {}) });
  await app.register(async (a) => authRoutes(a, { db: deps.db.db, secureCookies: process.env.SECURE_COOKIES === "true" }));
  app.get("/healthz", { config: { public: true } }, async () => {
    await deps.db.exec("select 1");
    return { ok: true };
  });
  app.get("/metrics", { config: { public: true } }, async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.get("/api/v1/openapi.json", { config: { public: true, summary: "This API's OpenAPI 3.1 document" } }, async (_req, reply) => {
    openapi ??= JSON.stringify(openApiDocument(routes, { title: "finsentry API", version: "1" }));
    return reply.type("application/json; charset=utf-8").send(openapi);
  });
  for (const p of deps.plugins) await app.register(p);
  const io = new SocketServer(app.server, { path: "/socket.io", serveClient: false });
  // Sockets need the same credentials as the API: a session cookie or an API key in the handshake.
  io.use((socket, next) => {
    const h = socket.handshake;
    const key = typeof h.auth?.token === "string" ? h.auth.token : undefined;
    authenticate(deps.db.db, { cookie: h.headers.cookie, authorization: key ? `Bearer ${key}` : h.headers.authorization }).then(
      (p) => {
        if (!p) return next(new Error("unauthenticated"));
        socket.data.principal = p;
        next();
      },
      (err: Error) => next(err),
    );
  });
  return {
    app,
    routes,
    io,
    async listen(port, host) {
      return app.listen({ port, host });
    },
    async close(graceMs = 10_000) {
      io.close();
      // Node ends the connections that are idle when close() starts, once; one that is mid-request then stays open
      // after its response for the keep-alive timeout (72 s in fastify), holding close() and the process's shutdown.
      // So: sweep idle connections until closed, and cut whatever is still busy after the grace period.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      const cut = setTimeout(() => {
        deps.log.warn({ graceMs }, "requests still running after the shutdown grace period: closing their connections");
        app.server.closeAllConnections();
      }, graceMs);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
        clearTimeout(cut);
      }
    },
  };
}
