import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { KafkaBus, MemoryBus, type Bus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { IngestWriter, LexiconBaselineScorer, startScorer, StreamRegistry, StreamSupervisor, type ScorerHandle } from "@finsentry/pipeline";
import { TOPICS } from "@finsentry/schemas";
import { buildServer, createApiKey, itemRoutes, streamRoutes, type BuiltServer } from "@finsentry/server";
import { createTestDatabase, KAFKA_BROKERS, skipReason, uniqueName, waitFor } from "./support/services.ts";

const log = createLogger("test", "warn");

/** The API + ingest + scorer wiring of one process, on the given bus and database. */
async function system(bus: Bus, db: DbHandle) {
  const registry = new StreamRegistry(db.db);
  const writer = new IngestWriter(bus);
  const supervisor = new StreamSupervisor({ bus, log, writer, registry, pollMs: 500 });
  await supervisor.start();
  const scorer: ScorerHandle = await startScorer({ bus, db, log, model: new LexiconBaselineScorer() });
  const server: BuiltServer = await buildServer({
    db,
    log,
    plugins: [async (app) => streamRoutes(app, { registry, writer, supervisor }), async (app) => itemRoutes(app, { db: db.db })],
  });
  await server.app.ready();
  const { key } = await createApiKey(db.db, { name: "test", role: "analyst", createdBy: "test" });
  const inject = (o: { method: "GET" | "POST" | "DELETE"; url: string; payload?: unknown; headers?: Record<string, string> }) =>
    server.app.inject({ ...o, payload: o.payload as string, headers: { ...o.headers, authorization: `Bearer ${key}` } });
  return {
    server,
    registry,
    supervisor,
    inject,
    async stop() {
      await supervisor.stop();
      await scorer.stop();
      await server.close();
    },
  };
}

const countItems = async (db: DbHandle, stream: string) =>
  (await db.exec("select count(*)::int as n from items where stream = $1", [stream])).rows[0]!.n as number;

describe("custom streams over HTTP (in-memory bus + PGlite)", () => {
  let db: DbHandle;
  let sys: Awaited<ReturnType<typeof system>>;
  beforeAll(async () => {
    db = await openDb("memory://");
    sys = await system(new MemoryBus(3), db);
  });
  afterAll(async () => {
    await sys.stop();
    await db.close();
  });

  it("rejects an invalid stream definition naming the field", async () => {
    const r = await sys.inject({ method: "POST", url: "/api/v1/streams", payload: { id: "Bad Id", kind: "http", mapping: { text: "t" } } });
    expect(r.statusCode).toBe(400);
    const paths = r.json().problems.map((p: { path: string }) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["id", "mapping.published_at"]));
  });

  it("accepts NDJSON in bulk and answers per-line errors", async () => {
    const created = await sys.inject({
      method: "POST",
      url: "/api/v1/streams",
      payload: {
        id: "acme-http",
        kind: "http",
        mapping: { text: "headline", published_at: "ts", published_at_format: "unix_s", source: { const: "acme" } },
      },
    });
    expect(created.statusCode).toBe(201);
    const body = [
      JSON.stringify({ headline: "Acme Corp shares jump 8% on record orders", ts: 1767225600 }),
      "{not json",
      JSON.stringify({ ts: 1767225601 }),
      JSON.stringify({ headline: "Acme warns on weak demand", ts: 1767225602 }),
      JSON.stringify({ headline: "Acme Corp shares jump 8% on record orders", ts: 1767225600 }),
    ].join("\n");
    const r = await sys.inject({
      method: "POST",
      url: "/api/v1/streams/acme-http/items",
      headers: { "content-type": "application/x-ndjson" },
      payload: body,
    });
    expect(r.statusCode).toBe(202);
    const res = r.json();
    expect(res).toMatchObject({ accepted: 2, duplicates: 1, rejected: 2 });
    expect(res.errors).toEqual([
      expect.objectContaining({ line: 2, reason: "malformed_json" }),
      expect.objectContaining({ line: 3, reason: "mapping_failed", problems: [expect.objectContaining({ path: "headline" })] }),
    ]);
    // One result per line, in order, tied to its line number.
    expect(res.results.map((x: { line: number; status: string }) => [x.line, x.status])).toEqual([
      [1, "accepted"],
      [2, "rejected"],
      [3, "rejected"],
      [4, "accepted"],
      [5, "duplicate"],
    ]);
    expect(res.results[4].id).toBe(res.results[0].id);
    expect(res.results[1]).toMatchObject({ reason: "malformed_json" });
    expect(await waitFor(async () => (await countItems(db, "acme-http")) === 2, 10_000)).toBe(true);

    // The item's detail answers in snake_case like the lists.
    const detail = await sys.inject({ method: "GET", url: `/api/v1/items/${res.results[0].id}` });
    expect(detail.statusCode).toBe(200);
    const d = detail.json();
    expect(d.item).toMatchObject({
      id: res.results[0].id,
      stream: "acme-http",
      source: "acme",
      published_at: "2026-01-01T00:00:00.000Z",
      text: "Acme Corp shares jump 8% on record orders",
    });
    expect(d.score).toMatchObject({ model_version: expect.any(String), sentiment: expect.any(String), scored_at: expect.any(String) });
    const keys = (o: object): string[] => Object.keys(o);
    for (const k of [...keys(d.item), ...keys(d.score), ...d.mentions.flatMap(keys)]) expect(k, "camelCase key").toMatch(/^[a-z0-9_]+$/);
  });

  it("answers 400 when nothing in the body is valid, and 404 for an unknown stream", async () => {
    const bad = await sys.inject({
      method: "POST",
      url: "/api/v1/streams/acme-http/items",
      headers: { "content-type": "application/json" },
      payload: '{"x":1}',
    });
    expect(bad.statusCode).toBe(400);
    const missing = await sys.inject({ method: "POST", url: "/api/v1/streams/nope/items", payload: {} });
    expect(missing.statusCode).toBe(404);
  });
});

const kafkaSkip = skipReason(["kafka", "postgres"]);

describe.skipIf(!!kafkaSkip)("custom Kafka stream registered at run time (real Kafka + Postgres)", () => {
  it("starts consuming a newly registered topic with its field mapping, without a restart", async () => {
    const tdb = await createTestDatabase();
    const db = await openDb(tdb.url);
    const ns = `${uniqueName("s")}.`;
    const bus = new KafkaBus({ brokers: KAFKA_BROKERS!, namespace: ns, log });
    await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 3 })));
    const sys = await system(bus, db);
    try {
      const r = await sys.inject({
        method: "POST",
        url: "/api/v1/streams",
        payload: {
          id: "vendor-feed",
          kind: "kafka",
          topic: "vendor.posts",
          mapping: { text: "body.title", published_at: "when", id: "uid", source: { const: "vendor" } },
        },
      });
      expect(r.statusCode, r.body).toBe(201);
      await bus.send("vendor.posts", [
        {
          value: JSON.stringify({
            uid: 1,
            when: "2026-02-01T10:00:00Z",
            body: { title: "Vendor Inc shares plunge 12% after probe" },
            lang: "en",
          }),
        },
        { value: JSON.stringify({ uid: 2, body: { title: "no timestamp" } }) },
      ]);
      expect(await waitFor(async () => (await countItems(db, "vendor-feed")) === 1, 60_000, 500)).toBe(true);
      const row = (await db.exec("select external_id, source, raw from items where stream = 'vendor-feed'")).rows[0]!;
      expect(row).toMatchObject({ external_id: "1", source: "vendor" });
      expect((row.raw as { lang: string }).lang).toBe("en");
    } finally {
      await sys.stop();
      await bus.close();
      await db.close();
      await tdb.drop();
    }
  }, 120_000);
});
