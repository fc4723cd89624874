import { sql } from "drizzle-orm";
import type { Db } from "@finsentry/db";
import { entityKey } from "@finsentry/schemas";
import { resolveTaggedTicker } from "../tagged.ts";
import type { AffectedKeys } from "./registry.ts";
import { rowsOf, textArray } from "./sql-array.ts";

/** The part of EntityResolver that re-keying uses. */
export interface MentionResolver {
  /** `entityId` null: unresolved, and `key` is the mention's surface (legacy) key. */
  resolve(m: { type: string; text: string; start: number; end: number }, context: string): { key: string | null; entityId: string | null };
}

export interface RekeyResult {
  /** Mentions looked at (those under an affected key) and those whose key changed. */
  scanned: number;
  rekeyed: number;
  /** New key → mentions moved onto it. */
  movedTo: Record<string, number>;
  alerts: { moved: number; duplicates_dropped: number; open_duplicates_resolved: number };
  /** Alert engine state rows (rule states, baselines, counted items) moved, and dropped where the target had one. */
  state: { moved: number; duplicates_dropped: number };
}

const PAGE = 1000;

/**
 * Re-keys stored history after a registry change. Every mention under an affected key is resolved again with
 * `resolver` (the registry after the change) on its stored (type, text), with its item's text as context; unresolved
 * ones fall back to their legacy key (`entityKey(type, text)`), except that a mention under a merged-away entity's key
 * stays with the merge target. Alerts and the alert engine's state rows of a merged-away key move onto the target;
 * where the target already has the same row (same rule and fire time; same rule state, baseline or counted item) the
 * target's is kept, and of two open alerts of one rule the moved one is resolved (`merged`). Mentions are updated in
 * place (their key is a column of their primary-keyed row), so each is counted once, under exactly one key.
 * One transaction.
 */
export async function rekeyHistory(db: Db, resolver: MentionResolver, affected: AffectedKeys, actor = "registry"): Promise<RekeyResult> {
  const keys = [...new Set([...affected.keys, ...affected.merges.map((m) => m.from)])];
  const mergedInto = new Map(affected.merges.map((m) => [m.from, m.into]));
  const out: RekeyResult = {
    scanned: 0,
    rekeyed: 0,
    movedTo: {},
    alerts: { moved: 0, duplicates_dropped: 0, open_duplicates_resolved: 0 },
    state: { moved: 0, duplicates_dropped: 0 },
  };
  if (keys.length === 0) return out;
  return db.transaction(async (tx) => {
    let after: [string, number, number] = ["", -1, -1];
    for (;;) {
      const page = rowsOf<{ item_id: string; start: number; end: number; type: string; text: string; entity_key: string; context: string }>(
        await tx.execute(sql`
          select m.item_id, m.start, m."end", m.type, m.text, m.entity_key, i.text as context
            from entity_mentions m join items i on i.id = m.item_id
           where m.entity_key = any(${textArray(keys)}::text[])
             and (m.item_id, m.start, m."end") > (${after[0]}::text, ${after[1]}::int, ${after[2]}::int)
           order by m.item_id, m.start, m."end"
           limit ${PAGE}`),
      );
      if (page.length === 0) break;
      const last = page[page.length - 1]!;
      after = [last.item_id, last.start, last.end];
      out.scanned += page.length;
      const changes: { item: string; start: number; end: number; key: string; type: string }[] = [];
      for (const m of page) {
        const mention = { type: m.type, text: m.text, start: m.start, end: m.end };
        // "#NWM" the model typed PERSON is the instrument's, as the scorer now keys it (and retypes it TICKER).
        const tagged = resolveTaggedTicker(resolver, mention, m.context);
        const r = tagged ?? resolver.resolve(mention, m.context);
        const type = tagged ? "TICKER" : m.type;
        // Unresolved: a merged-away entity's mention stays with the target (the merge said they are one), the rest
        // take their surface key.
        const key = (r.entityId ? r.key : null) ?? mergedInto.get(m.entity_key) ?? r.key ?? entityKey(m.type, m.text) ?? m.entity_key;
        if (key !== m.entity_key || type !== m.type) changes.push({ item: m.item_id, start: m.start, end: m.end, key, type });
      }
      if (changes.length === 0) continue;
      await tx.execute(sql`
        update entity_mentions m set entity_key = u.key, type = u.type
          from (values ${sql.join(
            changes.map((c) => sql`(${c.item}, ${c.start}::int, ${c.end}::int, ${c.key}, ${c.type})`),
            sql`, `,
          )}) as u(item_id, s, e, key, type)
         where m.item_id = u.item_id and m.start = u.s and m."end" = u.e`);
      out.rekeyed += changes.length;
      for (const c of changes) out.movedTo[c.key] = (out.movedTo[c.key] ?? 0) + 1;
    }
    for (const { from, into } of affected.merges) await moveAlerts(tx, from, into, actor, out);
    return out;
  });
}

const count = (r: unknown) =>
  (r as { rowCount?: number | null; affectedRows?: number }).rowCount ?? (r as { affectedRows?: number }).affectedRows ?? 0;

async function moveAlerts(tx: Db, from: string, into: string, actor: string, out: RekeyResult): Promise<void> {
  // The same episode recorded under both keys: keep the target's.
  out.alerts.duplicates_dropped += count(
    await tx.execute(sql`
      delete from alerts a using alerts b
       where a.entity_key = ${from} and b.entity_key = ${into} and a.rule_id = b.rule_id and a.fired_at = b.fired_at`),
  );
  // At most one open alert per (rule, entity): the moved one is resolved when the target has one open.
  out.alerts.open_duplicates_resolved += count(
    await tx.execute(sql`
      update alerts a set state = 'resolved', resolved_at = now(), resolved_by = ${actor}, resolve_reason = 'merged', updated_at = now()
       where a.entity_key = ${from} and a.state <> 'resolved'
         and exists (select 1 from alerts b where b.entity_key = ${into} and b.rule_id = a.rule_id and b.state <> 'resolved')`),
  );
  out.alerts.moved += count(await tx.execute(sql`update alerts set entity_key = ${into} where entity_key = ${from}`));
  for (const [table, col] of [
    ["alert_rule_states", "rule_id"],
    ["alert_baselines", "spec_key"],
    ["alert_items", "item_id"],
  ] as const) {
    const t = sql.identifier(table);
    const c = sql.identifier(col);
    out.state.duplicates_dropped += count(
      await tx.execute(sql`delete from ${t} a using ${t} b where a.entity_key = ${from} and b.entity_key = ${into} and a.${c} = b.${c}`),
    );
    out.state.moved += count(await tx.execute(sql`update ${t} set entity_key = ${into} where entity_key = ${from}`));
  }
}
