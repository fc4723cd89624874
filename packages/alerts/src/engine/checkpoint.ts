import { eq, gte, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { alertBaselines, alertEngineState, alertItems, alertRuleStates, type Db } from "@finsentry/db";
import { SentimentLabel } from "@finsentry/schemas";
import type { Contribution } from "../window/contribution.ts";
import type { Baseline } from "../window/ewma.ts";
import type { DirtyState } from "./core.ts";
import type { RuleEntityState } from "./transitions.ts";

const ENGINE_ID = "alerter";
const CHUNK = 1000;

const Ewma = z.object({ n: z.number(), mean: z.number(), var: z.number() });
const TaskBaseline = z.object({ shares: z.array(Ewma), confidence: Ewma });
const BaselineState = z.object({
  lastEnd: z.number().nullable(),
  count: Ewma,
  bearish: Ewma,
  mean: Ewma,
  weighted_mean: Ewma,
  drift: z.object({ sentiment: TaskBaseline, topic: TaskBaseline, items: z.number() }).optional(),
});
const RuleState = z.object({
  pendingSince: z.number().nullable(),
  falseSince: z.number().nullable(),
  open: z.object({ alertId: z.string(), firedAt: z.number(), lastNotifiedAt: z.number(), evidence: z.array(z.string()) }).nullable(),
  lastResolvedAt: z.number().nullable(),
});

function chunks<T>(xs: T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Records contributions; returns the (item, entity) pairs that were not already counted — the idempotency check. */
export async function insertContributions(tx: Db, cs: Contribution[]): Promise<Set<string>> {
  const fresh = new Set<string>();
  for (const part of chunks(cs)) {
    const rows = await tx
      .insert(alertItems)
      .values(
        part.map((c) => ({
          itemId: c.itemId,
          entityKey: c.entityKey,
          eventTime: c.t,
          score: c.score,
          confidence: c.confidence,
          bearish: c.bearish,
          sentiment: c.label ?? null,
          topic: c.topic,
          topicConfidence: c.topicConfidence,
        })),
      )
      .onConflictDoNothing()
      .returning({ itemId: alertItems.itemId, entityKey: alertItems.entityKey });
    for (const r of rows) fresh.add(`${r.itemId}\n${r.entityKey}`);
  }
  return fresh;
}

/** Writes what changed in the engine, in the same transaction as the items that caused it. */
export async function saveCheckpoint(tx: Db, d: DirtyState): Promise<void> {
  const meta = { partitions: d.meta.partitions, watermark: d.meta.watermark, specCursors: d.meta.specCursors, updatedAt: sql`now()` };
  await tx
    .insert(alertEngineState)
    .values({ id: ENGINE_ID, ...meta })
    .onConflictDoUpdate({ target: alertEngineState.id, set: meta });
  for (const part of chunks(d.baselines)) {
    await tx
      .insert(alertBaselines)
      .values(part.map((b) => ({ specKey: b.specKey, entityKey: b.entityKey, state: b.state })))
      .onConflictDoUpdate({
        target: [alertBaselines.specKey, alertBaselines.entityKey],
        set: { state: sql`excluded.state`, updatedAt: sql`now()` },
      });
  }
  const keep = d.ruleStates.filter((r) => r.state !== null);
  const drop = d.ruleStates.filter((r) => r.state === null);
  for (const part of chunks(keep)) {
    await tx
      .insert(alertRuleStates)
      .values(part.map((r) => ({ ruleId: r.ruleId, entityKey: r.entityKey, state: r.state })))
      .onConflictDoUpdate({
        target: [alertRuleStates.ruleId, alertRuleStates.entityKey],
        set: { state: sql`excluded.state`, updatedAt: sql`now()` },
      });
  }
  for (const r of drop) {
    await tx.delete(alertRuleStates).where(sql`${alertRuleStates.ruleId} = ${r.ruleId} and ${alertRuleStates.entityKey} = ${r.entityKey}`);
  }
}

export interface Checkpoint {
  meta: DirtyState["meta"] | null;
  baselines: { specKey: string; entityKey: string; state: Baseline }[];
  ruleStates: { ruleId: string; entityKey: string; state: RuleEntityState }[];
  items: Contribution[];
}

/** Loads the checkpoint and the contributions windows may still need (event time ≥ `itemsFrom(meta)`). */
export async function loadCheckpoint(db: Db, itemsFrom: (meta: Checkpoint["meta"]) => number | null): Promise<Checkpoint> {
  const [row] = await db.select().from(alertEngineState).where(eq(alertEngineState.id, ENGINE_ID));
  const meta = row ? { partitions: row.partitions, watermark: row.watermark, specCursors: row.specCursors } : null;
  const baselines = (await db.select().from(alertBaselines)).map((b) => ({
    specKey: b.specKey,
    entityKey: b.entityKey,
    state: BaselineState.parse(b.state),
  }));
  const ruleStates = (await db.select().from(alertRuleStates)).map((r) => ({
    ruleId: r.ruleId,
    entityKey: r.entityKey,
    state: RuleState.parse(r.state),
  }));
  const from = itemsFrom(meta);
  const rows = await db
    .select()
    .from(alertItems)
    .where(from === null ? undefined : gte(alertItems.eventTime, from));
  const items = rows.map((r): Contribution => {
    const label = SentimentLabel.safeParse(r.sentiment);
    return {
      itemId: r.itemId,
      entityKey: r.entityKey,
      t: r.eventTime,
      score: r.score,
      confidence: r.confidence,
      bearish: r.bearish,
      ...(label.success ? { label: label.data } : {}),
      topic: r.topic,
      topicConfidence: r.topicConfidence,
    };
  });
  return { meta, baselines, ruleStates, items };
}

/**
 * Forgets counted items older than `before`. They no longer fall in any window; one redelivered after this is
 * recorded as late (it cannot change an alert), so the idempotency set need not grow forever.
 */
export async function pruneContributions(db: Db, before: number): Promise<number> {
  const rows = await db.delete(alertItems).where(lt(alertItems.eventTime, before)).returning({ itemId: alertItems.itemId });
  return rows.length;
}
