import { and, asc, eq, inArray, ne, sql } from "drizzle-orm";
import { alertEvents, alerts, entities, type Db } from "@finsentry/db";
import { AlertEventV1, CANONICAL_PREFIX, TOPICS, type AlertEvent } from "@finsentry/schemas";
import type { Bus } from "@finsentry/bus";
import { m } from "../metrics.ts";
import type { Transition } from "./transitions.ts";

export type AlertRow = typeof alerts.$inferSelect;
type EventType = AlertEvent["type"];

/**
 * Registry names of the canonical (`E:<id>`) keys among `keys`, by key: one lookup by primary key. Legacy keys and
 * ids the registry does not have are absent.
 */
export async function entityNamesOf(db: Db, keys: Iterable<string>): Promise<Map<string, string>> {
  const ids = [...new Set([...keys].filter((k) => k.startsWith(CANONICAL_PREFIX)).map((k) => k.slice(CANONICAL_PREFIX.length)))];
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  for (const r of await db.select({ id: entities.id, name: entities.name }).from(entities).where(inArray(entities.id, ids)))
    out.set(CANONICAL_PREFIX + r.id, r.name);
  return out;
}

/** An alert's title: its rule's name and the entity's display name (the key when the registry has no name for it). */
export const alertTitle = (ruleName: string, entityKey: string, entityName?: string | null) => `${ruleName}: ${entityName ?? entityKey}`;

/**
 * The `alerts`-topic event for a row at its current sequence number; event_id is stable across replays. `entityName`
 * (the registry name of the row's key) goes along as `entity_name` when given.
 */
export function alertEvent(row: AlertRow, type: EventType, at: Date, entityName?: string | null): AlertEvent {
  return AlertEventV1.parse({
    v: 1,
    event_id: `${row.id}:${row.lastEventSeq}`,
    type,
    at: at.toISOString(),
    alert: {
      id: row.id,
      rule_id: row.ruleId,
      rule_name: row.ruleName,
      rule_type: row.ruleType,
      entity_key: row.entityKey,
      ...(entityName ? { entity_name: entityName } : {}),
      severity: row.severity,
      state: row.state,
      title: row.title,
      summary: row.summary,
      fired_at: row.firedAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
      resolved_at: row.resolvedAt ? row.resolvedAt.toISOString() : null,
      figures: row.figures,
      evidence_item_ids: row.evidenceItemIds,
    },
  });
}

async function recordEvent(
  tx: Db,
  row: AlertRow,
  type: EventType,
  actor: string,
  at: Date,
  note?: string,
  names?: Map<string, string>,
): Promise<void> {
  // A row re-keyed since the engine's transition was made carries another key than the one looked up: look it up.
  const name = names?.get(row.entityKey) ?? (await entityNamesOf(tx, [row.entityKey])).get(row.entityKey);
  const payload = alertEvent(row, type, at, name);
  await tx
    .insert(alertEvents)
    .values({
      id: payload.event_id,
      alertId: row.id,
      seq: row.lastEventSeq,
      type,
      state: row.state,
      actor,
      note: note ?? null,
      at,
      payload,
    })
    .onConflictDoNothing();
  m.events.inc({ type });
}

/**
 * Applies engine transitions inside the caller's transaction. Per alert, only the last of a run of `refresh`es is
 * written. Returns alerts the engine thought open but that were resolved meanwhile (through the API).
 */
export async function applyTransitions(tx: Db, ts: Transition[]): Promise<{ closedExternally: string[] }> {
  const closedExternally: string[] = [];
  const lastRefresh = new Map<string, number>();
  ts.forEach((t, i) => {
    if (t.kind === "refresh") lastRefresh.set(t.alertId, i);
    else lastRefresh.delete(t.alertId);
  });
  // Display names for titles and event payloads: one lookup for the keys that publish an event (refreshes do not).
  const names = await entityNamesOf(
    tx,
    ts.filter((t) => t.kind !== "refresh").map((t) => t.entityKey),
  );
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (t.kind === "refresh" && lastRefresh.get(t.alertId) !== i) continue;
    const at = new Date(t.at);
    if (t.kind === "fire") {
      const rule = t.rule!.rule;
      const rows = await tx
        .insert(alerts)
        .values({
          id: t.alertId,
          ruleId: rule.id,
          ruleVersion: t.rule!.version,
          ruleName: rule.name,
          ruleType: rule.type,
          entityKey: t.entityKey,
          severity: rule.severity,
          state: "firing",
          title: alertTitle(rule.name, t.entityKey, names.get(t.entityKey)),
          summary: t.summary,
          figures: t.figures,
          fireFigures: t.figures,
          evidenceItemIds: t.evidence,
          firedAt: at,
          updatedAt: at,
          lastEventSeq: 1,
        })
        // Already there (a replay) or another open alert for this (rule, entity): the unique index keeps one.
        .onConflictDoNothing()
        .returning();
      if (rows[0]) await recordEvent(tx, rows[0], "alert.fired", "engine", at, undefined, names);
      continue;
    }
    const open = and(eq(alerts.id, t.alertId), ne(alerts.state, "resolved"));
    const content = t.reason === "rule_removed" ? {} : { figures: t.figures, evidenceItemIds: t.evidence, summary: t.summary };
    if (t.kind === "refresh") {
      const rows = await tx
        .update(alerts)
        .set({ ...content, updatedAt: at })
        .where(open)
        .returning({ id: alerts.id });
      if (!rows[0]) closedExternally.push(t.alertId);
      continue;
    }
    const resolving = t.kind === "resolve";
    const rows = await tx
      .update(alerts)
      .set({
        ...content,
        updatedAt: at,
        lastEventSeq: sql`${alerts.lastEventSeq} + 1`,
        ...(resolving ? { state: "resolved", resolvedAt: at, resolvedBy: "engine", resolveReason: t.reason ?? "cleared" } : {}),
      })
      .where(open)
      .returning();
    if (!rows[0]) closedExternally.push(t.alertId);
    else
      await recordEvent(tx, rows[0], resolving ? "alert.resolved" : "alert.updated", "engine", at, resolving ? t.reason : undefined, names);
  }
  return { closedExternally };
}

export type ManualResult =
  { outcome: "changed" | "unchanged"; alert: AlertRow } | { outcome: "not_found" } | { outcome: "conflict"; alert: AlertRow };

/** Firing → acknowledged. Acknowledging twice is a no-op; a resolved alert cannot be acknowledged. */
export async function acknowledgeAlert(db: Db, id: string, by: string, note?: string, now = new Date()): Promise<ManualResult> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(alerts)
      .set({ state: "acknowledged", acknowledgedAt: now, acknowledgedBy: by, lastEventSeq: sql`${alerts.lastEventSeq} + 1` })
      .where(and(eq(alerts.id, id), eq(alerts.state, "firing")))
      .returning();
    if (rows[0]) {
      await recordEvent(tx, rows[0], "alert.acknowledged", by, now, note);
      return { outcome: "changed", alert: rows[0] } as const;
    }
    const [row] = await tx.select().from(alerts).where(eq(alerts.id, id));
    if (!row) return { outcome: "not_found" } as const;
    return row.state === "acknowledged" ? ({ outcome: "unchanged", alert: row } as const) : ({ outcome: "conflict", alert: row } as const);
  });
}

/** Firing/acknowledged → resolved by a person; the engine starts the rule's cooldown when it notices. */
export async function resolveAlert(db: Db, id: string, by: string, note?: string, now = new Date()): Promise<ManualResult> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(alerts)
      .set({ state: "resolved", resolvedAt: now, resolvedBy: by, resolveReason: "manual", lastEventSeq: sql`${alerts.lastEventSeq} + 1` })
      .where(and(eq(alerts.id, id), ne(alerts.state, "resolved")))
      .returning();
    if (rows[0]) {
      await recordEvent(tx, rows[0], "alert.resolved", by, now, note);
      return { outcome: "changed", alert: rows[0] } as const;
    }
    const [row] = await tx.select().from(alerts).where(eq(alerts.id, id));
    return row ? ({ outcome: "unchanged", alert: row } as const) : ({ outcome: "not_found" } as const);
  });
}

/** Which of these alert ids are no longer open in the database. */
export async function resolvedAmong(db: Db, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: alerts.id })
    .from(alerts)
    .where(and(inArray(alerts.id, ids), eq(alerts.state, "resolved")));
  return rows.map((r) => r.id);
}

/** Open alerts in the database (the source of truth on restart). */
export async function openAlerts(db: Db): Promise<AlertRow[]> {
  return db.select().from(alerts).where(ne(alerts.state, "resolved"));
}

/**
 * Publishes unpublished events (outbox), oldest first and in sequence per alert, keyed by alert id so an alert's
 * events stay ordered. A crash between send and mark re-sends with the same event_id; consumers dedupe on it.
 */
export async function flushOutbox(db: Db, bus: Bus, topic: string = TOPICS.alerts, batch = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      const rows = await tx
        .select({ id: alertEvents.id, alertId: alertEvents.alertId, payload: alertEvents.payload })
        .from(alertEvents)
        .where(eq(alertEvents.published, false))
        .orderBy(asc(alertEvents.createdAt), asc(alertEvents.alertId), asc(alertEvents.seq))
        .limit(batch)
        .for("update", { skipLocked: true });
      if (rows.length === 0) return 0;
      await bus.send(
        topic,
        rows.map((r) => ({ key: r.alertId, value: JSON.stringify(r.payload), headers: { event_id: r.id } })),
      );
      await tx
        .update(alertEvents)
        .set({ published: true })
        .where(
          inArray(
            alertEvents.id,
            rows.map((r) => r.id),
          ),
        );
      return rows.length;
    });
    total += n;
    m.published.inc(n);
    if (n < batch) return total;
  }
}
