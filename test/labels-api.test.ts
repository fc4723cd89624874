import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { items, openDb, type DbHandle } from "@finsentry/db";
import { TOPICS } from "@finsentry/schemas";
import { buildServer, createApiKey, type BuiltServer } from "@finsentry/server";
import { labelRoutes, resolveLabels, startLabelConsumer } from "@finsentry/labels";

const log = createLogger("test", "silent");
const ITEM = "0123456789abcdef0123456789abcdef";

describe("conflict rule", () => {
  it("prefers the higher role, then the latest, per task", () => {
    const r = resolveLabels([
      { sentiment: "bullish", topic: null, entities: null, role: "analyst", createdAt: "2026-01-01T00:00:00Z" },
      { sentiment: "bearish", topic: "Earnings", entities: null, role: "viewer", createdAt: "2026-01-03T00:00:00Z" },
      { sentiment: "neutral", topic: null, entities: null, role: "analyst", createdAt: "2026-01-02T00:00:00Z" },
    ]);
    expect(r).toEqual({ sentiment: "neutral", topic: "Earnings" });
  });
});

describe("labels API and topic", () => {
  let db: DbHandle;
  let server: BuiltServer;
  let analyst: string;
  let admin: string;
  const bus = new MemoryBus(1);
  beforeAll(async () => {
    db = await openDb("memory://");
    await db.db.insert(items).values({
      id: ITEM,
      source: "t",
      stream: "news",
      publishedAt: "2026-01-01T00:00:00Z",
      ingestedAt: "2026-01-01T00:00:00Z",
      text: "Acme beats estimates",
    });
    server = await buildServer({ db, log, plugins: [async (app) => labelRoutes(app, { db: db.db, bus })] });
    await server.app.ready();
    analyst = (await createApiKey(db.db, { name: "a", role: "analyst", createdBy: "t" })).key;
    admin = (await createApiKey(db.db, { name: "b", role: "admin", createdBy: "t" })).key;
  });
  afterAll(async () => {
    await server.close();
    await db.close();
  });

  const post = (key: string, payload: string, type = "application/x-ndjson") =>
    server.app.inject({
      method: "POST",
      url: "/api/v1/labels",
      headers: { authorization: `Bearer ${key}`, "content-type": type },
      payload,
    });

  it("stores bulk NDJSON labels with who/when from the caller, answering per-line errors", async () => {
    const r = await post(
      analyst,
      [
        JSON.stringify({ item_id: ITEM, sentiment: "bullish" }),
        JSON.stringify({ text: "Fresh text never seen", topic: "Earnings" }),
        JSON.stringify({ item_id: ITEM }),
        JSON.stringify({ item_id: ITEM, sentiment: "up" }),
        JSON.stringify({ item_id: ITEM, sentiment: "bearish", author: "mallory", role: "admin" }),
        JSON.stringify({ item_id: ITEM, entities: [{ start: 0, end: 99, type: "ORG" }] }),
      ].join("\n"),
    );
    expect(r.statusCode).toBe(201);
    const body = r.json();
    expect(body.saved).toBe(2);
    expect(body.errors.map((e: { line: number }) => e.line)).toEqual([3, 4, 5, 6]);
    expect(body.errors[3].problems[0].path).toBe("entities.0.end");
    const hist = (
      await server.app.inject({ method: "GET", url: `/api/v1/labels?item_id=${ITEM}`, headers: { authorization: `Bearer ${analyst}` } })
    ).json();
    expect(hist.effective).toEqual({ sentiment: "bullish" });
    expect(hist.history[0]).toMatchObject({ author: "key:a", role: "analyst", via: "api" });
  });

  it("lets an admin's later correction win and keeps the history", async () => {
    await post(admin, JSON.stringify({ item_id: ITEM, sentiment: "neutral" }), "application/json");
    const hist = (
      await server.app.inject({ method: "GET", url: `/api/v1/labels?item_id=${ITEM}`, headers: { authorization: `Bearer ${analyst}` } })
    ).json();
    expect(hist.effective.sentiment).toBe("neutral");
    expect(hist.history).toHaveLength(2);
  });

  it("consumes labels from the labels topic idempotently", async () => {
    const sub = await startLabelConsumer({ bus, db: db.db, log, groupId: "t" });
    const label = {
      v: 1,
      id: "ext-1",
      text: "Beta Corp cuts dividend",
      sentiment: "bearish",
      author: "feed",
      role: "analyst",
      created_at: "2026-01-05T00:00:00Z",
    };
    await bus.send(TOPICS.labels, [{ value: JSON.stringify(label) }, { value: JSON.stringify(label) }, { value: "{bad" }]);
    const deadline = Date.now() + 5000;
    let n = 0;
    while (Date.now() < deadline) {
      n = (await db.exec("select count(*)::int as n from labels where id = 'ext-1'")).rows[0]!.n as number;
      if (n > 0 && (await bus.lag("t", TOPICS.labels)) === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await sub.stop();
    expect(n).toBe(1);
  });
});
