/** Flow scenarios shared by the embedded (MemoryBus + PGlite) and the real (Kafka + Postgres) test files. */
import Fastify, { type FastifyInstance } from "fastify";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import type { Bus } from "@finsentry/bus";
import { webhookDeliveries, type DbHandle } from "@finsentry/db";
import { TOPICS } from "@finsentry/schemas";
import { startNotifier, type NotifierDeps } from "../src/notifier.ts";
import { webhookRoutes, type WebhookRouteDeps } from "../src/routes.ts";
import { WebhookPayloadV1 } from "../src/events.ts";
import { verifyWebhook } from "../src/verify-snippet.mjs";
import { alertEvent, quietLog, Receiver, waitUntil } from "./helpers.ts";

export interface Env {
  db: DbHandle;
  bus: Bus;
  groupId: string;
}

/** Test-speed settings: tiny backoff, short timeout, fast polling; loopback receivers explicitly allowed. */
export const fast = {
  schedule: [20, 20, 20, 20],
  jitter: 0,
  timeoutMs: 400,
  pollMs: 20,
  allowPrivate: "loopback" as const,
  disableAfterMs: 3_600_000,
};

export async function api(env: Env, over: Partial<WebhookRouteDeps> = {}): Promise<FastifyInstance> {
  const app = Fastify();
  await webhookRoutes(app, {
    db: env.db.db,
    log: quietLog,
    allowPrivate: "loopback",
    timeoutMs: fast.timeoutMs,
    schedule: fast.schedule,
    disableAfterMs: fast.disableAfterMs,
    ...over,
  });
  await app.ready();
  return app;
}

export function notifier(env: Env, over: Partial<NotifierDeps> = {}) {
  return startNotifier({ bus: env.bus, db: env.db, log: quietLog, groupId: env.groupId, ...fast, ...over });
}

export async function createWebhook(app: FastifyInstance, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await app.inject({ method: "POST", url: "/api/v1/webhooks", payload: body });
  expect(res.statusCode, res.body).toBe(201);
  const j = res.json() as { webhook: { id: string }; secret: string };
  return { id: j.webhook.id, secret: j.secret };
}

export async function deliveriesOf(app: FastifyInstance, id: string) {
  const res = await app.inject({ method: "GET", url: `/api/v1/webhooks/${id}/deliveries` });
  expect(res.statusCode).toBe(200);
  return (res.json() as { deliveries: DeliveryView[] }).deliveries;
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempt_count: number;
  replays: number;
  last_error: string | null;
  payload: unknown;
  attempts: {
    attempt: number;
    started_at: string;
    latency_ms: number;
    status_code: number | null;
    error: string | null;
    outcome: string;
    retry_at: string | null;
    response_excerpt: string | null;
  }[];
}

/**
 * The main scenario: the receiver fails three times (500, a timeout, 429 with Retry-After: 1) and takes the
 * 4th attempt; every attempt carries the same webhook-id and a signature the README snippet accepts.
 */
export async function retryThenDeliver(env: Env, entityKey = "TICKER:ACME"): Promise<void> {
  const receiver = await new Receiver([
    { status: 500, body: "boom" },
    "hang",
    { status: 429, headers: { "retry-after": "1" }, body: "slow down" },
    { status: 200, body: "thanks" },
  ]).listen();
  const other = await new Receiver().listen();
  const app = await api(env);
  const n = await notifier(env);
  try {
    const hook = await createWebhook(app, { url: receiver.url(), severities: ["critical", "warning"], entity_keys: [entityKey] });
    const unmatched = await createWebhook(app, { url: other.url(), rule_ids: ["some-other-rule"], entity_keys: [entityKey] });
    const ev = alertEvent({ severity: "critical", entityKey });
    await env.bus.send(TOPICS.alerts, [{ key: ev.alert.id, value: JSON.stringify(ev) }]);

    const reqs = await receiver.waitFor(4);
    const [d] = await waitUntil(async () => {
      const ds = await deliveriesOf(app, hook.id);
      return ds[0]?.status === "succeeded" ? ds : null;
    }, "the delivery to succeed");
    expect(reqs).toHaveLength(4);
    // Verified with the exact code the README publishes.
    const event = verifyWebhook(hook.secret, reqs[3]!.headers, reqs[3]!.body);
    expect(WebhookPayloadV1.parse(event)).toMatchObject({
      type: "alert.fired",
      timestamp: ev.at,
      data: { event_id: ev.event_id, alert: { id: ev.alert.id, severity: "critical" } },
    });
    for (const r of reqs) {
      expect(r.headers["webhook-id"]).toBe(d!.id);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(() => verifyWebhook(hook.secret, r.headers, r.body)).not.toThrow();
      expect(r.body.equals(reqs[0]!.body)).toBe(true);
    }
    expect(d!.attempt_count).toBe(4);
    expect(d!.attempts.map((a) => [a.attempt, a.outcome, a.status_code])).toEqual([
      [1, "retry", 500],
      [2, "retry", null],
      [3, "retry", 429],
      [4, "success", 200],
    ]);
    expect(d!.attempts[0]!.response_excerpt).toBe("boom");
    expect(d!.attempts[1]!.error).toMatch(/timed out/);
    const end = (a: DeliveryView["attempts"][number]) => Date.parse(a.started_at) + a.latency_ms;
    // The schedule's 20 ms for ordinary failures, the receiver's Retry-After for the 429.
    expect(Date.parse(d!.attempts[0]!.retry_at!) - end(d!.attempts[0]!)).toBe(20);
    expect(Date.parse(d!.attempts[2]!.retry_at!) - end(d!.attempts[2]!)).toBe(1000);
    expect(Date.parse(d!.attempts[3]!.started_at)).toBeGreaterThanOrEqual(Date.parse(d!.attempts[2]!.retry_at!));
    expect(d!.attempts[3]!.retry_at).toBeNull();
    // Filters: the other subscription wants another rule, so it got nothing.
    expect(await deliveriesOf(app, unmatched.id)).toEqual([]);
    expect(other.requests).toHaveLength(0);
    const sub = (await app.inject({ method: "GET", url: `/api/v1/webhooks/${hook.id}` })).json() as {
      webhook: { failing_since: string | null; enabled: boolean };
    };
    expect(sub.webhook).toMatchObject({ failing_since: null, enabled: true });
  } finally {
    await n.stop();
    await app.close();
    await receiver.close();
    await other.close();
  }
}

/** A receiver down past the retry budget leaves a dead letter; once it is back, a replay delivers the same message. */
export async function deadLetterThenReplay(env: Env): Promise<void> {
  const probe = await new Receiver().listen();
  const port = probe.port;
  await probe.close(); // nothing listens there now: connection refused
  const app = await api(env);
  const n = await notifier(env, { schedule: [10, 10] });
  let receiver: Receiver | undefined;
  try {
    const hook = await createWebhook(app, { url: `http://127.0.0.1:${port}/hook` });
    const ev = alertEvent();
    await env.bus.send(TOPICS.alerts, [{ key: ev.alert.id, value: JSON.stringify(ev) }]);
    const [dead] = await waitUntil(async () => {
      const ds = await deliveriesOf(app, hook.id);
      return ds[0]?.status === "dead" ? ds : null;
    }, "the delivery to be dead-lettered");
    expect(dead!.attempts.map((a) => a.outcome)).toEqual(["retry", "retry", "failed"]);
    expect(dead!.attempts.every((a) => /ECONNREFUSED/.test(a.error ?? ""))).toBe(true);
    expect(dead!.last_error).toMatch(/retries exhausted/);

    receiver = await new Receiver().listen(port);
    const replay = await app.inject({ method: "POST", url: `/api/v1/webhooks/deliveries/${dead!.id}/replay` });
    expect(replay.statusCode, replay.body).toBe(202);
    const reqs = await receiver.waitFor(1);
    const [done] = await waitUntil(async () => {
      const ds = await deliveriesOf(app, hook.id);
      return ds[0]?.status === "succeeded" ? ds : null;
    }, "the replay to succeed");
    expect(reqs[0]!.headers["webhook-id"]).toBe(dead!.id);
    expect(verifyWebhook(hook.secret, reqs[0]!.headers, reqs[0]!.body)).toMatchObject({ data: { event_id: ev.event_id } });
    expect(done).toMatchObject({ id: dead!.id, replays: 1, attempt_count: 4 });
    expect(done!.attempts.map((a) => a.outcome)).toEqual(["retry", "retry", "failed", "success"]);
  } finally {
    await n.stop();
    await app.close();
    await receiver?.close();
  }
}

/** Reads one delivery row straight from the table. */
export async function deliveryRow(env: Env, id: string) {
  const [row] = await env.db.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id));
  return row;
}
