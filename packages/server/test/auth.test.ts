import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { apiRoutePlugins, buildServer, createApiKey, createUser, type BuiltServer, type Role } from "../src/index.ts";

const log = createLogger("test", "silent");

describe("auth on every route", () => {
  let db: DbHandle;
  let server: BuiltServer;
  const keys = {} as Record<Role, string>;

  beforeAll(async () => {
    db = await openDb("memory://");
    const bus = new MemoryBus();
    server = await buildServer({
      db,
      log,
      plugins: apiRoutePlugins({ db, bus, log }),
    });
    await server.app.ready();
    for (const role of ["viewer", "analyst", "admin"] as const)
      keys[role] = (await createApiKey(db.db, { name: role, role, createdBy: "test" })).key;
    await createUser(db.db, { name: "ana", role: "analyst", password: "correct horse battery" });
  });
  afterAll(async () => {
    await server.close();
    await db.close();
  });

  const call = (method: string, url: string, key?: string) =>
    server.app.inject({
      method: method as "GET",
      url: url.replace(/:(\w+)/g, "x$1"),
      headers: key ? { authorization: `Bearer ${key}` } : {},
      payload: method === "GET" ? undefined : {},
    });

  it("refuses unauthenticated and under-privileged callers on every /api route", async () => {
    const apiRoutes = server.routes.filter((r) => r.url.startsWith("/api/") && !r.public && r.method !== "HEAD");
    expect(apiRoutes.length).toBeGreaterThan(8);
    for (const r of apiRoutes) {
      expect((await call(r.method, r.url)).statusCode, `${r.method} ${r.url} without credentials`).toBe(401);
      const need = r.minRole ?? "admin";
      const below = need === "admin" ? (["viewer", "analyst"] as const) : need === "analyst" ? (["viewer"] as const) : [];
      for (const role of below) expect((await call(r.method, r.url, keys[role])).statusCode, `${r.method} ${r.url} as ${role}`).toBe(403);
      // The role it needs gets past auth (whatever the handler then answers).
      expect([401, 403]).not.toContain((await call(r.method, r.url, keys[need])).statusCode);
    }
    // Every mutation needs at least analyst.
    for (const r of apiRoutes.filter((x) => x.method !== "GET" && x.url !== "/api/v1/auth/logout"))
      expect(r.minRole ?? "admin", `${r.method} ${r.url}`).not.toBe("viewer");
  });

  it("keeps health and metrics open", async () => {
    expect((await call("GET", "/healthz")).statusCode).toBe(200);
    expect((await call("GET", "/metrics")).statusCode).toBe(200);
    expect((await call("GET", "/api/v1/openapi.json")).statusCode).toBe(200);
    expect(server.routes.filter((r) => r.public).map((r) => r.url)).toEqual(
      expect.arrayContaining(["/healthz", "/metrics", "/api/v1/auth/login", "/api/v1/openapi.json"]),
    );
  });

  it("signs in with a password into an httpOnly session cookie and signs out", async () => {
    const bad = await server.app.inject({ method: "POST", url: "/api/v1/auth/login", payload: { username: "ana", password: "wrong" } });
    expect(bad.statusCode).toBe(401);
    const ok = await server.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { username: "ana", password: "correct horse battery" },
    });
    expect(ok.statusCode).toBe(200);
    const setCookie = String(ok.headers["set-cookie"]);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const cookie = setCookie.split(";")[0]!;
    const me = await server.app.inject({ method: "GET", url: "/api/v1/auth/me", headers: { cookie } });
    expect(me.json()).toEqual({ user: { name: "ana", role: "analyst", via: "session" } });
    await server.app.inject({ method: "POST", url: "/api/v1/auth/logout", headers: { cookie, origin: "http://localhost:80" } });
    expect((await server.app.inject({ method: "GET", url: "/api/v1/auth/me", headers: { cookie } })).statusCode).toBe(401);
  });

  it("revokes API keys; stores only hashes", async () => {
    const created = await server.app.inject({
      method: "POST",
      url: "/api/v1/keys",
      headers: { authorization: `Bearer ${keys.admin}` },
      payload: { name: "ci", role: "viewer" },
    });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json();
    const stored = JSON.stringify((await db.exec("select * from api_keys")).rows);
    // The secret is everything after the prefix (base64url, so it may itself contain "_").
    expect(stored).not.toContain(key.split("_").slice(2).join("_"));
    expect((await call("GET", "/api/v1/items", key)).statusCode).toBe(200);
    expect(
      (await server.app.inject({ method: "DELETE", url: `/api/v1/keys/${id}`, headers: { authorization: `Bearer ${keys.admin}` } }))
        .statusCode,
    ).toBe(204);
    expect((await call("GET", "/api/v1/items", key)).statusCode).toBe(401);
  });
});
