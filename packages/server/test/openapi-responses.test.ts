import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { alertEvents, alerts, openDb, type DbHandle } from "@finsentry/db";
import { loadTextScorer, startScorer, type ScorerHandle } from "@finsentry/pipeline";
import { apiRoutePlugins, buildServer, createApiKey, openApiPath, responseDeclarations, type BuiltServer } from "../src/index.ts";

// The OpenAPI document describes the response bodies of the main read routes (not a generic 2XX), and what the
// server really answers validates against them: items scored by the bundled model, an alert with its history and
// evidence, entity series and movers, streams and an NDJSON push answered per line.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks an arbitrary OpenAPI JSON document
type Json = Record<string, any>;
const log = createLogger("test", "silent");
const addFormats = ((addFormatsPlugin as unknown as { default?: unknown }).default ?? addFormatsPlugin) as (a: Ajv2020) => Ajv2020;

/** The routes whose success bodies must be documented. */
const MAIN_READS = [
  "GET /api/v1/items",
  "GET /api/v1/items/{id}",
  "GET /api/v1/alerts",
  "GET /api/v1/alerts/{id}",
  "GET /api/v1/entities/{key}/series",
  "GET /api/v1/entities/top-movers",
  "GET /api/v1/streams",
  "GET /api/v1/entities",
  "GET /api/v1/entities/{id}",
  "GET /api/v1/entities/changes",
  "GET /api/v1/entities/labels",
];

describe("OpenAPI response bodies", () => {
  let db: DbHandle;
  let bus: MemoryBus;
  let scorer: ScorerHandle;
  let server: BuiltServer;
  let base: string;
  let admin: string;
  let doc: Json;
  let ajv: Ajv2020;

  beforeAll(async () => {
    db = await openDb("memory://");
    bus = new MemoryBus();
    // The real scorer with the bundled model, so stored outputs are what production stores.
    scorer = await startScorer({
      bus,
      db,
      log,
      model: await loadTextScorer(log),
      batchSize: 16,
    });
    server = await buildServer({
      db,
      log,
      plugins: apiRoutePlugins({ db, bus, log }),
    });
    base = await server.listen(0, "127.0.0.1");
    admin = (
      await createApiKey(db.db, {
        name: "admin",
        role: "admin",
        createdBy: "test",
      })
    ).key;
    doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as Json;
    ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    ajv.addSchema(doc, "openapi.json");
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await scorer?.stop();
    await bus?.close();
    await db?.close();
  });

  const call = async (method: string, path: string, body?: { json?: unknown; ndjson?: string }) => {
    const res = await fetch(base + path, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body?.json !== undefined
          ? { "content-type": "application/json" }
          : body?.ndjson !== undefined
            ? { "content-type": "application/x-ndjson" }
            : {}),
      },
      body: body?.json !== undefined ? JSON.stringify(body.json) : body?.ndjson,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const pointer = (s: string) => s.replaceAll("~", "~0").replaceAll("/", "~1");
  /** Checks a real answer against the schema the document declares for its route and status. */
  const expectDocumented = (method: string, route: string, got: { status: number; body: Json }) => {
    const op = doc.paths[route]?.[method.toLowerCase()];
    expect(op, `${method} ${route} is not documented`).toBeDefined();
    const media = op.responses[String(got.status)]?.content?.["application/json"];
    expect(
      media?.schema,
      `${method} ${route}: no schema for status ${got.status} (${JSON.stringify(Object.keys(op.responses))})`,
    ).toBeDefined();
    const validate = ajv.getSchema(
      `openapi.json#/paths/${pointer(route)}/${method.toLowerCase()}/responses/${got.status}/content/application~1json/schema`,
    )!;
    const ok = validate(got.body);
    expect(ok, `${method} ${route} → ${JSON.stringify(validate.errors?.slice(0, 5))}\n${JSON.stringify(got.body).slice(0, 1500)}`).toBe(
      true,
    );
  };

  it("declares response schemas for the main read routes, and only for routes that are served", () => {
    const served = new Set(server.routes.map((r) => `${r.method} ${r.url}`));
    for (const key of responseDeclarations().keys()) expect(served.has(key), `${key} declares a response but is not served`).toBe(true);
    for (const key of MAIN_READS) {
      const [method, path] = key.split(" ") as [string, string];
      const responses = doc.paths[path][method.toLowerCase()].responses as Json;
      expect(responses["2XX"], key).toBeUndefined();
      const schema = responses["200"]?.content?.["application/json"]?.schema;
      expect(schema, `${key}: no 200 body schema`).toBeDefined();
      expect(schema.type, key).toBe("object");
      expect(
        () =>
          addFormats(new Ajv2020({ strict: false }))
            .addSchema(doc, "d")
            .getSchema(`d#/paths/${pointer(path)}/${method.toLowerCase()}/responses/200/content/application~1json/schema`),
        key,
      ).not.toThrow();
    }
    // Closed objects: a field a handler adds without documenting it fails the validation below.
    const itemList = ajv.getSchema(`openapi.json#/paths/${pointer("/api/v1/items")}/get/responses/200/content/application~1json/schema`)!;
    expect(itemList({ items: [], next_cursor: null })).toBe(true);
    expect(itemList({ items: [], next_cursor: null, undocumented: 1 })).toBe(false);
    expect(
      itemList({
        items: [
          {
            id: "x",
            source: "s",
            stream: "news",
            publishedAt: new Date().toISOString(),
            text: "t",
            url: null,
            model_version: null,
            output: null,
          },
        ],
        next_cursor: null,
      }),
    ).toBe(false);
    expect(doc.paths["/api/v1/streams/{id}/items"].post.responses["202"].content["application/json"].schema.properties).toHaveProperty(
      "results",
    );
  });

  it("real answers validate against their documented schemas", async () => {
    // Streams: register one, then push NDJSON to `news` (one bad line, one duplicate).
    const created = await call("POST", "/api/v1/streams", {
      json: {
        id: "acme",
        kind: "http",
        mapping: {
          text: "headline",
          published_at: "ts",
          published_at_format: "unix_s",
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expectDocumented("POST", "/api/v1/streams", created);
    expectDocumented("GET", "/api/v1/streams", await call("GET", "/api/v1/streams"));

    const now = Date.now();
    const texts = [
      "Tesla shares fall 8% after Elon Musk warns of weaker deliveries in Germany",
      "Apple beats estimates as iPhone sales in China recover; $AAPL up 3%",
      "Northwind Motors recalls 40,000 vehicles, CEO Jane Doe apologises",
      "Tesla cuts prices again in the US as demand slows",
      "Microsoft and OpenAI extend partnership, analysts at Morgan Stanley raise targets",
    ];
    const lines = texts.map((text, i) =>
      JSON.stringify({
        source: "wire",
        published_at: new Date(now - (i + 1) * 60_000).toISOString(),
        text,
      }),
    );
    const ndjson = [...lines, "{not json", lines[0]!].join("\n");
    const pushed = await call("POST", "/api/v1/streams/news/items", { ndjson });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(202);
    expect(pushed.body.accepted).toBe(texts.length);
    expect(pushed.body.results.map((r: Json) => r.status)).toEqual([...texts.map(() => "accepted"), "rejected", "duplicate"]);
    expectDocumented("POST", "/api/v1/streams/{id}/items", pushed);

    // Items: the list (scored by now: a 202 means stored), one item, the count.
    const list = await call("GET", "/api/v1/items?limit=50");
    expect(list.body.items.length).toBe(texts.length);
    expect(list.body.items.every((i: Json) => i.output !== null)).toBe(true);
    expectDocumented("GET", "/api/v1/items", list);
    const ids = list.body.items.map((i: Json) => i.id as string);
    const withMentions = [];
    for (const id of ids) {
      const one = await call("GET", `/api/v1/items/${id}`);
      expect(one.status).toBe(200);
      expectDocumented("GET", "/api/v1/items/{id}", one);
      if (one.body.mentions.length) withMentions.push(one.body);
    }
    expect(withMentions.length, "no item with entity mentions").toBeGreaterThan(0);
    expectDocumented("GET", "/api/v1/items/count", await call("GET", "/api/v1/items/count"));

    // Entities: movers over the last day, and the series of one of them.
    const movers = await call("GET", "/api/v1/entities/top-movers?window=1d&min_mentions=1");
    expect(movers.body.movers.length).toBeGreaterThan(0);
    expectDocumented("GET", "/api/v1/entities/top-movers", movers);
    const key = movers.body.movers[0].key as string;
    const series = await call("GET", `/api/v1/entities/${encodeURIComponent(key)}/series?resolution=1m`);
    expect(series.body.points.length).toBeGreaterThan(0);
    expectDocumented("GET", "/api/v1/entities/{key}/series", series);

    // Alerts: one fired, acknowledged and resolved, with evidence (one id no longer stored).
    const at = new Date();
    const alertId = "doc-check-alert";
    await db.db.insert(alerts).values({
      id: alertId,
      ruleId: "demo-bearish-news",
      ruleVersion: 1,
      ruleName: "Sustained bearish news (demo)",
      ruleType: "sentiment_level",
      entityKey: key,
      severity: "warning",
      state: "firing",
      title: "Sustained bearish news",
      summary: "weighted mean −0.62 over 1m",
      figures: { weighted_mean: -0.62, count: 12 },
      fireFigures: { weighted_mean: -0.58, count: 9 },
      evidenceItemIds: [...ids.slice(0, 3), "f".repeat(32)],
      firedAt: at,
      updatedAt: at,
      lastEventSeq: 1,
    });
    await db.db.insert(alertEvents).values({
      id: `${alertId}:1`,
      alertId,
      seq: 1,
      type: "alert.fired",
      state: "firing",
      actor: "engine",
      at,
      payload: {},
    });
    expect(
      (
        await call("POST", `/api/v1/alerts/${alertId}/ack`, {
          json: { note: "looking" },
        })
      ).status,
    ).toBe(200);
    expect((await call("POST", `/api/v1/alerts/${alertId}/resolve`, { json: {} })).status).toBe(200);
    const alertList = await call("GET", "/api/v1/alerts");
    expect(alertList.body.alerts.length).toBe(1);
    expectDocumented("GET", "/api/v1/alerts", alertList);
    const detail = await call("GET", `/api/v1/alerts/${alertId}`);
    expect(detail.body.events.length).toBe(3);
    expect(detail.body.evidence.missing).toEqual(["f".repeat(32)]);
    expectDocumented("GET", "/api/v1/alerts/{id}", detail);
    // Nothing routes-wise is undocumented here: every route exercised has its path in the document.
    for (const r of ["/api/v1/items/{id}", "/api/v1/alerts/{id}"]) expect(Object.keys(doc.paths)).toContain(openApiPath(r));
  }, 120_000);

  it("entity registry answers validate against their documented schemas", async () => {
    const added = await call("POST", "/api/v1/entities", {
      json: { id: "tsla", kind: "instrument", name: "Tesla", ticker: "TSLA", exchange: "NASDAQ", aliases: ["Tesla"] },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expectDocumented("POST", "/api/v1/entities", added);
    expect(
      (await call("POST", "/api/v1/entities", { json: { id: "tesla-motors", kind: "instrument", name: "Tesla Motors" } })).status,
    ).toBe(201);
    const alias = await call("POST", "/api/v1/entities/tesla-motors/aliases", { json: { alias: "Tesla Motors" } });
    expect(alias.status, JSON.stringify(alias.body)).toBe(200);
    expectDocumented("POST", "/api/v1/entities/{id}/aliases", alias);
    const same = await call("POST", "/api/v1/entities/tesla-motors/aliases", { json: { alias: "tesla motors" } });
    expect(same.body.change).toBeNull();
    expectDocumented("POST", "/api/v1/entities/{id}/aliases", same);
    const merged = await call("POST", "/api/v1/entities/tesla-motors/merge", { json: { into: "tsla" } });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expectDocumented("POST", "/api/v1/entities/{id}/merge", merged);
    const split = await call("POST", "/api/v1/entities/tsla/split", {
      json: { aliases: ["Tesla Motors"], new_id: "tesla-motors", name: "Tesla Motors" },
    });
    expect(split.status, JSON.stringify(split.body)).toBe(201);
    expectDocumented("POST", "/api/v1/entities/{id}/split", split);
    const removed = await call("DELETE", "/api/v1/entities/tesla-motors/aliases/Tesla%20Motors");
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expectDocumented("DELETE", "/api/v1/entities/{id}/aliases/{alias}", removed);
    const rekey = await call("POST", "/api/v1/entities/rekey", { json: { last: 3 } });
    expect(rekey.status, JSON.stringify(rekey.body)).toBe(200);
    expect(rekey.body.changes.map((c: Json) => c.action)).toEqual(["remove_alias", "split", "merge"]);
    expectDocumented("POST", "/api/v1/entities/rekey", rekey);
    const search = await call("GET", "/api/v1/entities?q=tes");
    expect(search.body.entities.length).toBe(2);
    expectDocumented("GET", "/api/v1/entities", search);
    const one = await call("GET", "/api/v1/entities/tsla");
    expect(one.body.entity.changes.length).toBeGreaterThan(0);
    expectDocumented("GET", "/api/v1/entities/{id}", one);
    const changes = await call("GET", "/api/v1/entities/changes?limit=2");
    expect(changes.body.next_before).not.toBeNull();
    expectDocumented("GET", "/api/v1/entities/changes", changes);
    const items = (await call("GET", "/api/v1/items?limit=5")).body.items.map((i: Json) => i.id as string);
    const labels = await call("GET", `/api/v1/entities/labels?keys=E:tsla,ORG:tesla&items=${items.join(",")}`);
    expect(labels.body.labels[0]).toMatchObject({ key: "E:tsla", name: "Tesla" });
    expectDocumented("GET", "/api/v1/entities/labels", labels);
    // Movers carry the registry name beside each key (null for legacy keys).
    const movers = await call("GET", "/api/v1/entities/top-movers?window=1d&min_mentions=1");
    expect(movers.body.movers.every((m: Json) => "entity_name" in m)).toBe(true);
    expectDocumented("GET", "/api/v1/entities/top-movers", movers);
  }, 120_000);
});
