import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connect, type Socket } from "socket.io-client";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { alertEvents, alerts, openDb, type DbHandle } from "@finsentry/db";
import { TOPICS, type AlertEvent } from "@finsentry/schemas";
import { buildServer, createApiKey, startLiveGateway, type BuiltServer } from "../src/index.ts";

const log = createLogger("test", "silent");

/** Stores an alert and its `alert.fired` event as the alerter does, then publishes the event on the bus. */
async function fire(db: DbHandle, bus: MemoryBus, n: number): Promise<AlertEvent> {
  const at = new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();
  const id = `alert-${n}`;
  const event: AlertEvent = {
    v: 1,
    event_id: `${id}:1`,
    type: "alert.fired",
    at,
    alert: {
      id,
      rule_id: "r",
      rule_name: "Rule",
      rule_type: "sentiment_level",
      entity_key: `TICKER:T${n}`,
      severity: "warning",
      state: "firing",
      title: `T${n} turned bearish`,
      summary: "test",
      fired_at: at,
      updated_at: at,
      resolved_at: null,
      figures: { mean: -0.5 },
      evidence_item_ids: [],
    },
  };
  const a = event.alert;
  await db.db.insert(alerts).values({
    id,
    ruleId: a.rule_id,
    ruleVersion: 1,
    ruleName: a.rule_name,
    ruleType: a.rule_type,
    entityKey: a.entity_key,
    severity: a.severity,
    state: a.state,
    title: a.title,
    summary: a.summary,
    figures: a.figures,
    fireFigures: a.figures,
    evidenceItemIds: [],
    firedAt: new Date(at),
    updatedAt: new Date(at),
    lastEventSeq: 1,
  });
  await db.db.insert(alertEvents).values({
    id: event.event_id,
    alertId: id,
    seq: 1,
    type: event.type,
    state: "firing",
    actor: "alerter",
    at: new Date(at),
    payload: event,
    published: true,
  });
  await bus.send(TOPICS.alerts, [{ key: a.entity_key, value: JSON.stringify(event) }]);
  return event;
}

describe("live alerts over socket.io", () => {
  let db: DbHandle;
  let server: BuiltServer;
  let live: { stop(): Promise<void> };
  let url: string;
  let key: string;
  const bus = new MemoryBus(1);

  beforeAll(async () => {
    db = await openDb("memory://");
    server = await buildServer({ db, log, plugins: [] });
    live = await startLiveGateway({ io: server.io, bus, db, log });
    url = await server.listen(0, "127.0.0.1");
    key = (await createApiKey(db.db, { name: "viewer", role: "viewer", createdBy: "test" })).key;
  });
  afterAll(async () => {
    await live.stop();
    await server.close();
    await db.close();
  });

  const client = (token?: string) =>
    connect(url, { path: "/socket.io", transports: ["websocket"], auth: token ? { token } : {}, reconnection: false, forceNew: true });
  const subscribe = (s: Socket, since?: string) => s.emitWithAck("subscribe", { rooms: ["alerts"], ...(since ? { since } : {}) });
  const until = async (cond: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return cond();
  };

  it("refuses a connection without credentials", async () => {
    const s = client();
    const err = await new Promise<Error>((resolve) => s.once("connect_error", resolve));
    expect(err.message).toBe("unauthenticated");
    s.close();
  });

  it("delivers all 3 alerts fired while a client was disconnected when it reconnects", async () => {
    const first = client(key);
    const seen: AlertEvent[] = [];
    first.on("alert", (e: AlertEvent) => seen.push(e));
    await new Promise<void>((r) => first.once("connect", () => r()));
    expect(await subscribe(first)).toMatchObject({ ok: true });
    await fire(db, bus, 1);
    expect(await until(() => seen.length === 1)).toBe(true);
    const lastSeen = seen[0]!.event_id;
    first.close(); // the network blip

    const missed = [await fire(db, bus, 2), await fire(db, bus, 3), await fire(db, bus, 4)];

    const again = client(key);
    const got: AlertEvent[] = [];
    again.on("alert", (e: AlertEvent) => got.push(e));
    await new Promise<void>((r) => again.once("connect", () => r()));
    const ack = await subscribe(again, lastSeen);
    expect(ack).toMatchObject({ ok: true, replayed: 3 });
    expect(await until(() => got.length >= 3)).toBe(true);
    expect(got.map((e) => e.event_id)).toEqual(missed.map((e) => e.event_id));

    // Live events keep flowing after the catch-up, once each.
    const next = await fire(db, bus, 5);
    expect(await until(() => got.length === 4)).toBe(true);
    expect(got[3]!.event_id).toBe(next.event_id);
    again.close();
  });

  it("answers an invalid subscription with the problems", async () => {
    const s = client(key);
    await new Promise<void>((r) => s.once("connect", () => r()));
    const ack = await s.emitWithAck("subscribe", { rooms: [] });
    expect(ack.ok).toBe(false);
    expect(ack.problems[0].path).toBe("rooms");
    s.close();
  });
});
