import Fastify from "fastify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { MemoryBus } from "@finsentry/bus";
import { openDb, webhookDeliveries, webhookSubscriptions, type DbHandle } from "@finsentry/db";
import { webhookRoutes } from "../src/routes.ts";
import { enqueueEvents } from "../src/store.ts";
import { fromAlertEvent } from "../src/events.ts";
import { verifyWebhook } from "../src/verify-snippet.mjs";
import { alertEvent, quietLog, Receiver } from "./helpers.ts";
import { api, createWebhook, type Env } from "./scenarios.ts";

let db: DbHandle;
let env: Env;
beforeAll(async () => {
  db = await openDb();
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.db.delete(webhookSubscriptions);
  env = { db, bus: new MemoryBus(1), groupId: "unused" };
});

describe("webhook admin API", () => {
  it("marks every route admin-only", async () => {
    const app = Fastify();
    const routes: { url: string; method: unknown; config: unknown }[] = [];
    app.addHook("onRoute", (r) => void routes.push({ url: r.url, method: r.method, config: r.config }));
    await webhookRoutes(app, { db: db.db, log: quietLog });
    await app.ready();
    const urls = routes.map((r) => `${String(r.method)} ${r.url}`);
    for (const u of [
      "POST /api/v1/webhooks",
      "GET /api/v1/webhooks",
      "GET /api/v1/webhooks/:id",
      "PATCH /api/v1/webhooks/:id",
      "DELETE /api/v1/webhooks/:id",
      "POST /api/v1/webhooks/:id/rotate-secret",
      "POST /api/v1/webhooks/:id/test",
      "GET /api/v1/webhooks/:id/deliveries",
      "POST /api/v1/webhooks/deliveries/:id/replay",
      "GET /api/v1/webhooks/notices",
    ]) {
      expect(urls).toContain(u);
    }
    for (const r of routes.filter((r) => r.method !== "HEAD")) expect(r.config, r.url).toMatchObject({ minRole: "admin" });
    await app.close();
  });

  it("creates, lists, updates and deletes subscriptions; the secret is shown only on create", async () => {
    const app = await api(env);
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/webhooks",
      payload: {
        url: "http://127.0.0.1:9/hook",
        description: "ops",
        event_types: ["alert.fired", "alert.fired"],
        severities: ["critical"],
        rule_ids: ["r1"],
        entity_keys: ["TICKER:ACME"],
      },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json() as { webhook: Record<string, unknown> & { id: string }; secret: string };
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.webhook).toMatchObject({
      url: "http://127.0.0.1:9/hook",
      enabled: true,
      event_types: ["alert.fired"],
      severities: ["critical"],
      rule_ids: ["r1"],
      entity_keys: ["TICKER:ACME"],
      description: "ops",
    });
    expect(JSON.stringify(created.webhook)).not.toContain(created.secret.slice(6));

    const list = await app.inject({ method: "GET", url: "/api/v1/webhooks" });
    expect(list.json()).toEqual({ webhooks: [created.webhook] });
    expect(list.body).not.toContain(created.secret.slice(6));
    const one = await app.inject({ method: "GET", url: `/api/v1/webhooks/${created.webhook.id}` });
    expect(one.body).not.toContain('secret":');

    const upd = await app.inject({
      method: "PATCH",
      url: `/api/v1/webhooks/${created.webhook.id}`,
      payload: { severities: [], enabled: false },
    });
    expect(upd.json()).toMatchObject({
      webhook: { severities: [], enabled: false, disabled_reason: "disabled by an admin", event_types: ["alert.fired"] },
    });

    expect((await app.inject({ method: "DELETE", url: `/api/v1/webhooks/${created.webhook.id}` })).statusCode).toBe(204);
    expect((await app.inject({ method: "GET", url: `/api/v1/webhooks/${created.webhook.id}` })).statusCode).toBe(404);
    expect((await app.inject({ method: "DELETE", url: `/api/v1/webhooks/${created.webhook.id}` })).statusCode).toBe(404);
    expect((await app.inject({ method: "PATCH", url: "/api/v1/webhooks/wh_nope", payload: {} })).statusCode).toBe(404);
    expect((await app.inject({ method: "POST", url: "/api/v1/webhooks/wh_nope/test" })).statusCode).toBe(404);
    expect((await app.inject({ method: "GET", url: "/api/v1/webhooks/wh_nope/deliveries" })).statusCode).toBe(404);
    expect((await app.inject({ method: "POST", url: "/api/v1/webhooks/deliveries/msg_nope/replay" })).statusCode).toBe(404);
    await app.close();
  });

  it("answers bad input with validation_failed and per-field problems", async () => {
    const app = await api(env);
    const cases: [unknown, string][] = [
      [{}, "url"],
      [{ url: "http://127.0.0.1/", event_types: ["alert.updated"] }, "event_types.0"],
      [{ url: "http://127.0.0.1/", severities: ["huge"] }, "severities.0"],
      [{ url: "http://127.0.0.1/", surprise: 1 }, "(root)"],
      [{ url: "http://10.0.0.1/hook" }, "url"],
      [{ url: "http://169.254.169.254/latest/meta-data/" }, "url"],
      [{ url: "http://[::ffff:127.0.0.1]/" }, "__allowed__"],
      [{ url: "ftp://127.0.0.1/" }, "url"],
    ];
    for (const [payload, path] of cases) {
      const res = await app.inject({ method: "POST", url: "/api/v1/webhooks", payload: payload as object });
      if (path === "__allowed__") {
        expect(res.statusCode, JSON.stringify(payload)).toBe(201); // loopback is allowed in this API instance
        continue;
      }
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const body = res.json() as { error: string; problems: { path: string; message: string }[] };
      expect(body.error).toBe("validation_failed");
      expect(
        body.problems.map((p) => p.path),
        JSON.stringify(payload),
      ).toContain(path);
    }
    const strict = await api(env, { allowPrivate: "none" });
    const refused = await strict.inject({ method: "POST", url: "/api/v1/webhooks", payload: { url: "http://localhost:8080/hook" } });
    expect(refused.json()).toEqual({
      type: "urn:finsentry:problem:validation_failed",
      title: "Bad Request",
      status: 400,
      detail: expect.any(String),
      error: "validation_failed",
      problems: [{ path: "url", message: expect.stringMatching(/localhost resolves to .*loopback/) }],
    });
    const nxdomain = await api(env, {
      resolve: async () => Promise.reject(Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" })),
    });
    const unresolved = await nxdomain.inject({
      method: "POST",
      url: "/api/v1/webhooks",
      payload: { url: "https://does-not-exist.invalid/" },
    });
    expect(unresolved.json()).toEqual({
      type: "urn:finsentry:problem:validation_failed",
      title: "Bad Request",
      status: 400,
      detail: expect.any(String),
      error: "validation_failed",
      problems: [{ path: "url", message: "host could not be resolved (ENOTFOUND)" }],
    });
    await nxdomain.close();
    const q = await app.inject({ method: "GET", url: "/api/v1/webhooks/wh_x/deliveries?limit=0" });
    expect(q.json()).toMatchObject({ error: "validation_failed", problems: [{ path: "limit" }] });
    const rot = await app.inject({ method: "POST", url: "/api/v1/webhooks/wh_x/rotate-secret", payload: { overlap_seconds: -1 } });
    expect(rot.json()).toMatchObject({ error: "validation_failed", problems: [{ path: "overlap_seconds" }] });
    await app.close();
    await strict.close();
  });

  it("rotates the secret: both signatures during the overlap, only the new one after", async () => {
    const receiver = await new Receiver().listen();
    const app = await api(env);
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      const rot = await app.inject({
        method: "POST",
        url: `/api/v1/webhooks/${hook.id}/rotate-secret`,
        payload: { overlap_seconds: 3600 },
      });
      expect(rot.statusCode).toBe(200);
      const { secret: newSecret, webhook } = rot.json() as { secret: string; webhook: { previous_secret_expires_at: string } };
      expect(newSecret).not.toBe(hook.secret);
      expect(Date.parse(webhook.previous_secret_expires_at)).toBeGreaterThan(Date.now());

      const ping = await app.inject({ method: "POST", url: `/api/v1/webhooks/${hook.id}/test` });
      expect(ping.json()).toMatchObject({
        delivered: true,
        delivery: { event_type: "webhook.test", status: "succeeded", attempts: [{ outcome: "success", status_code: 200 }] },
      });
      const [r1] = await receiver.waitFor(1);
      expect(r1!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
      expect(verifyWebhook(hook.secret, r1!.headers, r1!.body)).toMatchObject({ type: "webhook.test", data: { subscription_id: hook.id } });
      expect(verifyWebhook(newSecret, r1!.headers, r1!.body)).toMatchObject({ type: "webhook.test" });

      // No overlap: the old secret stops signing at once.
      const rot2 = await app.inject({ method: "POST", url: `/api/v1/webhooks/${hook.id}/rotate-secret`, payload: { overlap_seconds: 0 } });
      const newest = (rot2.json() as { secret: string }).secret;
      await app.inject({ method: "POST", url: `/api/v1/webhooks/${hook.id}/test` });
      const r2 = (await receiver.waitFor(2))[1]!;
      expect(r2.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
      expect(() => verifyWebhook(newSecret, r2.headers, r2.body)).toThrow(/signature/);
      expect(verifyWebhook(newest, r2.headers, r2.body)).toMatchObject({ type: "webhook.test" });
    } finally {
      await app.close();
      await receiver.close();
    }
  });

  it("stores secrets encrypted when a key is configured, and deliveries still verify with the shown secret", async () => {
    const receiver = await new Receiver().listen();
    const secretKey = Buffer.alloc(32, 9).toString("base64");
    const app = await api(env, { secretKey });
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      const [row] = await db.db.select().from(webhookSubscriptions).where(eq(webhookSubscriptions.id, hook.id));
      expect(row!.secret).toMatch(/^enc:v1:/);
      expect(row!.secret).not.toContain(hook.secret.slice(6));
      const ping = await app.inject({ method: "POST", url: `/api/v1/webhooks/${hook.id}/test` });
      expect(ping.json()).toMatchObject({ delivered: true });
      const [r] = await receiver.waitFor(1);
      expect(verifyWebhook(hook.secret, r!.headers, r!.body)).toMatchObject({ type: "webhook.test" });
      // A process without the key cannot sign: the attempt fails (retryably) instead of sending unsigned.
      const keyless = await api(env, { secretKey: undefined });
      const bad = await keyless.inject({ method: "POST", url: `/api/v1/webhooks/${hook.id}/test` });
      expect(bad.json()).toMatchObject({
        delivered: false,
        delivery: { status: "pending", attempts: [{ outcome: "retry", error: expect.stringMatching(/WEBHOOK_SECRET_KEY/) }] },
      });
      expect(receiver.requests).toHaveLength(1);
      await keyless.close();
    } finally {
      await app.close();
      await receiver.close();
    }
  });

  it("reports a failing test ping, lists deliveries by status, and refuses to replay what is still queued", async () => {
    const receiver = await new Receiver([], { status: 500, body: "x".repeat(5000) }).listen();
    const app = await api(env);
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      const ping = await app.inject({ method: "POST", url: `/api/v1/webhooks/${hook.id}/test` });
      const p = ping.json() as {
        delivered: boolean;
        delivery: { id: string; status: string; next_attempt_at: string; attempts: { response_excerpt: string }[] };
      };
      expect(p).toMatchObject({ delivered: false, delivery: { status: "pending", last_status_code: 500 } });
      expect(p.delivery.attempts[0]!.response_excerpt).toHaveLength(1024);
      expect(p.delivery.next_attempt_at).toEqual(expect.any(String));
      const replay = await app.inject({ method: "POST", url: `/api/v1/webhooks/deliveries/${p.delivery.id}/replay` });
      expect(replay.statusCode).toBe(409);

      await enqueueEvents(db.db, [fromAlertEvent(alertEvent())!], new Date());
      const pending = await app.inject({ method: "GET", url: `/api/v1/webhooks/${hook.id}/deliveries?status=pending&limit=10` });
      const list = (pending.json() as { deliveries: { event_type: string }[] }).deliveries;
      expect(list.map((d) => d.event_type).sort()).toEqual(["alert.fired", "webhook.test"]);
      const none = await app.inject({ method: "GET", url: `/api/v1/webhooks/${hook.id}/deliveries?status=succeeded` });
      expect(none.json()).toEqual({ deliveries: [] });
      const one = await app.inject({ method: "GET", url: `/api/v1/webhooks/deliveries/${p.delivery.id}` });
      expect(one.json()).toMatchObject({ delivery: { id: p.delivery.id, attempts: [{ attempt: 1 }] } });
      const rows = await db.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, hook.id));
      expect(rows).toHaveLength(2);
    } finally {
      await app.close();
      await receiver.close();
    }
  });
});
