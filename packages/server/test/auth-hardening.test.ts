import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import type { DbHandle } from "@finsentry/db";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";
import { apiRoutePlugins, buildServer, createApiKey, createUser, LoginThrottle, type BuiltServer } from "../src/index.ts";

const log = createLogger("test", "silent");
const PASSWORD = "correct horse battery";

/** Spellings of one path that a router may take for it: escapes, repeated and trailing slashes, case. */
function spellings(url: string): { kind: "routes" | "case"; path: string }[] {
  const rest = url.slice("/api".length);
  const escapedLetter = (s: string, i: number) => `${s.slice(0, i)}%${s.charCodeAt(i).toString(16)}${s.slice(i + 1)}`;
  return [
    { kind: "routes", path: `/%61pi${rest}` },
    { kind: "routes", path: `/a%70i${rest}` },
    { kind: "routes", path: `/ap%69${rest}` },
    { kind: "routes", path: `/%61%70%69${rest}` },
    { kind: "routes", path: `/%61pi${rest}`.replace("/v1/", "/v%31/") },
    { kind: "routes", path: `/api${escapedLetter(rest, rest.length - 1)}` },
    { kind: "routes", path: `//api${rest}` },
    { kind: "routes", path: `/api/${rest}` },
    { kind: "routes", path: `${url}/` },
    { kind: "case", path: `/API${rest}` },
    { kind: "case", path: `/Api${rest}` },
    { kind: "case", path: `/api${rest.toUpperCase()}` },
    { kind: "case", path: `/%41pi${rest}` },
  ];
}

// On PGlite (the embedded stack) and, when DATABASE_URL is set, on a throw-away Postgres database.
describe.each(dbKinds)("authorisation from the matched route, whatever the spelling of its path (%s)", (kind) => {
  let db: DbHandle;
  let drop: () => Promise<void>;
  let server: BuiltServer;

  beforeAll(async () => {
    ({ db, drop } = await openTestDb(kind));
    server = await buildServer({ db, log, plugins: apiRoutePlugins({ db, bus: new MemoryBus(), log }) });
    await server.app.ready();
  });
  afterAll(async () => {
    await server.close();
    await drop();
  });

  it("creates no admin through an escaped path (the reported exploit)", async () => {
    for (const prefix of ["/%61pi", "/ap%69", "/a%70i"]) {
      const r = await server.app.inject({
        method: "POST",
        url: `${prefix}/v1/users`,
        payload: { name: "evil", role: "admin", password: "evil-password-123" },
      });
      expect(r.statusCode, prefix).toBe(401);
      expect((await server.app.inject({ method: "GET", url: `${prefix}/v1/keys` })).statusCode, prefix).toBe(401);
    }
    expect((await db.exec("select name from users")).rows).toEqual([]);
  });

  it("answers every protected route under every spelling with 401 (or 404 where the router does not match it)", async () => {
    const protectedRoutes = server.routes.filter((r) => !r.public);
    expect(protectedRoutes.length).toBeGreaterThan(20);
    let checked = 0;
    for (const r of protectedRoutes) {
      const url = r.url.replace(/:(\w+)/g, "x$1");
      if (!url.startsWith("/api/")) throw new Error(`a protected route outside /api: ${r.method} ${r.url}`);
      for (const { kind, path } of spellings(url)) {
        const res = await server.app.inject({
          method: r.method as "GET",
          url: path,
          payload: ["GET", "HEAD"].includes(r.method) ? undefined : {},
        });
        const what = `${r.method} ${path} without credentials`;
        if (kind === "routes") expect(res.statusCode, what).toBe(401);
        else expect([401, 404], what).toContain(res.statusCode);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it("lists exactly the intended public routes", () => {
    const open = server.routes
      .filter((r) => r.public)
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(open).toEqual([
      "GET /api/v1/openapi.json",
      "GET /healthz",
      "GET /metrics",
      "HEAD /api/v1/openapi.json",
      "HEAD /healthz",
      "HEAD /metrics",
      "POST /api/v1/auth/login",
    ]);
  });
});

describe.each(dbKinds)("cookie sessions: CSRF, sign-in throttling, rate limits, key expiry (%s)", (kind) => {
  let db: DbHandle;
  let drop: () => Promise<void>;
  let server: BuiltServer;
  let admin: string;
  const origin = "http://localhost:80";

  const signIn = (username: string, password: string, remoteAddress = "10.0.0.1", headers: Record<string, string> = {}) =>
    server.app.inject({ method: "POST", url: "/api/v1/auth/login", payload: { username, password }, remoteAddress, headers });

  beforeAll(async () => {
    ({ db, drop } = await openTestDb(kind));
    server = await buildServer({
      db,
      log,
      plugins: apiRoutePlugins({ db, bus: new MemoryBus(), log }),
      auth: { READ_RATE_LIMIT_PER_MINUTE: 40, SEARCH_RATE_LIMIT_PER_MINUTE: 3, ALLOWED_ORIGINS: ["https://finsentry.example.com"] },
    });
    await server.app.ready();
    await createUser(db.db, { name: "ana", role: "admin", password: PASSWORD });
    await createUser(db.db, { name: "bob", role: "admin", password: PASSWORD });
    admin = (await createApiKey(db.db, { name: "admin", role: "admin", createdBy: "test" })).key;
  });
  afterAll(async () => {
    await server.close();
    await drop();
  });

  it("refuses cookie-authenticated mutations from another origin, or from none; API keys are exempt", async () => {
    const cookie = String((await signIn("ana", PASSWORD, "10.0.0.9")).headers["set-cookie"]).split(";")[0]!;
    const make = (name: string, headers: Record<string, string>, payload: string | object = { name, role: "viewer" }) =>
      server.app.inject({ method: "POST", url: "/api/v1/keys", payload, headers: { cookie, ...headers } });
    // The reported form: a text/plain POST from a foreign page.
    const plain = await make(
      "a",
      { origin: "https://evil.example", "content-type": "text/plain" },
      JSON.stringify({ name: "a", role: "admin" }),
    );
    expect(plain.statusCode).toBe(403);
    expect(plain.json()).toMatchObject({ error: "forbidden_origin" });
    expect((await make("b", { origin: "https://evil.example" })).statusCode).toBe(403);
    expect((await make("c", { referer: "https://evil.example/page" })).statusCode).toBe(403);
    expect((await make("d", { origin: "null" })).statusCode).toBe(403);
    expect((await make("e", {})).statusCode).toBe(403);
    expect((await make("f", { origin: "http://localhost:81" })).statusCode).toBe(403);
    // This origin (Host header), the Referer of one of its pages, or a configured public origin.
    expect((await make("g", { origin })).statusCode).toBe(201);
    expect((await make("h", { referer: "http://localhost/alerts" })).statusCode).toBe(201);
    expect((await make("i", { origin: "https://finsentry.example.com" })).statusCode).toBe(201);
    // Reads are not state changes: no origin needed.
    expect((await server.app.inject({ method: "GET", url: "/api/v1/auth/me", headers: { cookie } })).statusCode).toBe(200);
    // A page cannot send an API key, so key callers are not origin-checked.
    const byKey = await server.app.inject({
      method: "POST",
      url: "/api/v1/keys",
      payload: { name: "j", role: "viewer" },
      headers: { authorization: `Bearer ${admin}`, origin: "https://evil.example" },
    });
    expect(byKey.statusCode).toBe(201);
    const names = (await db.exec("select name from api_keys order by name")).rows.map((r) => r.name);
    expect(names).toEqual(["admin", "g", "h", "i", "j"]);
    // Login CSRF: a foreign page cannot sign the browser into an account.
    expect((await signIn("ana", PASSWORD, "10.0.0.9", { origin: "https://evil.example" })).statusCode).toBe(403);
  });

  it("backs off sign-ins per account and address, without locking the account out from elsewhere", async () => {
    for (let i = 0; i < 6; i++) expect((await signIn("bob", "wrong password", "10.0.0.66")).statusCode, `try ${i + 1}`).toBe(401);
    // Now even the right password from that address waits, and is not checked.
    const held = await signIn("bob", PASSWORD, "10.0.0.66");
    expect(held.statusCode).toBe(429);
    expect(Number(held.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // A flood from that address changes nothing for the owner elsewhere.
    for (let i = 0; i < 30; i++) expect([401, 429]).toContain((await signIn("bob", `guess ${i}`, "10.0.0.66")).statusCode);
    expect((await signIn("bob", PASSWORD, "10.0.0.7")).statusCode).toBe(200);
  });

  it("limits reads per caller, and text searches more tightly", async () => {
    const get = (url: string) => server.app.inject({ method: "GET", url, headers: { authorization: `Bearer ${admin}` } });
    const searches = [];
    for (let i = 0; i < 4; i++) searches.push((await get(`/api/v1/items?q=word${i}`)).statusCode);
    expect(searches).toEqual([200, 200, 200, 429]);
    const statuses = [];
    for (let i = 0; i < 45; i++) statuses.push((await get("/api/v1/items/count")).statusCode);
    expect(statuses.filter((s) => s === 200).length).toBe(40);
    const over = await get("/api/v1/items/count");
    expect(over.statusCode).toBe(429);
    expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
    // Public routes stay open to scrapers.
    for (let i = 0; i < 50; i++) expect((await server.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });

  it("gives every API key an expiry and refuses expired keys", async () => {
    const made = await server.app.inject({
      method: "POST",
      url: "/api/v1/keys",
      payload: { name: "short", role: "viewer", expires_in_days: 7 },
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(made.statusCode).toBe(201);
    const { key, id, expires_at } = made.json() as { key: string; id: string; expires_at: string };
    expect(Math.round((Date.parse(expires_at) - Date.now()) / 86_400_000)).toBe(7);
    const me = () => server.app.inject({ method: "GET", url: "/api/v1/auth/me", headers: { authorization: `Bearer ${key}` } });
    expect((await me()).statusCode).toBe(200);
    await db.exec("update api_keys set expires_at = now() - interval '1 second' where id = $1", [id]);
    expect((await me()).statusCode).toBe(401);
    const dflt = (await createApiKey(db.db, { name: "default", role: "viewer", createdBy: "test" })).expires_at;
    expect(Math.round((Date.parse(dflt) - Date.now()) / 86_400_000)).toBe(90);
    for (const expires_in_days of [0, -1, 3651, 1.5, "7"]) {
      const bad = await server.app.inject({
        method: "POST",
        url: "/api/v1/keys",
        payload: { name: "bad", role: "viewer", expires_in_days },
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(bad.statusCode, String(expires_in_days)).toBe(400);
    }
  });
});

describe("LoginThrottle", () => {
  it("backs off exponentially after the free tries, caps the wait, and forgets after the decay", () => {
    let now = 0;
    const t = new LoginThrottle({
      pair: { free: 2, capMs: 8_000 },
      address: { free: 100, capMs: 1 },
      account: { free: 100, capMs: 1 },
      decayMs: 60_000,
      now: () => now,
    });
    t.failed("ip", "u");
    t.failed("ip", "u");
    expect(t.waitMs("ip", "u")).toBe(0);
    const waits = [];
    for (let i = 0; i < 6; i++) {
      t.failed("ip", "u");
      waits.push(t.waitMs("ip", "u"));
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(t.waitMs("other-ip", "u")).toBe(0);
    now += 8_000;
    expect(t.waitMs("ip", "u")).toBe(0);
    now += 61_000;
    t.failed("ip", "u");
    expect(t.waitMs("ip", "u")).toBe(0);
  });

  it("slows one address across accounts and one account across addresses, and a success clears the account", () => {
    const now = 0;
    const t = new LoginThrottle({
      pair: { free: 100, capMs: 1 },
      address: { free: 3, capMs: 60_000 },
      account: { free: 3, capMs: 60_000 },
      now: () => now,
    });
    for (const u of ["a", "b", "c", "d"]) t.failed("spray", u);
    expect(t.waitMs("spray", "z")).toBe(1000);
    for (const ip of ["1", "2", "3", "4"]) t.failed(ip, "target");
    expect(t.waitMs("5", "target")).toBe(1000);
    t.succeeded("5", "target");
    expect(t.waitMs("6", "target")).toBe(0);
  });
});
