import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { Validator } from "@seriousme/openapi-schema-validator";
import { createLogger } from "@finsentry/core";
import type { EngineStatus } from "@finsentry/alerts";
import { MemoryBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { apiRoutePlugins, buildServer, createApiKey, openApiPath, undocumentedRoutes, type BuiltServer } from "../src/index.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks an arbitrary OpenAPI JSON document
type Json = Record<string, any>;
const log = createLogger("test", "silent");
// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsPlugin as unknown as { default?: unknown }).default ?? addFormatsPlugin) as (a: Ajv2020) => Ajv2020;

describe("OpenAPI document", () => {
  let db: DbHandle;
  let server: BuiltServer;
  let base: string;
  let admin: string;
  let doc: Json;

  beforeAll(async () => {
    db = await openDb("memory://");
    const bus = new MemoryBus();
    server = await buildServer({
      db,
      log,
      // What apps/api wires, plus an engine with status() so the conditional alerter route is covered too.
      // What apps/api serves, plus an engine with status() so the conditional alerter route is covered too.
      plugins: apiRoutePlugins({ db, bus, log, alertEngine: { reloadRules: async () => true, status: () => ({}) as EngineStatus } }),
    });
    base = await server.listen(0, "127.0.0.1");
    admin = (await createApiKey(db.db, { name: "admin", role: "admin", createdBy: "test" })).key;
    const res = await fetch(`${base}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    doc = (await res.json()) as Json;
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const apiRoutes = () => server.routes.filter((r) => r.url.startsWith("/api/v1/") && r.method !== "HEAD");
  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
    );

  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const v = new Validator();
    const res = await v.validate(structuredClone(doc));
    expect(res.errors ?? [], JSON.stringify(res.errors, null, 1)?.slice(0, 3000)).toEqual([]);
    expect(res.valid).toBe(true);
    const ids = operations().map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("documents every /api/v1 route with its method and role, and nothing else", () => {
    const table = apiRoutes();
    expect(table.length).toBeGreaterThan(40);
    expect(undocumentedRoutes(server.routes)).toEqual([]);
    const documented = new Map(operations().map((o) => [`${o.method} ${o.path}`, o.op]));
    for (const r of table) {
      const op = documented.get(`${r.method} ${openApiPath(r.url)}`);
      expect(op, `${r.method} ${r.url} is not in the document`).toBeDefined();
      expect(op!.summary, `${r.method} ${r.url} summary`).toMatch(/\w/);
      if (r.public) {
        expect(op!.security, `${r.method} ${r.url} is public`).toEqual([]);
        expect(op!["x-min-role"]).toBeUndefined();
      } else {
        expect(op!["x-min-role"], `${r.method} ${r.url} role`).toBe(r.minRole ?? "admin");
        expect(op!.security).toEqual([{ apiKey: [] }, { session: [] }]);
      }
    }
    const inTable = new Set(table.map((r) => `${r.method} ${openApiPath(r.url)}`));
    for (const key of documented.keys()) expect(inTable.has(key), `${key} is documented but not served`).toBe(true);
    expect(documented.size).toBe(inTable.size);
    // The routes whose handlers validate a body or query document their schemas.
    expect(documented.get("POST /api/v1/webhooks")!.requestBody.content["application/json"].schema.required).toContain("url");
    expect(documented.get("GET /api/v1/alerts")!.parameters.map((p: Json) => p.name)).toEqual(
      expect.arrayContaining(["state", "severity", "entity", "limit", "cursor"]),
    );
    expect(documented.get("POST /api/v1/labels")!.requestBody.content).toHaveProperty("application/x-ndjson");
  });

  it("documents body and query schemas as JSON Schema (2020-12)", () => {
    const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
    let bodies = 0;
    let queries = 0;
    for (const { path, method, op } of operations()) {
      for (const [type, media] of Object.entries((op.requestBody?.content ?? {}) as Record<string, Json>)) {
        // compile() checks the schema against the 2020-12 meta-schema and throws on anything it is not.
        expect(() => ajv.compile(media.schema), `${method} ${path} ${type}`).not.toThrow();
        bodies++;
      }
      for (const p of (op.parameters ?? []) as Json[]) {
        expect(() => ajv.compile(p.schema), `${method} ${path} ${p.in} ${p.name}`).not.toThrow();
        if (p.in === "query") queries++;
      }
    }
    expect(bodies).toBeGreaterThan(15);
    expect(queries).toBeGreaterThan(15);
    expect(() => ajv.compile(doc.components.schemas.ValidationProblems)).not.toThrow();
  });

  it("answers a body or query that breaks the documented schema with 400 and its problems", async () => {
    const ajv = addFormats(new Ajv2020({ strict: false }));
    // The documented 400 shapes, checked against what the server really answers.
    ajv.addSchema(doc, "openapi.json");
    const problemsShape = ajv.getSchema("openapi.json#/components/responses/ValidationFailed/content/application~1json/schema")!;
    const bulkShape = ajv.getSchema("openapi.json#/components/responses/BulkRejected/content/application~1json/schema")!;
    const cases: { method: string; url: string; body?: unknown; bulk: boolean }[] = [];
    const fill = (path: string) => path.replace(/\{\w+\}/g, "abc");
    const branches = (s: Json): Json[] => (s.oneOf ?? s.anyOf ?? [s]) as Json[];
    for (const { path, method, op } of operations()) {
      if (op.responses["400"] === undefined) continue;
      const bulk = op.responses["400"].$ref.endsWith("BulkRejected");
      const media = op.requestBody?.content?.["application/json"];
      if (media) {
        const schema = bulk ? media.schema.anyOf[0] : media.schema;
        // Every alternative needs some field: an empty object breaks the schema.
        if (branches(schema).every((b) => (b.required ?? []).length > 0)) cases.push({ method, url: fill(path), body: {}, bulk });
        // Closed objects: an unknown field breaks the schema.
        if (branches(schema).every((b) => b.additionalProperties === false))
          cases.push({ method, url: fill(path), body: { not_a_documented_field: true }, bulk });
      }
      for (const p of (op.parameters ?? []) as Json[]) {
        if (p.in === "query" && typeof p.schema.minimum === "number")
          cases.push({ method, url: `${fill(path)}?${p.name}=${p.schema.minimum - 1}`, bulk: false });
        if (p.in === "query" && Array.isArray(p.schema.enum))
          cases.push({ method, url: `${fill(path)}?${p.name}=not-one-of-them`, bulk: false });
      }
    }
    expect(cases.filter((c) => c.body !== undefined && c.method !== "GET").length).toBeGreaterThan(10);
    // Some handlers look the resource up before they read the body (PATCH merges into the stored rule): let "abc" exist.
    const rule = { id: "abc", name: "doc check", type: "sentiment_level", severity: "info", op: "below", threshold: -0.5 };
    const created = await fetch(`${base}/api/v1/rules`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify(rule),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(cases.filter((c) => c.body === undefined).length).toBeGreaterThan(10);
    for (const c of cases) {
      const res = await fetch(base + c.url, {
        method: c.method,
        headers: { authorization: `Bearer ${admin}`, ...(c.body !== undefined ? { "content-type": "application/json" } : {}) },
        body: c.body !== undefined ? JSON.stringify(c.body) : undefined,
      });
      const what = `${c.method} ${c.url} ${JSON.stringify(c.body ?? null)}`;
      const body = (await res.json()) as Json;
      expect(res.status, `${what} → ${JSON.stringify(body)}`).toBe(400);
      const shape = c.bulk ? bulkShape : problemsShape;
      expect(shape(body), `${what} → ${JSON.stringify(body)} ${JSON.stringify(shape.errors)}`).toBe(true);
      const problems = (body.problems ?? body.errors?.flatMap((e: Json) => e.problems)) as unknown[];
      expect(problems.length, what).toBeGreaterThan(0);
    }
    // And a body that follows the schema gets through.
    const ok = await fetch(`${base}/api/v1/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "docs", role: "viewer" }),
    });
    expect(ok.status).toBe(201);
  });
});
