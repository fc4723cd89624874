import type { FastifyInstance, FastifyRequest } from "fastify";
import rateLimit from "@fastify/rate-limit";
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { apiKeys, type Db } from "@finsentry/db";
import { authenticate, createApiKey, createUser, hasRole, login, logout, readCookie, ROLES, SESSION_COOKIE, type Principal, type Role } from "./auth.ts";
import { validationFailed } from "./problems.ts";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Reachable without credentials: liveness, metrics scraping, and signing in. */
const PUBLIC = new Set(["/healthz", "/metrics", "/api/v1/auth/login", "/api/v1/openapi.json"]);
export const isPublicPath = (path: string) => PUBLIC.has(path);

/**
 * Every /api route is closed unless its config names a role; a route with no `minRole` needs admin, so a route
 * added without thought fails closed. Mutations are rate-limited per caller.
 */
export async function installAuth(app: FastifyInstance, deps: { db: Db; rateLimitPerMinute?: number }) {
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (req, reply) => {
    const path = req.url.split("?")[0]!;
    // Pages and static assets of the dashboard need no principal: skip the session lookup for them.
    if (isPublicPath(path) || !path.startsWith("/api/")) return;
    req.principal = await authenticate(deps.db, req.headers as Record<string, string>);
    const need: Role = (req.routeOptions.config as { minRole?: Role } | undefined)?.minRole ?? "admin";
    if (!req.principal) return reply.code(401).send({ error: "unauthenticated", message: "sign in or send an API key (Authorization: Bearer fsk_…)" });
    if (!hasRole(req.principal.role, need)) return reply.code(403).send({ error: "forbidden", message: `needs role ${need}, you have ${req.principal.role}` });
  });
  await app.register(rateLimit, {
    global: true,
    max: deps.rateLimitPerMinute ?? Number(process.env.RATE_LIMIT_PER_MINUTE ?? 600),
    timeWindow: "1 minute",
    hook: "preHandler", // after auth, so the limit is per caller, not per IP
    keyGenerator: (req: FastifyRequest) => req.principal?.name ?? req.ip,
    allowList: (req: FastifyRequest) => req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS",
  });
}

const Login = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(500) }).strict();
const NewKey = z.object({ name: z.string().min(1).max(100), role: z.enum(ROLES) }).strict();
const NewUser = z.object({ name: z.string().regex(/^[a-z0-9._-]{2,64}$/), role: z.enum(ROLES), password: z.string().min(12).max(500) }).strict();

export async function authRoutes(app: FastifyInstance, deps: { db: Db; secureCookies?: boolean }) {
  const { db } = deps;
  app.post("/api/v1/auth/login", { config: { summary: "Sign in: sets the session cookie", body: Login } }, async (req, reply) => {
    const p = Login.safeParse(req.body);
    if (!p.success) return validationFailed(reply, p.error);
    const s = await login(db, p.data.username, p.data.password);
    if (!s) return reply.code(401).send({ error: "invalid_credentials" });
    const cookie = `${SESSION_COOKIE}=${s.token}; Path=/; HttpOnly; SameSite=Lax; Expires=${s.expiresAt.toUTCString()}${deps.secureCookies ? "; Secure" : ""}`;
    return reply.header("set-cookie", cookie).send({ user: { name: s.principal.name, role: s.principal.role } });
  });
  app.post("/api/v1/auth/logout", { config: { minRole: "viewer", summary: "Sign out: ends the session", body: null } }, async (req, reply) => {
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (token) await logout(db, token);
    return reply.header("set-cookie", `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`).send({ ok: true });
  });
  app.get("/api/v1/auth/me", { config: { minRole: "viewer", summary: "Who the caller is" } }, async (req) => ({ user: { name: req.principal!.name, role: req.principal!.role, via: req.principal!.via } }));

  app.get("/api/v1/keys", { config: { minRole: "admin", summary: "List API keys (never the secrets)" } }, async () => ({
    keys: await db
      .select({ id: apiKeys.id, prefix: apiKeys.prefix, name: apiKeys.name, role: apiKeys.role, createdBy: apiKeys.createdBy, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt, revokedAt: apiKeys.revokedAt })
      .from(apiKeys)
      .orderBy(apiKeys.createdAt),
  }));
  app.post("/api/v1/keys", { config: { minRole: "admin", summary: "Create an API key (shown once)", body: NewKey } }, async (req, reply) => {
    const p = NewKey.safeParse(req.body);
    if (!p.success) return validationFailed(reply, p.error);
    const k = await createApiKey(db, { ...p.data, createdBy: req.principal!.name });
    return reply.code(201).send({ ...k, note: "the key is shown once; store it now" });
  });
  app.delete("/api/v1/keys/:id", { config: { minRole: "admin", summary: "Revoke an API key" } }, async (req, reply) => {
    const id = String((req.params as { id: string }).id);
    const r = await db.update(apiKeys).set({ revokedAt: sql`now()` }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning({ id: apiKeys.id });
    return r.length ? reply.code(204).send() : reply.code(404).send({ error: "not_found" });
  });
  app.post("/api/v1/users", { config: { minRole: "admin", summary: "Create a user", body: NewUser } }, async (req, reply) => {
    const p = NewUser.safeParse(req.body);
    if (!p.success) return validationFailed(reply, p.error);
    if (!(await createUser(db, p.data))) return reply.code(409).send({ error: "conflict", message: "user exists" });
    return reply.code(201).send({ user: { name: p.data.name, role: p.data.role } });
  });
}
