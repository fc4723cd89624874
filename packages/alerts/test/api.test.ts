import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import Fastify, { type FastifyInstance } from "fastify";
import { asc, eq } from "drizzle-orm";
import { MemoryBus, type Batch } from "@finsentry/bus";
import { alertEvents, alerts } from "@finsentry/db";
import { AlertEventV1, type AlertEvent, type ScoredItem } from "@finsentry/schemas";
import { alertRoutes } from "../src/api/routes.ts";
import { AlertEngine } from "../src/engine/live.ts";
import { seedRules } from "../src/rules/store.ts";
import { MIN, acmeScenario, freshDb, log, scenarioRules, scoredItem, storeHistory } from "./helpers.ts";

function apiSuite(dbKind: "pglite" | "pg") {
  describe(`alert API on ${dbKind}`, () => {
    const sc = acmeScenario();
    let db: Awaited<ReturnType<typeof freshDb>>;
    let app: FastifyInstance;
    let bus: MemoryBus;
    let engine: AlertEngine;
    const published: AlertEvent[] = [];
    const reloadRules = vi.fn(async () => true);
    const routes: [string, string, unknown][] = [];
    let offset = 0;
    let clock = sc.end;

    /** Hands items to the engine as one bus batch would. */
    const feed = (items: ScoredItem[]) => {
      const batch: Batch = {
        topic: "items.scored",
        partition: 0,
        messages: items.map((s) => ({
          topic: "items.scored",
          partition: 0,
          offset: String(offset++),
          key: s.item.id,
          value: Buffer.from(JSON.stringify(s)),
          headers: {},
          timestamp: "0",
        })),
      };
      return engine.handleBatch(batch);
    };
    const inject = (method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", url: string, payload?: unknown, user = "alice") =>
      app.inject({ method, url, payload: payload as object, headers: { "x-user": user } });

    beforeAll(async () => {
      db = await freshDb(dbKind);
      await storeHistory(db.handle.db, sc.items);
      await seedRules(db.handle.db, scenarioRules());
      bus = new MemoryBus(1);
      await bus.subscribe({
        groupId: "api-test",
        topics: ["alerts"],
        eachBatch: async (b) => void published.push(...b.messages.map((m) => AlertEventV1.parse(JSON.parse(m.value.toString())))),
      });
      engine = await AlertEngine.open({
        db: db.handle.db,
        bus,
        log,
        now: () => new Date(clock),
        options: { expectedPartitions: 1, idlePartitionMs: 0 },
      });
      app = Fastify();
      // Stands in for the server's auth hook, which sets `principal` on every authenticated request.
      app.decorateRequest("principal", null);
      app.addHook("onRequest", async (req) => {
        (req as unknown as { principal: { name: string } }).principal = { name: String(req.headers["x-user"]) };
      });
      app.addHook("onRoute", (r) => void routes.push([String(r.method), r.url, (r.config as { minRole?: string } | undefined)?.minRole]));
      await app.register(alertRoutes, { db: db.handle.db, bus, engine: { reloadRules } });
      await app.ready();
    });

    afterAll(async () => {
      await app?.close();
      await bus?.close();
      await db?.drop();
    });

    it("gives every route a role: reads viewer, mutations analyst", () => {
      expect(routes.length).toBeGreaterThanOrEqual(12);
      for (const [method, url, role] of routes) {
        if (method === "HEAD") continue;
        expect([url, role]).toEqual([url, method === "GET" ? "viewer" : "analyst"]);
      }
    });

    it("rules CRUD validates, versions and tells the engine", async () => {
      const rule = {
        id: "acme-level",
        name: "ACME level",
        type: "sentiment_level",
        severity: "info",
        op: "below",
        threshold: -0.5,
        scope: { tickers: ["ACME"] },
      };
      const created = await inject("POST", "/api/v1/rules", rule);
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({ id: "acme-level", version: 1, updated_by: "alice", min_samples: 5 });
      expect(reloadRules).toHaveBeenCalled();
      expect((await inject("POST", "/api/v1/rules", rule)).statusCode).toBe(409);

      const bad = await inject("POST", "/api/v1/rules", { ...rule, id: "bad", window: { size: "forever" }, threshold: 3 });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toBe("validation_failed");
      expect(
        bad
          .json()
          .problems.map((p: { path: string }) => p.path)
          .sort(),
      ).toEqual(["threshold", "window.size"]);

      const put = await inject("PUT", "/api/v1/rules/acme-level", { ...rule, threshold: -0.6 }, "bob");
      expect(put.json()).toMatchObject({ threshold: -0.6, version: 2, updated_by: "bob" });
      expect((await inject("PUT", "/api/v1/rules/acme-level", { ...rule, id: "other" })).json().problems[0].path).toBe("id");
      const roundTrip = await inject("PUT", "/api/v1/rules/acme-level", (await inject("GET", "/api/v1/rules/acme-level")).json());
      expect(roundTrip.json()).toMatchObject({ threshold: -0.6, version: 3 });
      const patched = await inject("PATCH", "/api/v1/rules/acme-level", { enabled: false });
      expect(patched.json()).toMatchObject({ enabled: false, threshold: -0.6, version: 4 });
      expect((await inject("PATCH", "/api/v1/rules/acme-level", { threshold: "low" })).statusCode).toBe(400);

      const list = await inject("GET", "/api/v1/rules", undefined, "viewer");
      expect(list.json().rules.map((r: { id: string }) => r.id)).toContain("acme-level");
      expect((await inject("DELETE", "/api/v1/rules/acme-level")).statusCode).toBe(204);
      expect((await inject("GET", "/api/v1/rules/acme-level")).statusCode).toBe(404);
      expect((await inject("DELETE", "/api/v1/rules/acme-level")).statusCode).toBe(404);
    });

    it("backtests a stored rule and an unsaved one over stored history", async () => {
      const range = { from: "2025-03-03T00:00:00Z", to: "2025-03-03T12:00:00Z" };
      const r = await inject("POST", "/api/v1/rules/spike/backtest", range);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({
        rule_id: "spike",
        alerts: [{ entity_key: "TICKER:ACME", fired_at: "2025-03-03T08:05:00.000Z", severity: "critical" }],
      });
      expect(r.json().alerts[0].evidence_item_ids.every((id: string) => sc.burstIds.has(id))).toBe(true);
      const inline = await inject("POST", "/api/v1/rules/backtest", {
        ...range,
        rule: { id: "tmp", name: "t", severity: "info", type: "sentiment_level", op: "below", threshold: -0.99 },
      });
      expect(inline.json().alerts).toEqual([]);
      expect(inline.json().items).toBeGreaterThan(300);
      const bad = await inject("POST", "/api/v1/rules/spike/backtest", { from: range.to, to: range.from });
      expect(bad.json()).toMatchObject({ error: "validation_failed", problems: [{ path: "to" }] });
      expect((await inject("POST", "/api/v1/rules/nope/backtest", range)).statusCode).toBe(404);
    });

    it("acknowledge and resolve record who and when, publish events, and the engine does not re-fire in cooldown", async () => {
      const cut = sc.items.findIndex((it) => Date.parse(it.item.published_at) >= sc.burstStart + 20 * MIN);
      for (let i = 0; i < cut; i += 50) await feed(sc.items.slice(i, Math.min(i + 50, cut)));
      const open = await inject("GET", "/api/v1/alerts?state=open&limit=50");
      const spike = open.json().alerts.find((a: { rule_id: string }) => a.rule_id === "spike");
      expect(spike).toMatchObject({ state: "firing", entity_key: "TICKER:ACME", severity: "critical" });

      const ack = await inject("POST", `/api/v1/alerts/${spike.id}/ack`, { note: "looking" }, "carol");
      expect(ack.json()).toMatchObject({ changed: true, alert: { state: "acknowledged", acknowledged_by: "carol" } });
      expect((await inject("POST", `/api/v1/alerts/${spike.id}/ack`, undefined, "dave")).json()).toMatchObject({
        changed: false,
        alert: { acknowledged_by: "carol" },
      });
      const res = await inject("POST", `/api/v1/alerts/${spike.id}/resolve`, {}, "erin");
      expect(res.json()).toMatchObject({ changed: true, alert: { state: "resolved", resolved_by: "erin", resolve_reason: "manual" } });
      expect((await inject("POST", `/api/v1/alerts/${spike.id}/ack`)).statusCode).toBe(409);
      expect((await inject("POST", `/api/v1/alerts/al_missing/ack`)).statusCode).toBe(404);
      expect((await inject("POST", `/api/v1/alerts/${spike.id}/ack`, { note: 5 })).statusCode).toBe(400);

      // The burst continues: the spike rule stays quiet (6h cooldown from the manual resolve), the others carry on.
      for (let i = cut; i < sc.items.length; i += 50) await feed(sc.items.slice(i, i + 50));
      const spikes = await db.handle.db.select().from(alerts).where(eq(alerts.ruleId, "spike"));
      expect(spikes).toHaveLength(1);
      const events = await db.handle.db.select().from(alertEvents).where(eq(alertEvents.alertId, spike.id)).orderBy(asc(alertEvents.seq));
      expect(events.map((e) => [e.type, e.actor])).toEqual([
        ...events.slice(0, -2).map((e) => [e.type, "engine"]),
        ["alert.acknowledged", "carol"],
        ["alert.resolved", "erin"],
      ]);
      expect(events[0]!.type).toBe("alert.fired");
      expect(
        published
          .filter((e) => e.alert.id === spike.id)
          .map((e) => e.type)
          .slice(-2),
      ).toEqual(["alert.acknowledged", "alert.resolved"]);

      const detail = await inject("GET", `/api/v1/alerts/${spike.id}`, undefined, "viewer");
      expect(
        detail
          .json()
          .events.map((e: { actor: string }) => e.actor)
          .slice(-2),
      ).toEqual(["carol", "erin"]);
      expect(detail.json().evidence.missing).toEqual([]);
      expect(detail.json().evidence.items.length).toBe(spike.evidence_item_ids.length);
      expect(detail.json().evidence.items[0]).toMatchObject({
        id: spike.evidence_item_ids[0],
        topic: "Legal | Regulation",
        sentiment: "bearish",
      });
    });

    it("lists alerts with filters and a stable cursor", async () => {
      const all = (await inject("GET", "/api/v1/alerts")).json().alerts;
      expect(all.map((a: { rule_id: string }) => a.rule_id).sort()).toEqual(["legal-acme", "level", "level-hourly", "shift", "spike"]);
      expect((await inject("GET", "/api/v1/alerts?severity=critical")).json().alerts.map((a: { rule_id: string }) => a.rule_id)).toEqual([
        "spike",
      ]);
      expect((await inject("GET", "/api/v1/alerts?entity=TICKER:ZZZ")).json().alerts).toEqual([]);
      expect((await inject("GET", "/api/v1/alerts?state=firing")).json().alerts).toEqual([]);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { alerts: { id: string }[]; next_cursor: string | null } = (
          await inject("GET", `/api/v1/alerts?limit=2${cursor ? `&cursor=${cursor}` : ""}`)
        ).json();
        expect(page.alerts.length).toBeLessThanOrEqual(2);
        seen.push(...page.alerts.map((a) => a.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen).toEqual(all.map((a: { id: string }) => a.id));
      // The allowed values are named, not a bare "Invalid input".
      expect((await inject("GET", "/api/v1/alerts?state=bogus")).json()).toMatchObject({
        error: "validation_failed",
        problems: [{ path: "state", message: expect.stringMatching(/expected one of .*"firing".*"open"/) }],
      });
      expect((await inject("GET", "/api/v1/alerts?cursor=zzz")).statusCode).toBe(400);
      expect((await inject("GET", "/api/v1/alerts/al_missing")).statusCode).toBe(404);
    });

    it("the engine picks up rule changes without a restart; disabling a rule resolves its open alert", async () => {
      await engine.reloadRules();
      expect(await engine.reloadRules()).toBe(false); // nothing changed since
      const always = {
        id: "always",
        name: "Always",
        type: "sentiment_level",
        severity: "info",
        op: "above",
        threshold: -1,
        min_samples: 1,
        window: { size: "10m", step: "5m" },
        scope: { tickers: ["ACME"] },
      };
      expect((await inject("POST", "/api/v1/rules", always)).statusCode).toBe(201);
      expect(await engine.reloadRules()).toBe(true);
      await feed([1, 2, 3].map((k) => scoredItem({ key: `late-${k}`, t: sc.end + k * MIN, score: 0.1 })));
      const [open] = await db.handle.db.select().from(alerts).where(eq(alerts.ruleId, "always"));
      expect(open).toMatchObject({ state: "firing", entityKey: "TICKER:ACME" });
      await inject("PATCH", "/api/v1/rules/always", { enabled: false });
      expect(await engine.reloadRules()).toBe(true);
      const [closed] = await db.handle.db.select().from(alerts).where(eq(alerts.id, open!.id));
      expect(closed).toMatchObject({ state: "resolved", resolveReason: "rule_removed" });
    });

    it("in a quiet live stream the watermark follows the clock, so alerts still resolve", async () => {
      const rule = {
        id: "always-b",
        name: "Always B",
        type: "sentiment_level",
        severity: "info",
        op: "above",
        threshold: -1,
        min_samples: 1,
        window: { size: "10m", step: "5m" },
        scope: { tickers: ["ACME"] },
      };
      await inject("POST", "/api/v1/rules", rule);
      await engine.reloadRules();
      await feed([6, 7, 8].map((k) => scoredItem({ key: `quiet-${k}`, t: sc.end + k * MIN, score: 0.1 })));
      const [open] = await db.handle.db.select().from(alerts).where(eq(alerts.ruleId, "always-b"));
      expect(open!.state).toBe("firing");
      await engine.tick(); // input just arrived: nothing moves
      expect((await db.handle.db.select().from(alerts).where(eq(alerts.id, open!.id)))[0]!.state).toBe("firing");
      clock = sc.end + 40 * MIN; // 40 quiet minutes later, newest event 32 minutes old: still a live stream
      await engine.tick();
      const [after] = await db.handle.db.select().from(alerts).where(eq(alerts.id, open!.id));
      expect(after).toMatchObject({ state: "resolved", resolveReason: "cleared" });
      expect(after!.resolvedAt!.getTime()).toBeLessThanOrEqual(clock - 2 * MIN - MIN);
    });
  });
}

apiSuite("pglite");
if (!process.env.DATABASE_URL) console.warn("alert API: skipping the Postgres run (DATABASE_URL not set)");
describe.skipIf(!process.env.DATABASE_URL)("with Postgres", () => apiSuite("pg"));
