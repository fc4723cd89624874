import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import rateLimit from "@fastify/rate-limit";
import { and, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { parseEnv, problem, sendProblem } from "@finsentry/core";
import { apiKeys, type Db } from "@finsentry/db";
import {
  authenticate,
  createApiKey,
  createUser,
  hasRole,
  login,
  logout,
  readCookie,
  ROLES,
  SESSION_COOKIE,
  type Principal,
  type Role,
} from "./auth.ts";
import { LoginThrottle } from "./login-throttle.ts";
import { AllowedOrigins, callerOrigin, isOwnOrigin, SAFE_METHODS } from "./origin-check.ts";
import { validationFailed } from "./problems.ts";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** How a route says who may call it: `public: true`, or the least role (a route that says neither needs admin). */
export interface RouteAccess {
  public?: boolean;
  minRole?: Role;
}

const AuthEnv = z.object({
  /** Mutations (POST/PUT/PATCH/DELETE) per caller per minute. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Reads (GET) per caller per minute. */
  READ_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
  /** Full-text item searches (`GET /api/v1/items?q=`) per caller per minute: each one scans text. */
  SEARCH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(60),
  ALLOWED_ORIGINS: AllowedOrigins,
});
export type AuthSettings = z.infer<typeof AuthEnv>;

export function loadAuthSettings(env: Record<string, string | undefined> = process.env): AuthSettings {
  return parseEnv(AuthEnv, env, "auth configuration");
}

const accessOf = (req: FastifyRequest): RouteAccess => (req.routeOptions.config ?? {}) as RouteAccess;

const LOGIN_URL = "/api/v1/auth/login";

/**
 * Authorisation is decided from the route the router matched — its own `config` — never from the raw URL: the
 * router decodes percent-escapes (`/%61pi/v1/users` is `/api/v1/users`), so any prefix test on `req.url` can be
 * walked around. Default deny: a matched route that is not marked public needs its `minRole`, or admin. Requests
 * that match no route reach only the not-found handler (dashboard pages or a 404) and carry no principal.
 * Cookie-authenticated mutations must come from this origin (CSRF); every caller is rate-limited per minute, with
 * separate budgets for mutations, reads and text searches.
 */
export async function installAuth(app: FastifyInstance, deps: { db: Db; settings?: Partial<AuthSettings> }) {
  const settings = { ...loadAuthSettings(), ...deps.settings };
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (req, reply) => {
    if (req.is404) return;
    const access = accessOf(req);
    const origin = callerOrigin(req);
    // Signing in from a foreign page would sign the victim into the attacker's account (login CSRF).
    if (req.routeOptions.url === LOGIN_URL && origin && !isOwnOrigin(req, origin, settings.ALLOWED_ORIGINS)) return forbiddenOrigin(reply);
    if (access.public === true) return;
    req.principal = await authenticate(deps.db, req.headers as Record<string, string>);
    const need: Role = access.minRole ?? "admin";
    if (!req.principal)
      return sendProblem(reply, problem(401, "unauthenticated", "sign in or send an API key (Authorization: Bearer fsk_…)"));
    if (!hasRole(req.principal.role, need))
      return sendProblem(reply, problem(403, "forbidden", `needs role ${need}, you have ${req.principal.role}`));
    // A browser attaches the cookie to requests any site makes; only API keys are exempt, since no page can send one.
    if (req.principal.via === "session" && !SAFE_METHODS.has(req.method) && !(origin && isOwnOrigin(req, origin, settings.ALLOWED_ORIGINS)))
      return forbiddenOrigin(reply);
  });
  await app.register(rateLimit, {
    global: true,
    hook: "preHandler", // after auth, so the limit is per caller, not per IP
    keyGenerator: (req: FastifyRequest) => `${budgetOf(req)}:${req.principal?.name ?? req.ip}`,
    max: (_req: FastifyRequest, key: string) =>
      key.startsWith("search:")
        ? settings.SEARCH_RATE_LIMIT_PER_MINUTE
        : key.startsWith("read:")
          ? settings.READ_RATE_LIMIT_PER_MINUTE
          : settings.RATE_LIMIT_PER_MINUTE,
    timeWindow: "1 minute",
    // Public routes (health, metrics, the API document) stay open; sign-in has its own per-account throttle, so a
    // flood of bad sign-ins from one address cannot use up the budget of a real user behind the same address.
    allowList: (req: FastifyRequest) => req.method === "OPTIONS" || req.is404 || accessOf(req).public === true,
  });
}

function budgetOf(req: FastifyRequest): "write" | "read" | "search" {
  if (!SAFE_METHODS.has(req.method)) return "write";
  return req.routeOptions.url === "/api/v1/items" && (req.query as { q?: unknown } | undefined)?.q !== undefined ? "search" : "read";
}

function forbiddenOrigin(reply: FastifyReply) {
  return sendProblem(
    reply,
    problem(403, "forbidden_origin", "cross-site request refused: send it from the dashboard's own origin, or use an API key"),
  );
}

const Login = z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(500) }).strict();
const NewKey = z
  .object({
    name: z.string().min(1).max(100),
    role: z.enum(ROLES),
    /** Keys expire: 90 days unless asked otherwise, 10 years at most. */
    expires_in_days: z.number().int().min(1).max(3650).default(90),
  })
  .strict();
const NewUser = z
  .object({ name: z.string().regex(/^[a-z0-9._-]{2,64}$/), role: z.enum(ROLES), password: z.string().min(12).max(500) })
  .strict();

export async function authRoutes(app: FastifyInstance, deps: { db: Db; secureCookies?: boolean; throttle?: LoginThrottle }) {
  const { db } = deps;
  const throttle = deps.throttle ?? new LoginThrottle();
  app.post(
    LOGIN_URL,
    { config: { public: true, summary: "Sign in: sets the session cookie (throttled per account and address)", body: Login } },
    async (req, reply) => {
      const p = Login.safeParse(req.body);
      if (!p.success) return validationFailed(reply, p.error);
      const account = p.data.username.toLowerCase();
      const wait = throttle.waitMs(req.ip, account);
      // Refused before the password is checked, so waiting out the backoff is the only way to try again.
      if (wait > 0) {
        reply.header("retry-after", String(Math.ceil(wait / 1000)));
        return sendProblem(reply, problem(429, "too_many_attempts", "too many failed sign-ins: wait before trying again"));
      }
      const s = await login(db, p.data.username, p.data.password);
      if (!s) {
        throttle.failed(req.ip, account);
        return sendProblem(reply, problem(401, "invalid_credentials", "wrong user name or password"));
      }
      throttle.succeeded(req.ip, account);
      const cookie = `${SESSION_COOKIE}=${s.token}; Path=/; HttpOnly; SameSite=Lax; Expires=${s.expiresAt.toUTCString()}${deps.secureCookies ? "; Secure" : ""}`;
      return reply.header("set-cookie", cookie).send({ user: { name: s.principal.name, role: s.principal.role } });
    },
  );
  app.post(
    "/api/v1/auth/logout",
    { config: { minRole: "viewer", summary: "Sign out: ends the session", body: null } },
    async (req, reply) => {
      const token = readCookie(req.headers.cookie, SESSION_COOKIE);
      if (token) await logout(db, token);
      return reply.header("set-cookie", `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`).send({ ok: true });
    },
  );
  app.get("/api/v1/auth/me", { config: { minRole: "viewer", summary: "Who the caller is" } }, async (req) => ({
    user: { name: req.principal!.name, role: req.principal!.role, via: req.principal!.via },
  }));

  app.get("/api/v1/keys", { config: { minRole: "admin", summary: "List API keys (never the secrets)" } }, async () => ({
    keys: await db
      .select({
        id: apiKeys.id,
        prefix: apiKeys.prefix,
        name: apiKeys.name,
        role: apiKeys.role,
        createdBy: apiKeys.createdBy,
        createdAt: apiKeys.createdAt,
        expiresAt: apiKeys.expiresAt,
        lastUsedAt: apiKeys.lastUsedAt,
        revokedAt: apiKeys.revokedAt,
      })
      .from(apiKeys)
      .orderBy(apiKeys.createdAt),
  }));
  app.post(
    "/api/v1/keys",
    { config: { minRole: "admin", summary: "Create an API key (shown once)", body: NewKey } },
    async (req, reply) => {
      const p = NewKey.safeParse(req.body);
      if (!p.success) return validationFailed(reply, p.error);
      const k = await createApiKey(db, {
        name: p.data.name,
        role: p.data.role,
        expiresInDays: p.data.expires_in_days,
        createdBy: req.principal!.name,
      });
      return reply.code(201).send({ ...k, note: "the key is shown once; store it now" });
    },
  );
  app.delete("/api/v1/keys/:id", { config: { minRole: "admin", summary: "Revoke an API key" } }, async (req, reply) => {
    const id = String((req.params as { id: string }).id);
    const r = await db
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    return r.length ? reply.code(204).send() : sendProblem(reply, problem(404, "not_found", "no such API key, or it is already revoked"));
  });
  app.post("/api/v1/users", { config: { minRole: "admin", summary: "Create a user", body: NewUser } }, async (req, reply) => {
    const p = NewUser.safeParse(req.body);
    if (!p.success) return validationFailed(reply, p.error);
    if (!(await createUser(db, p.data))) return sendProblem(reply, problem(409, "conflict", "user exists"));
    return reply.code(201).send({ user: { name: p.data.name, role: p.data.role } });
  });
}
