import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Fastify from "fastify";
import { asc, eq } from "drizzle-orm";
import { MemoryBus } from "@finsentry/bus";
import { alertEvents, alerts, entities, type DbHandle } from "@finsentry/db";
import { AlertEventV1, type AlertEvent } from "@finsentry/schemas";
import { alertRoutes } from "../src/api/routes.ts";
import { acknowledgeAlert, applyTransitions } from "../src/engine/alert-store.ts";
import type { CompiledRule } from "../src/rules/compile.ts";
import type { Transition } from "../src/engine/transitions.ts";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";

// Alerts on registry keys (issue 20): the title names the entity by its registry name, not `E:<id>`, and every event
// payload carries the key and the name; legacy keys and unknown ids keep the key in the title and carry no name.

const rule = {
  rule: { id: "drop", name: "Sentiment drop", type: "threshold", severity: "warning" },
  version: 3,
} as unknown as CompiledRule;
const fire = (alertId: string, entityKey: string, at: number): Transition => ({
  kind: "fire",
  alertId,
  rule,
  entityKey,
  at,
  figures: { mean: -0.6 },
  evidence: ["i1"],
  summary: "mean sentiment -0.60",
});

describe.each(dbKinds)("alert titles and payloads carry the entity's registry name (%s)", (kind) => {
  let h: DbHandle;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db: h, drop } = await openTestDb(kind));
    await h.db.insert(entities).values({ id: "nwm", kind: "instrument", name: "Northwind Motors", ticker: "NWM" });
  });
  afterAll(async () => drop?.());

  const payloads = async (alertId: string) =>
    (await h.db.select().from(alertEvents).where(eq(alertEvents.alertId, alertId)).orderBy(asc(alertEvents.seq))).map(
      (e) => e.payload as AlertEvent,
    );

  it("titles a fired alert with the registry name and puts key and name in the event", async () => {
    const at = Date.parse("2026-12-01T10:00:00Z");
    await h.db.transaction((tx) => applyTransitions(tx, [fire("al_n1", "E:nwm", at)]));
    const [row] = await h.db.select().from(alerts).where(eq(alerts.id, "al_n1"));
    expect(row).toMatchObject({ entityKey: "E:nwm", title: "Sentiment drop: Northwind Motors" });
    const [fired] = await payloads("al_n1");
    expect(AlertEventV1.parse(fired).alert).toMatchObject({
      entity_key: "E:nwm",
      entity_name: "Northwind Motors",
      title: "Sentiment drop: Northwind Motors",
    });
  });

  it("names the entity in later events too (update, acknowledge, resolve)", async () => {
    const at = Date.parse("2026-12-01T10:05:00Z");
    await h.db.transaction((tx) =>
      applyTransitions(tx, [{ ...fire("al_n1", "E:nwm", at), kind: "update", figures: { mean: -0.8 }, summary: "worse" }]),
    );
    await acknowledgeAlert(h.db, "al_n1", "ana");
    await h.db.transaction((tx) => applyTransitions(tx, [{ ...fire("al_n1", "E:nwm", at + 60_000), kind: "resolve", reason: "cleared" }]));
    const events = await payloads("al_n1");
    expect(events.map((e) => [e.type, e.alert.entity_key, e.alert.entity_name])).toEqual([
      ["alert.fired", "E:nwm", "Northwind Motors"],
      ["alert.updated", "E:nwm", "Northwind Motors"],
      ["alert.acknowledged", "E:nwm", "Northwind Motors"],
      ["alert.resolved", "E:nwm", "Northwind Motors"],
    ]);
  });

  it("keeps the key in the title and sends no name for legacy keys and ids the registry lacks", async () => {
    const at = Date.parse("2026-12-01T11:00:00Z");
    await h.db.transaction((tx) => applyTransitions(tx, [fire("al_l1", "ORG:teslar", at), fire("al_u1", "E:gone", at)]));
    const rows = await h.db.select({ id: alerts.id, title: alerts.title }).from(alerts).orderBy(asc(alerts.id));
    expect(rows.filter((r) => r.id !== "al_n1")).toEqual([
      { id: "al_l1", title: "Sentiment drop: ORG:teslar" },
      { id: "al_u1", title: "Sentiment drop: E:gone" },
    ]);
    for (const id of ["al_l1", "al_u1"]) {
      const [ev] = await payloads(id);
      expect(ev!.alert).not.toHaveProperty("entity_name");
      // An event without the field (as every event before it existed) still parses.
      expect(AlertEventV1.parse(ev).alert.entity_name).toBeUndefined();
    }
  });

  it("answers the registry name beside the key in the alert API (list, detail, acknowledge), null for legacy keys", async () => {
    const bus = new MemoryBus(1);
    const app = Fastify();
    // Stands in for the server's auth hook, which sets `principal` on every authenticated request.
    app.decorateRequest("principal", null);
    app.addHook("onRequest", async (req) => {
      (req as unknown as { principal: { name: string } }).principal = { name: "ana" };
    });
    await app.register(alertRoutes, { db: h.db, bus });
    try {
      const list = (await app.inject({ method: "GET", url: "/api/v1/alerts?limit=10" })).json() as {
        alerts: { id: string; entity_key: string; entity_name: string | null }[];
      };
      expect(list.alerts.map((a) => [a.id, a.entity_key, a.entity_name]).sort()).toEqual([
        ["al_l1", "ORG:teslar", null],
        ["al_n1", "E:nwm", "Northwind Motors"],
        ["al_u1", "E:gone", null],
      ]);
      const one = (await app.inject({ method: "GET", url: "/api/v1/alerts/al_n1" })).json() as { alert: { entity_name: string } };
      expect(one.alert.entity_name).toBe("Northwind Motors");
      const ack = await app.inject({ method: "POST", url: "/api/v1/alerts/al_l1/ack", payload: {} });
      expect(ack.statusCode).toBe(200);
      expect(ack.json().alert).toMatchObject({ entity_key: "ORG:teslar", entity_name: null, state: "acknowledged" });
    } finally {
      await app.close();
      await bus.close();
    }
  });
});
