import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { MemoryBus } from "@finsentry/bus";
import { openDb, webhookNotices, webhookSubscriptions, type DbHandle } from "@finsentry/db";
import { TOPICS } from "@finsentry/schemas";
import { claimDue, enqueueEvents } from "../src/store.ts";
import { fromAlertEvent } from "../src/events.ts";
import { verifyWebhook } from "../src/verify-snippet.mjs";
import { alertEvent, Receiver, waitUntil } from "./helpers.ts";
import { api, createWebhook, deadLetterThenReplay, deliveriesOf, deliveryRow, notifier, retryThenDeliver, type Env } from "./scenarios.ts";

// The whole flow on the embedded stack: MemoryBus + PGlite (always runs).
let db: DbHandle;
let env: Env;
let n = 0;

beforeAll(async () => {
  db = await openDb();
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.db.delete(webhookNotices);
  await db.db.delete(webhookSubscriptions); // cascades to deliveries and attempts
  env = { db, bus: new MemoryBus(2), groupId: `notifier-${++n}` };
});

describe("webhook delivery on MemoryBus + PGlite", () => {
  it("retries 500, a timeout and 429 (honouring Retry-After) and delivers on the 4th attempt", async () => {
    await retryThenDeliver(env);
  });

  it("dead-letters after the retry budget and a replay delivers once the receiver is back", async () => {
    await deadLetterThenReplay(env);
  });

  it("loses nothing when a worker dies holding a claimed delivery", async () => {
    const receiver = await new Receiver().listen();
    const app = await api(env);
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      const ev = alertEvent();
      await enqueueEvents(db.db, [fromAlertEvent(ev)!], new Date());
      // A worker claims the row and then dies (never finishes or releases it).
      const [claimed] = await claimDue(db.db, { limit: 10, leaseMs: 200, now: new Date() });
      expect(claimed).toMatchObject({ status: "delivering", subscriptionId: hook.id });
      // Not due for anyone else while the lease holds.
      expect(await claimDue(db.db, { limit: 10, leaseMs: 200, now: new Date() })).toEqual([]);
      const nb = await notifier(env);
      try {
        const reqs = await receiver.waitFor(1);
        await waitUntil(async () => (await deliveryRow(env, claimed!.id))?.status === "succeeded", "redelivery");
        expect(reqs[0]!.headers["webhook-id"]).toBe(claimed!.id);
        expect(verifyWebhook(hook.secret, reqs[0]!.headers, reqs[0]!.body)).toMatchObject({ data: { event_id: ev.event_id } });
        expect(receiver.requests).toHaveLength(1);
      } finally {
        await nb.stop();
      }
      // The dead worker's late result cannot overwrite the state: its claim token is no longer current.
      expect((await deliveryRow(env, claimed!.id))?.attempts).toBe(1);
    } finally {
      await app.close();
      await receiver.close();
    }
  });

  it("stop() lets an in-flight delivery finish and be recorded", async () => {
    const receiver = await new Receiver([{ status: 200, delayMs: 300 }]).listen();
    const app = await api(env);
    const nt = await notifier(env);
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      const ev = alertEvent();
      await env.bus.send(TOPICS.alerts, [{ key: ev.alert.id, value: JSON.stringify(ev) }]);
      await receiver.waitFor(1); // the request is at the receiver, the answer is 300 ms away
      await nt.stop();
      const [d] = await deliveriesOf(app, hook.id);
      expect(d).toMatchObject({ status: "succeeded", attempt_count: 1 });
    } finally {
      await nt.stop();
      await app.close();
      await receiver.close();
    }
  });

  it("writes one delivery per (event, subscription) however often the event arrives", async () => {
    const receiver = await new Receiver().listen();
    const app = await api(env);
    const nt = await notifier(env);
    try {
      const a = await createWebhook(app, { url: receiver.url("/a") });
      const b = await createWebhook(app, { url: receiver.url("/b") });
      const ev = alertEvent();
      const marker = alertEvent();
      const msg = (e: typeof ev) => ({ key: "same-partition", value: JSON.stringify(e) });
      await env.bus.send(TOPICS.alerts, [msg(ev), msg(ev), msg(marker)]);
      expect(await enqueueEvents(db.db, [fromAlertEvent(ev)!], new Date())).toBe(0);
      // The marker comes after both copies on the same partition: once it is in, the copies were handled.
      await waitUntil(async () => (await deliveriesOf(app, b.id)).some((d) => d.event_id === marker.event_id), "the marker");
      for (const id of [a.id, b.id]) {
        expect((await deliveriesOf(app, id)).filter((d) => d.event_id === ev.event_id)).toHaveLength(1);
      }
      await receiver.waitFor(4);
      expect(new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size).toBe(4);
    } finally {
      await nt.stop();
      await app.close();
      await receiver.close();
    }
  });

  it("delivers model.promoted, skips other model events and invalid messages, and applies type filters", async () => {
    const receiver = await new Receiver().listen();
    const app = await api(env);
    const nt = await notifier(env);
    try {
      const models = await createWebhook(app, { url: receiver.url("/models"), event_types: ["model.promoted"] });
      const alerts = await createWebhook(app, { url: receiver.url("/alerts"), event_types: ["alert.resolved"], severities: ["critical"] });
      const at = new Date().toISOString();
      await env.bus.send(TOPICS.modelEvents, [
        { key: "m", value: "not json" },
        { key: "m", value: JSON.stringify({ v: 1, type: "model.registered", version: "v8", previous_version: null, at }) },
        { key: "m", value: JSON.stringify({ v: 1, type: "model.promoted", version: "v8", previous_version: "v7", at }) },
      ]);
      const fired = alertEvent({ type: "alert.fired" });
      const resolvedInfo = alertEvent({ type: "alert.resolved", severity: "info" });
      const resolved = alertEvent({ type: "alert.resolved", severity: "critical" });
      await env.bus.send(
        TOPICS.alerts,
        [fired, resolvedInfo, resolved].map((e) => ({ key: "k", value: JSON.stringify(e) })),
      );
      const reqs = await receiver.waitFor(2);
      await waitUntil(
        async () => (await deliveriesOf(app, alerts.id)).length > 0 && (await deliveriesOf(app, models.id)).length > 0,
        "both deliveries",
      );
      const byPath = Object.fromEntries(reqs.map((r) => [r.url, r]));
      expect(verifyWebhook(models.secret, byPath["/models"]!.headers, byPath["/models"]!.body)).toEqual({
        type: "model.promoted",
        timestamp: at,
        data: { event_id: `model.promoted:v8:${at}`, version: "v8", previous_version: "v7" },
      });
      expect(verifyWebhook(alerts.secret, byPath["/alerts"]!.headers, byPath["/alerts"]!.body)).toMatchObject({
        type: "alert.resolved",
        data: { event_id: resolved.event_id },
      });
      expect((await deliveriesOf(app, models.id)).map((d) => d.event_type)).toEqual(["model.promoted"]);
      expect((await deliveriesOf(app, alerts.id)).map((d) => d.event_id)).toEqual([resolved.event_id]);
    } finally {
      await nt.stop();
      await app.close();
      await receiver.close();
    }
  });

  it("treats 4xx as final after one attempt", async () => {
    const receiver = await new Receiver([], { status: 404, body: "no such hook" }).listen();
    const app = await api(env);
    const nt = await notifier(env);
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      const ev = alertEvent();
      await env.bus.send(TOPICS.alerts, [{ key: "k", value: JSON.stringify(ev) }]);
      const [d] = await waitUntil(async () => {
        const ds = await deliveriesOf(app, hook.id);
        return ds[0]?.status === "dead" ? ds : null;
      }, "dead letter");
      expect(d!.attempts.map((a) => [a.outcome, a.status_code, a.response_excerpt])).toEqual([["failed", 404, "no such hook"]]);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await nt.stop();
      await app.close();
      await receiver.close();
    }
  });

  it("disables an endpoint that keeps failing, records a notice, and dead-letters its backlog", async () => {
    const receiver = await new Receiver([], { status: 503 }).listen();
    const app = await api(env);
    // disableAfterMs 0: the first failure already exceeds the allowed failing period.
    const nt = await notifier(env, { disableAfterMs: 0, concurrency: 1 });
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      const events = [alertEvent(), alertEvent()];
      await env.bus.send(
        TOPICS.alerts,
        events.map((e) => ({ key: "k", value: JSON.stringify(e) })),
      );
      const notices = await waitUntil(async () => {
        const res = await app.inject({ method: "GET", url: "/api/v1/webhooks/notices?unacknowledged=true" });
        const list = (res.json() as { notices: { id: number; subscription_id: string; kind: string; message: string }[] }).notices;
        return list.length > 0 ? list : null;
      }, "a notice");
      expect(notices).toEqual([
        expect.objectContaining({ subscription_id: hook.id, kind: "endpoint_disabled", message: expect.stringContaining("HTTP 503") }),
      ]);
      const ds = await waitUntil(async () => {
        const all = await deliveriesOf(app, hook.id);
        return all.length === 2 && all.every((d) => d.status === "dead") ? all : null;
      }, "backlog dead-lettered");
      expect(ds.some((d) => d.last_error === "subscription disabled")).toBe(true);
      const sub = (await app.inject({ method: "GET", url: `/api/v1/webhooks/${hook.id}` })).json() as { webhook: Record<string, unknown> };
      expect(sub.webhook).toMatchObject({ enabled: false, disabled_reason: "failing continuously" });
      expect(receiver.requests).toHaveLength(1);
      // Replay is refused while disabled; re-enabling clears the streak.
      expect((await app.inject({ method: "POST", url: `/api/v1/webhooks/deliveries/${ds[0]!.id}/replay` })).statusCode).toBe(409);
      const re = await app.inject({ method: "PATCH", url: `/api/v1/webhooks/${hook.id}`, payload: { enabled: true } });
      expect(re.json()).toMatchObject({ webhook: { enabled: true, disabled_reason: null, failing_since: null } });
      const ack = await app.inject({ method: "POST", url: `/api/v1/webhooks/notices/${notices[0]!.id}/ack` });
      expect(ack.json()).toMatchObject({ notice: { acknowledged_at: expect.any(String) } });
      const left = await app.inject({ method: "GET", url: "/api/v1/webhooks/notices?unacknowledged=true" });
      expect(left.json()).toEqual({ notices: [] });
    } finally {
      await nt.stop();
      await app.close();
      await receiver.close();
    }
  });

  it("re-checks the target at send time (DNS rebinding) and pins the connection to the checked address", async () => {
    const receiver = await new Receiver().listen();
    // At subscription time the name looks public ...
    const app = await api(env, { allowPrivate: "none", resolve: async () => [{ address: "93.184.216.34", family: 4 }] });
    // ... at send time it answers with loopback.
    const nt = await notifier(env, { allowPrivate: "none", resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    try {
      const hook = await createWebhook(app, { url: `http://rebind.example.test:${receiver.port}/hook` });
      await env.bus.send(TOPICS.alerts, [{ key: "k", value: JSON.stringify(alertEvent()) }]);
      const [d] = await waitUntil(async () => {
        const ds = await deliveriesOf(app, hook.id);
        return ds[0]?.status === "dead" ? ds : null;
      }, "refusal");
      expect(d!.attempts).toEqual([
        expect.objectContaining({
          outcome: "failed",
          status_code: null,
          error: expect.stringMatching(/refused target: rebind\.example\.test resolves to 127\.0\.0\.1 \(loopback\)/),
        }),
      ]);
      expect(receiver.requests).toHaveLength(0);
      expect((await app.inject({ method: "DELETE", url: `/api/v1/webhooks/${hook.id}` })).statusCode).toBe(204);
    } finally {
      await nt.stop();
      await app.close();
    }
    // With loopback allowed, the same unresolvable name is delivered to the address the resolver vetted.
    const app2 = await api(env, { resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    const nt2 = await notifier(env, { resolve: async () => [{ address: "127.0.0.1", family: 4 }] });
    try {
      const hook = await createWebhook(app2, { url: `http://pinned.example.test:${receiver.port}/hook` });
      await env.bus.send(TOPICS.alerts, [{ key: "k", value: JSON.stringify(alertEvent()) }]);
      const reqs = await receiver.waitFor(1);
      expect(reqs[0]!.headers.host).toBe(`pinned.example.test:${receiver.port}`);
      expect(() => verifyWebhook(hook.secret, reqs[0]!.headers, reqs[0]!.body)).not.toThrow();
    } finally {
      await nt2.stop();
      await app2.close();
      await receiver.close();
    }
  });

  it("refuses at send time a target the notifier's own setting forbids", async () => {
    const receiver = await new Receiver().listen();
    const app = await api(env);
    const nt = await notifier(env, { allowPrivate: "none" });
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      await env.bus.send(TOPICS.alerts, [{ key: "k", value: JSON.stringify(alertEvent()) }]);
      const [d] = await waitUntil(async () => {
        const ds = await deliveriesOf(app, hook.id);
        return ds[0]?.status === "dead" ? ds : null;
      }, "refusal");
      expect(d!.last_error).toMatch(/refused target: address 127\.0\.0\.1 \(loopback\)/);
      expect(receiver.requests).toHaveLength(0);
      const [sub] = await db.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, hook.id));
      expect(sub?.failingSince).toBeInstanceOf(Date);
    } finally {
      await nt.stop();
      await app.close();
      await receiver.close();
    }
  });
});
