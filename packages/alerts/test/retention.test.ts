import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, eq } from "drizzle-orm";
import { createLogger, registry } from "@finsentry/core";
import {
  entityMentions,
  items,
  lateItems,
  scores,
  webhookAttempts,
  webhookDeliveries,
  webhookSubscriptions,
  type DbHandle,
} from "@finsentry/db";
import { webhookRetentionTasks } from "@finsentry/webhooks";
import { alertRetentionTasks, loadRetentionConfig, runRetention } from "../src/retention.ts";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";
import { scoredItem, storeHistory } from "./helpers.ts";

const log = createLogger("retention-test", "silent");
const DAY = 86_400_000;
const NOW = new Date("2026-06-01T00:00:00Z");
const ago = (d: number) => new Date(NOW.getTime() - d * DAY);

describe("retention configuration", () => {
  it("has defaults, accepts 0 (keep forever) and refuses nonsense in one line", () => {
    const c = loadRetentionConfig({});
    expect(c).toMatchObject({
      RETENTION_LATE_ITEMS_DAYS: 30,
      RETENTION_SCORES_DAYS: 90,
      RETENTION_WEBHOOK_DELIVERIES_DAYS: 30,
      RETENTION_WEBHOOK_ATTEMPTS_DAYS: 7,
      RETENTION_DEAD_LETTERS_DAYS: 90,
      RETENTION_INTERVAL_MINUTES: 60,
    });
    expect(alertRetentionTasks(loadRetentionConfig({ RETENTION_LATE_ITEMS_DAYS: "0" })).map((t) => t.table)).toEqual(["scores"]);
    expect(() => loadRetentionConfig({ RETENTION_LATE_ITEMS_DAYS: "-1", RETENTION_SCORES_DAYS: "soon" })).toThrow(
      /^invalid retention configuration: RETENTION_LATE_ITEMS_DAYS: .*; RETENTION_SCORES_DAYS: /,
    );
  });
});

for (const kind of dbKinds) {
  describe(`retention on ${kind}`, () => {
    let handle: DbHandle;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ db: handle, drop } = await openTestDb(kind));
    });
    afterAll(async () => drop?.());

    it("deletes old late items, superseded scores, old deliveries, attempts and dead letters; keeps what is read", async () => {
      const db = handle.db;
      // Items: an old one rescored by a newer model (its old score goes, the newest stays), an old one scored once
      // (stays: it is the newest), and a recent one rescored (both stay: too young).
      const oldItem = scoredItem({ key: "old", t: ago(200).getTime(), score: -0.5, entities: ["TICKER:OLD"] });
      const lonely = scoredItem({ key: "lonely", t: ago(200).getTime(), score: 0.1, entities: ["TICKER:OLD"] });
      const young = scoredItem({ key: "young", t: ago(2).getTime(), score: 0.2, entities: ["TICKER:NEW"] });
      await storeHistory(db, [oldItem, lonely, young]);
      const rescore = async (id: string, version: string, at: Date) =>
        db.insert(scores).values({
          itemId: id,
          modelVersion: version,
          sentiment: "bullish",
          sentimentScore: 0.7,
          confidence: 0.9,
          topic: "Stock Commentary",
          topicIndex: 18,
          topicConfidence: 0.9,
          output: {},
          scoredAt: at.toISOString(),
        });
      await db
        .update(scores)
        .set({ scoredAt: ago(200).toISOString() })
        .where(eq(scores.itemId, oldItem.item.id));
      await db
        .update(scores)
        .set({ scoredAt: ago(200).toISOString() })
        .where(eq(scores.itemId, lonely.item.id));
      await rescore(oldItem.item.id, "test-2", ago(150));
      await db
        .update(scores)
        .set({ scoredAt: ago(2).toISOString() })
        .where(eq(scores.itemId, young.item.id));
      await rescore(young.item.id, "test-2", ago(1));

      await db.insert(lateItems).values([
        { itemId: "late-old", entityKeys: ["TICKER:OLD"], eventTime: 0, watermark: 1, latenessMs: 1, reason: "late", recordedAt: ago(40) },
        { itemId: "late-new", entityKeys: ["TICKER:NEW"], eventTime: 0, watermark: 1, latenessMs: 1, reason: "late", recordedAt: ago(5) },
      ]);

      await db.insert(webhookSubscriptions).values({ id: "sub", url: "https://example.com/hook", secret: "whsec_x" });
      const delivery = (id: string, status: string, at: Date, extra: Partial<typeof webhookDeliveries.$inferInsert> = {}) => ({
        id,
        subscriptionId: "sub",
        eventId: `ev-${id}`,
        eventType: "alert.fired",
        body: "{}",
        status,
        nextAttemptAt: at,
        createdAt: at,
        updatedAt: at,
        ...extra,
      });
      await db
        .insert(webhookDeliveries)
        .values([
          delivery("ok-old", "succeeded", ago(40), { deliveredAt: ago(40), attempts: 3 }),
          delivery("ok-new", "succeeded", ago(3), { deliveredAt: ago(3), attempts: 1 }),
          delivery("dead-old", "dead", ago(100), { deadAt: ago(100), attempts: 2 }),
          delivery("dead-new", "dead", ago(20), { deadAt: ago(20), attempts: 3 }),
          delivery("pending-old", "pending", ago(50), { attempts: 3 }),
        ]);
      const attempt = (deliveryId: string, n: number, at: Date) => ({
        deliveryId,
        subscriptionId: "sub",
        attempt: n,
        startedAt: at,
        latencyMs: 10,
        statusCode: 500,
        outcome: "retry",
      });
      await db
        .insert(webhookAttempts)
        .values([
          attempt("ok-old", 1, ago(41)),
          attempt("ok-old", 2, ago(40.5)),
          attempt("ok-old", 3, ago(40)),
          attempt("dead-new", 1, ago(22)),
          attempt("dead-new", 2, ago(21)),
          attempt("dead-new", 3, ago(20)),
          attempt("pending-old", 1, ago(50)),
          attempt("pending-old", 2, ago(10)),
          attempt("pending-old", 3, ago(1)),
        ]);

      const cfg = loadRetentionConfig({});
      const tasks = [
        ...alertRetentionTasks(cfg),
        ...webhookRetentionTasks({
          deliveriesDays: cfg.RETENTION_WEBHOOK_DELIVERIES_DAYS,
          attemptsDays: cfg.RETENTION_WEBHOOK_ATTEMPTS_DAYS,
          deadDays: cfg.RETENTION_DEAD_LETTERS_DAYS,
        }),
      ];
      const deleted = await runRetention(db, tasks, log, NOW);
      expect(deleted).toEqual({ late_items: 1, scores: 1, webhook_attempts: 6, webhook_deliveries: 1, webhook_dead_letters: 1 });

      expect((await db.select({ id: lateItems.itemId }).from(lateItems)).map((r) => r.id)).toEqual(["late-new"]);
      const left = await db
        .select({ item: scores.itemId, v: scores.modelVersion })
        .from(scores)
        .orderBy(asc(scores.itemId), asc(scores.modelVersion));
      expect(left).toEqual(
        [
          { item: oldItem.item.id, v: "test-2" },
          { item: lonely.item.id, v: "test-1" },
          { item: young.item.id, v: "test-1" },
          { item: young.item.id, v: "test-2" },
        ].sort((a, b) => a.item.localeCompare(b.item) || a.v.localeCompare(b.v)),
      );
      // Items and their mentions (the entity pages' data) are untouched.
      expect((await db.select({ id: items.id }).from(items)).length).toBe(3);
      expect((await db.select({ id: entityMentions.itemId }).from(entityMentions)).length).toBe(3);

      const deliveries = await db.select({ id: webhookDeliveries.id }).from(webhookDeliveries).orderBy(asc(webhookDeliveries.id));
      expect(deliveries.map((d) => d.id)).toEqual(["dead-new", "ok-new", "pending-old"]);
      const attempts = await db
        .select({ d: webhookAttempts.deliveryId, n: webhookAttempts.attempt })
        .from(webhookAttempts)
        .orderBy(asc(webhookAttempts.deliveryId), asc(webhookAttempts.attempt));
      // ok-old's went with it; every other delivery keeps its latest attempt (and any younger than 7 days).
      expect(attempts).toEqual([
        { d: "dead-new", n: 3 },
        { d: "pending-old", n: 3 },
      ]);

      // A second run finds nothing more, and /metrics shows what went.
      expect(Object.values(await runRetention(db, tasks, log, NOW)).every((n) => n === 0)).toBe(true);
      const text = await registry.metrics();
      expect(text).toMatch(/finsentry_retention_deleted_rows_total\{table="webhook_dead_letters"\} [1-9]/);
      expect(text).toMatch(/finsentry_retention_runs_total\{outcome="ok"\} [1-9]/);
    });
  });
}
