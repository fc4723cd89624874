import type { FastifyContextConfig, FastifyInstance, FastifyReply } from "fastify";
import { and, asc, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { problem as httpProblem, sendProblem, validationProblem, type Logger } from "@finsentry/core";
import { webhookAttempts, webhookDeliveries, webhookNotices, webhookSubscriptions, type Db } from "@finsentry/db";
import { describeIssues, IsoDate, pgText, Severity } from "@finsentry/schemas";
import { loadWebhookConfig, type AllowPrivate } from "./config.ts";
import { attemptDelivery, type DeliveryContext } from "./deliver.ts";
import { SubscribableEventType, testEvent } from "./events.ts";
import { newId } from "./ids.ts";
import { sealSecret } from "./secret-box.ts";
import { deliveryJson, noticeJson, subscriptionJson } from "./serialize.ts";
import { generateSecret } from "./signing.ts";
import { checkTarget, SsrfError, type Resolver } from "./ssrf.ts";
import type { DeliveryRow } from "./store.ts";

export interface WebhookRouteDeps {
  db: Db;
  log?: Logger;
  /** Unset options come from the environment (loadWebhookConfig), as in startNotifier. */
  allowPrivate?: AllowPrivate;
  secretKey?: string;
  timeoutMs?: number;
  schedule?: number[];
  disableAfterMs?: number;
  now?: () => Date;
  resolve?: Resolver;
}

const s = webhookSubscriptions;
const d = webhookDeliveries;
/** Every webhook route needs admin; the rest of the config documents the route (OpenAPI). */
const admin = (doc: Omit<FastifyContextConfig, "minRole">) => ({ config: { ...doc, minRole: "admin" as const } });

const uniq = <T>(a: T[]) => [...new Set(a)];
const Filters = {
  description: pgText().max(500),
  enabled: z.boolean(),
  event_types: z.array(SubscribableEventType).max(10).transform(uniq),
  severities: z.array(Severity).max(3).transform(uniq),
  rule_ids: z.array(pgText().min(1).max(200)).max(200).transform(uniq),
  entity_keys: z.array(pgText().min(1).max(200)).max(200).transform(uniq),
};
const Url = pgText().min(1).max(2048);
const CreateBody = z
  .object({ url: Url, ...Filters })
  .partial()
  .required({ url: true })
  .strict();
const UpdateBody = z
  .object({ url: Url, ...Filters })
  .partial()
  .strict();
const RotateBody = z
  .object({
    overlap_seconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(86_400),
  })
  .strict()
  .default({ overlap_seconds: 86_400 });
const IdParam = z.object({ id: pgText().min(1).max(100) });
const NoticeIdParam = z.object({ id: z.coerce.number().int().positive() });
const DeliveriesQuery = z.object({
  status: z.enum(["pending", "delivering", "succeeded", "dead"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: IsoDate.optional(),
});
const NoticesQuery = z.object({
  unacknowledged: z.enum(["true", "false"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

function invalid(reply: FastifyReply, error: z.ZodError) {
  return sendProblem(reply, validationProblem(describeIssues(error)));
}
function problem(reply: FastifyReply, path: string, message: string) {
  return sendProblem(reply, validationProblem([{ path, message }]));
}
const notFound = (reply: FastifyReply) => sendProblem(reply, httpProblem(404, "not_found", "no such webhook, delivery or notice"));
const conflict = (reply: FastifyReply, message: string) => sendProblem(reply, httpProblem(409, "conflict", message, { message }));

/** What every webhook route shares: the database, the clock, the delivery context and two helpers. */
interface RouteScope {
  app: FastifyInstance;
  db: Db;
  now: () => Date;
  ctx: DeliveryContext;
  secretKey: string | undefined;
  urlProblem(url: string): Promise<string | null>;
  withAttempts(rows: DeliveryRow[]): Promise<ReturnType<typeof deliveryJson>[]>;
}

/** Webhook administration under /api/v1/webhooks; every route needs the admin role. */
export async function webhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): Promise<void> {
  const ctx = deliveryContext(app, deps);
  const scope: RouteScope = {
    app,
    db: ctx.db,
    now: ctx.now,
    ctx,
    secretKey: ctx.secretKey,
    urlProblem: (url) => urlProblem(url, ctx.allowPrivate, ctx.resolve),
    withAttempts: (rows) => withAttempts(ctx.db, rows),
  };
  // Registered in the same order as before the split, so the OpenAPI document lists the paths unchanged.
  subscriptionCollectionRoutes(scope);
  noticeRoutes(scope);
  deliveryRoutes(scope);
  subscriptionRoutes(scope);
  subscriptionDeliveryRoutes(scope);
}

/** Delivery settings for test sends: the deps where given, else the environment (as the notifier does). */
function deliveryContext(app: FastifyInstance, deps: WebhookRouteDeps): DeliveryContext {
  const env = loadWebhookConfig();
  return {
    db: deps.db,
    log: deps.log ?? (app.log as unknown as Logger),
    schedule: deps.schedule ?? env.schedule,
    jitter: 0.2,
    timeoutMs: deps.timeoutMs ?? env.timeoutMs,
    allowPrivate: deps.allowPrivate ?? env.allowPrivate,
    secretKey: deps.secretKey ?? env.secretKey,
    disableAfterMs: deps.disableAfterMs ?? env.disableAfterMs,
    now: deps.now ?? (() => new Date()),
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  };
}

/** The URL check at subscription time; the same check runs again before every attempt. */
async function urlProblem(url: string, allowPrivate: AllowPrivate, resolve: Resolver | undefined): Promise<string | null> {
  try {
    await checkTarget(url, allowPrivate, resolve);
    return null;
  } catch (err) {
    if (err instanceof SsrfError) return err.message;
    const e = err as NodeJS.ErrnoException;
    return `host could not be resolved (${e.code ?? e.message})`;
  }
}

/** Deliveries as JSON with their attempts, loaded in one query for all rows. */
async function withAttempts(db: Db, rows: DeliveryRow[]) {
  if (rows.length === 0) return [];
  const attempts = await db
    .select()
    .from(webhookAttempts)
    .where(
      inArray(
        webhookAttempts.deliveryId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(webhookAttempts.attempt), asc(webhookAttempts.id));
  return rows.map((r) =>
    deliveryJson(
      r,
      attempts.filter((a) => a.deliveryId === r.id),
    ),
  );
}

/** Subscribe a URL, and list the subscriptions. */
function subscriptionCollectionRoutes({ app, db, now, secretKey, urlProblem }: RouteScope): void {
  app.post(
    "/api/v1/webhooks",
    admin({ summary: "Subscribe a URL to events (the signing secret is shown once)", body: CreateBody }),
    async (req, reply) => {
      const p = CreateBody.safeParse(req.body);
      if (!p.success) return invalid(reply, p.error);
      const bad = await urlProblem(p.data.url);
      if (bad) return problem(reply, "url", bad);
      const secret = generateSecret();
      const t = now();
      const [row] = await db
        .insert(s)
        .values({
          id: newId("wh_"),
          url: p.data.url,
          description: p.data.description ?? "",
          enabled: p.data.enabled ?? true,
          eventTypes: p.data.event_types ?? [],
          severities: p.data.severities ?? [],
          ruleIds: p.data.rule_ids ?? [],
          entityKeys: p.data.entity_keys ?? [],
          secret: sealSecret(secret, secretKey),
          createdAt: t,
          updatedAt: t,
        })
        .returning();
      // The only time the secret is shown.
      return reply.code(201).send({ webhook: subscriptionJson(row!), secret });
    },
  );

  app.get("/api/v1/webhooks", admin({ summary: "List webhooks" }), async () => ({
    webhooks: (await db.select().from(s).orderBy(asc(s.createdAt), asc(s.id))).map(subscriptionJson),
  }));
}

/** One subscription: read, change, delete, and rotate its signing secret. */
function subscriptionRoutes({ app, db, now, secretKey, urlProblem }: RouteScope): void {
  app.get("/api/v1/webhooks/:id", admin({ summary: "One webhook", params: IdParam }), async (req, reply) => {
    const p = IdParam.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    const [row] = await db.select().from(s).where(eq(s.id, p.data.id));
    return row ? { webhook: subscriptionJson(row) } : notFound(reply);
  });

  app.patch(
    "/api/v1/webhooks/:id",
    admin({ summary: "Change a webhook's URL, filters or enabled state", params: IdParam, body: UpdateBody }),
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return invalid(reply, p.error);
      const b = UpdateBody.safeParse(req.body ?? {});
      if (!b.success) return invalid(reply, b.error);
      if (b.data.url !== undefined) {
        const bad = await urlProblem(b.data.url);
        if (bad) return problem(reply, "url", bad);
      }
      const t = now();
      const u = b.data;
      const [row] = await db
        .update(s)
        .set({
          ...(u.url !== undefined ? { url: u.url } : {}),
          ...(u.description !== undefined ? { description: u.description } : {}),
          ...(u.event_types !== undefined ? { eventTypes: u.event_types } : {}),
          ...(u.severities !== undefined ? { severities: u.severities } : {}),
          ...(u.rule_ids !== undefined ? { ruleIds: u.rule_ids } : {}),
          ...(u.entity_keys !== undefined ? { entityKeys: u.entity_keys } : {}),
          // Re-enabling starts a fresh failure streak; disabling by hand is recorded as such.
          ...(u.enabled === true ? { enabled: true, disabledAt: null, disabledReason: null, failingSince: null } : {}),
          ...(u.enabled === false ? { enabled: false, disabledAt: t, disabledReason: "disabled by an admin" } : {}),
          updatedAt: t,
        })
        .where(eq(s.id, p.data.id))
        .returning();
      return row ? { webhook: subscriptionJson(row) } : notFound(reply);
    },
  );

  app.delete("/api/v1/webhooks/:id", admin({ summary: "Delete a webhook", params: IdParam }), async (req, reply) => {
    const p = IdParam.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    const gone = await db.delete(s).where(eq(s.id, p.data.id)).returning({ id: s.id });
    return gone.length > 0 ? reply.code(204).send() : notFound(reply);
  });

  // The old secret keeps signing (alongside the new one) for the overlap, so receivers can switch without a gap.
  app.post(
    "/api/v1/webhooks/:id/rotate-secret",
    admin({ summary: "New signing secret; the old one keeps signing for the overlap", params: IdParam, body: RotateBody }),
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return invalid(reply, p.error);
      const b = RotateBody.safeParse(req.body ?? undefined);
      if (!b.success) return invalid(reply, b.error);
      const secret = generateSecret();
      const t = now();
      const overlapEnds = new Date(t.getTime() + b.data.overlap_seconds * 1000);
      const [row] = await db
        .update(s)
        .set({
          secret: sealSecret(secret, secretKey),
          // Only one previous secret is kept: rotating again during an overlap ends the older one at once.
          previousSecret: b.data.overlap_seconds > 0 ? s.secret : null,
          previousSecretExpiresAt: b.data.overlap_seconds > 0 ? overlapEnds : null,
          secretRotatedAt: t,
          updatedAt: t,
        })
        .where(eq(s.id, p.data.id))
        .returning();
      if (!row) return notFound(reply);
      return { webhook: subscriptionJson(row), secret };
    },
  );
}

/** Notices: what the notifier tells admins (a subscription disabled after failing too long), and their acknowledgement. */
function noticeRoutes({ app, db, now }: RouteScope): void {
  app.get(
    "/api/v1/webhooks/notices",
    admin({ summary: "Notices about webhooks (e.g. disabled after failing for days)", query: NoticesQuery }),
    async (req, reply) => {
      const q = NoticesQuery.safeParse(req.query);
      if (!q.success) return invalid(reply, q.error);
      const rows = await db
        .select()
        .from(webhookNotices)
        .where(q.data.unacknowledged === "true" ? isNull(webhookNotices.acknowledgedAt) : undefined)
        .orderBy(desc(webhookNotices.createdAt), desc(webhookNotices.id))
        .limit(q.data.limit);
      return { notices: rows.map(noticeJson) };
    },
  );

  app.post(
    "/api/v1/webhooks/notices/:id/ack",
    admin({ summary: "Acknowledge a notice", params: NoticeIdParam, body: null }),
    async (req, reply) => {
      const p = NoticeIdParam.safeParse(req.params);
      if (!p.success) return invalid(reply, p.error);
      const [row] = await db
        .update(webhookNotices)
        .set({ acknowledgedAt: sql`coalesce(${webhookNotices.acknowledgedAt}, ${now().toISOString()}::timestamptz)` })
        .where(eq(webhookNotices.id, p.data.id))
        .returning();
      return row ? { notice: noticeJson(row) } : notFound(reply);
    },
  );
}

/** One delivery by its id: read it with its attempts, or replay it. */
function deliveryRoutes({ app, db, now, withAttempts }: RouteScope): void {
  app.get("/api/v1/webhooks/deliveries/:id", admin({ summary: "One delivery with its attempts", params: IdParam }), async (req, reply) => {
    const p = IdParam.safeParse(req.params);
    if (!p.success) return invalid(reply, p.error);
    const rows = await db.select().from(d).where(eq(d.id, p.data.id));
    if (rows.length === 0) return notFound(reply);
    return { delivery: (await withAttempts(rows))[0] };
  });

  // Sends the same message again (same webhook-id, so receivers that already have it can dedupe), with a fresh
  // retry budget. Dead-lettered and delivered messages can be replayed; ones still in the outbox cannot.
  app.post(
    "/api/v1/webhooks/deliveries/:id/replay",
    admin({ summary: "Send a delivered or dead-lettered message again", params: IdParam, body: null }),
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return invalid(reply, p.error);
      const [existing] = await db.select().from(d).where(eq(d.id, p.data.id));
      if (!existing) return notFound(reply);
      const [sub] = await db.select({ enabled: s.enabled }).from(s).where(eq(s.id, existing.subscriptionId));
      if (!sub?.enabled) return conflict(reply, "the webhook is disabled; enable it before replaying");
      const t = now();
      const [row] = await db
        .update(d)
        .set({
          status: "pending",
          nextAttemptAt: t,
          retryIndex: 0,
          replays: sql`${d.replays} + 1`,
          lockToken: null,
          deadAt: null,
          updatedAt: t,
        })
        .where(and(eq(d.id, p.data.id), inArray(d.status, ["dead", "succeeded"])))
        .returning();
      if (!row) return conflict(reply, `delivery is ${existing.status}; it is still being delivered`);
      return reply.code(202).send({ delivery: (await withAttempts([row]))[0] });
    },
  );
}

/** A subscription's deliveries: send it a test event now, and list what was sent to it. */
function subscriptionDeliveryRoutes({ app, db, now, ctx, withAttempts }: RouteScope): void {
  // Sends a webhook.test event right away and answers with the attempt; if it fails it is retried like any delivery.
  app.post(
    "/api/v1/webhooks/:id/test",
    admin({ summary: "Send a webhook.test event now and return the attempt", params: IdParam, body: null }),
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return invalid(reply, p.error);
      const [sub] = await db.select({ id: s.id }).from(s).where(eq(s.id, p.data.id));
      if (!sub) return notFound(reply);
      const t = now();
      const ev = testEvent(sub.id, newId("test_"), t);
      // Inserted already claimed by this request, so a worker does not send it a second time meanwhile.
      const [row] = await db
        .insert(d)
        .values({
          id: newId("msg_"),
          subscriptionId: sub.id,
          eventId: ev.eventId,
          eventType: ev.type,
          body: ev.body,
          status: "delivering",
          lockToken: newId("claim_"),
          nextAttemptAt: new Date(t.getTime() + ctx.timeoutMs + 60_000),
          createdAt: t,
          updatedAt: t,
        })
        .returning();
      const result = await attemptDelivery(ctx, row!);
      const after = await db.select().from(d).where(eq(d.id, row!.id));
      return { delivered: result.outcome === "success", delivery: (await withAttempts(after))[0] };
    },
  );

  app.get(
    "/api/v1/webhooks/:id/deliveries",
    admin({ summary: "A webhook's deliveries, newest first", params: IdParam, query: DeliveriesQuery }),
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return invalid(reply, p.error);
      const q = DeliveriesQuery.safeParse(req.query);
      if (!q.success) return invalid(reply, q.error);
      const [sub] = await db.select({ id: s.id }).from(s).where(eq(s.id, p.data.id));
      if (!sub) return notFound(reply);
      const rows = await db
        .select()
        .from(d)
        .where(
          and(
            eq(d.subscriptionId, p.data.id),
            q.data.status ? eq(d.status, q.data.status) : undefined,
            q.data.before ? lt(d.createdAt, new Date(q.data.before)) : undefined,
          ),
        )
        .orderBy(desc(d.createdAt), desc(d.id))
        .limit(q.data.limit);
      return { deliveries: await withAttempts(rows) };
    },
  );
}
