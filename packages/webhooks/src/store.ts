import { and, asc, eq, inArray, isNotNull, lte, sql } from "drizzle-orm";
import { webhookAttempts, webhookDeliveries, webhookNotices, webhookSubscriptions, type Db } from "@finsentry/db";
import { matches, type OutgoingEvent } from "./events.ts";
import { newId } from "./ids.ts";

export type SubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookAttempts.$inferSelect;
export type NoticeRow = typeof webhookNotices.$inferSelect;
export type DeliveryStatus = "pending" | "delivering" | "succeeded" | "dead";

const d = webhookDeliveries;
const s = webhookSubscriptions;

/**
 * Writes one delivery per (event, matching enabled subscription). The unique (event_id, subscription_id) index makes
 * this idempotent, so a batch redelivered by the bus adds nothing. Returns the number of new rows.
 */
export async function enqueueEvents(db: Db, events: OutgoingEvent[], now: Date): Promise<number> {
  if (events.length === 0) return 0;
  const subs = await db.select().from(s).where(eq(s.enabled, true));
  const rows = events.flatMap((e) =>
    subs
      .filter((sub) => matches(sub, e))
      .map((sub) => ({
        id: newId("msg_"),
        subscriptionId: sub.id,
        eventId: e.eventId,
        eventType: e.type,
        body: e.body,
        status: "pending",
        nextAttemptAt: now,
        createdAt: now,
        updatedAt: now,
      })),
  );
  if (rows.length === 0) return 0;
  const inserted = await db
    .insert(d)
    .values(rows)
    .onConflictDoNothing({ target: [d.eventId, d.subscriptionId] })
    .returning({ id: d.id });
  return inserted.length;
}

/**
 * Claims up to `limit` due deliveries for this worker. SKIP LOCKED lets several notifiers share the table without
 * waiting on each other; the claim's lease is written into next_attempt_at, so if this worker dies the rows are due
 * again once the lease runs out. The token fences late writes from a worker whose lease expired.
 */
export async function claimDue(db: Db, opts: { limit: number; leaseMs: number; now: Date }): Promise<DeliveryRow[]> {
  const token = newId("claim_");
  const due = db
    .select({ id: d.id })
    .from(d)
    .where(and(inArray(d.status, ["pending", "delivering"]), lte(d.nextAttemptAt, opts.now)))
    .orderBy(asc(d.nextAttemptAt))
    .limit(opts.limit)
    .for("update", { skipLocked: true });
  return db
    .update(d)
    .set({ status: "delivering", lockToken: token, nextAttemptAt: new Date(opts.now.getTime() + opts.leaseMs), updatedAt: opts.now })
    .where(inArray(d.id, due))
    .returning();
}

export async function getSubscription(db: Db, id: string): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(s).where(eq(s.id, id));
  return row;
}

export interface AttemptRecord {
  attempt: number;
  startedAt: Date;
  latencyMs: number;
  statusCode: number | null;
  responseExcerpt: string | null;
  error: string | null;
  outcome: "success" | "retry" | "failed";
  retryAt: Date | null;
}

export interface DeliveryUpdate {
  status: DeliveryStatus;
  nextAttemptAt?: Date;
  retryIndex?: number;
  lastStatusCode: number | null;
  lastError: string | null;
}

/**
 * Stores an attempt and its consequences in one transaction: the attempt row, the delivery's new state (only if our
 * claim still holds), and the endpoint's failure streak, disabling it with a notice once the streak is older than
 * `disableAfterMs`. Returns whether the delivery update applied and whether the endpoint was just disabled.
 */
export async function recordAttempt(
  db: Db,
  delivery: DeliveryRow,
  attempt: AttemptRecord | null,
  update: DeliveryUpdate,
  opts: { now: Date; disableAfterMs: number },
): Promise<{ applied: boolean; disabled: boolean }> {
  return db.transaction(async (tx) => {
    const now = opts.now;
    const applied = await tx
      .update(d)
      .set({
        status: update.status,
        lockToken: null,
        ...(update.nextAttemptAt ? { nextAttemptAt: update.nextAttemptAt } : {}),
        ...(update.retryIndex !== undefined ? { retryIndex: update.retryIndex } : {}),
        ...(attempt ? { attempts: sql`${d.attempts} + 1` } : {}),
        lastStatusCode: update.lastStatusCode,
        lastError: update.lastError,
        updatedAt: now,
        ...(update.status === "succeeded" ? { deliveredAt: now } : {}),
        ...(update.status === "dead" ? { deadAt: now } : {}),
      })
      .where(and(eq(d.id, delivery.id), eq(d.status, "delivering"), delivery.lockToken ? eq(d.lockToken, delivery.lockToken) : sql`false`))
      .returning({ id: d.id });
    if (!attempt) return { applied: applied.length > 0, disabled: false };
    if (applied.length === 0) {
      // Lease lost (the row exists, owned by another claim) or the subscription was deleted mid-attempt (cascade).
      const [still] = await tx.select({ id: d.id }).from(d).where(eq(d.id, delivery.id));
      if (!still) return { applied: false, disabled: false };
    }
    await tx.insert(webhookAttempts).values({ deliveryId: delivery.id, subscriptionId: delivery.subscriptionId, ...attempt });
    if (attempt.outcome === "success") {
      await tx
        .update(s)
        .set({ failingSince: null })
        .where(and(eq(s.id, delivery.subscriptionId), isNotNull(s.failingSince)));
      return { applied: applied.length > 0, disabled: false };
    }
    await tx
      .update(s)
      .set({ failingSince: sql`coalesce(${s.failingSince}, ${attempt.startedAt.toISOString()}::timestamptz)` })
      .where(eq(s.id, delivery.subscriptionId));
    const cutoff = new Date(now.getTime() - opts.disableAfterMs);
    const disabled = await tx
      .update(s)
      .set({ enabled: false, disabledAt: now, disabledReason: "failing continuously", updatedAt: now })
      .where(and(eq(s.id, delivery.subscriptionId), eq(s.enabled, true), lte(s.failingSince, cutoff)))
      .returning({ id: s.id, url: s.url, failingSince: s.failingSince });
    const hit = disabled[0];
    if (hit) {
      const since = hit.failingSince?.toISOString() ?? "unknown";
      await tx.insert(webhookNotices).values({
        subscriptionId: hit.id,
        kind: "endpoint_disabled",
        message: `Webhook ${hit.id} (${originOf(hit.url)}) was disabled: every delivery attempt has failed since ${since}. Last error: ${attempt.error ?? `HTTP ${attempt.statusCode}`}`,
        createdAt: now,
      });
    }
    return { applied: applied.length > 0, disabled: Boolean(hit) };
  });
}

/** Scheme, host and port only: paths and query strings of webhook URLs often carry tokens. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid url)";
  }
}
