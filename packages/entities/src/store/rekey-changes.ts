import { desc, eq, gt, inArray, or, sql } from "drizzle-orm";
import { entities, entityAliases, entityChanges, type Db } from "@finsentry/db";
import { EntityResolver } from "../resolver.ts";
import { canonicalKey } from "../types.ts";
import { changeJson, type ChangeJson } from "./queries.ts";
import { rekeyHistory, type RekeyResult } from "./rekey.ts";
import { legacyKeysOf, loadSnapshot, type AffectedKeys } from "./registry.ts";

/** Which changes to re-key after: the latest `last` (1 by default), or every change since a registry version. */
export type RekeySelection = { last: number } | { sinceVersion: number };

export interface RekeyChangesResult {
  /** The changes whose affected keys were re-keyed, newest first. */
  changes: ChangeJson[];
  affected: AffectedKeys;
  rekey: RekeyResult;
}

const asStrings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const asString = (v: unknown): string | null => (typeof v === "string" ? v : null);

/**
 * Re-runs the re-keying of stored history for registry changes (merge, alias, split …) whose own re-keying failed
 * after the change was committed. The keys each change may have re-keyed are worked out from the change record and
 * the registry as it is now (an entity's current name, ticker and aliases; a merge as it stands: a merged entity's
 * mentions and alerts go to the entity it is finally merged into, one split off again since is resolved afresh), and
 * history under them is re-keyed with a resolver over the current registry. Idempotent: a second run finds nothing
 * to move, and a run after a later change only brings history in line with the registry as it then is.
 */
export async function rekeyChanges(db: Db, selection: RekeySelection = { last: 1 }, actor = "registry"): Promise<RekeyChangesResult> {
  const rows =
    "last" in selection
      ? await db.select().from(entityChanges).orderBy(desc(entityChanges.id)).limit(selection.last)
      : await db.select().from(entityChanges).where(gt(entityChanges.version, selection.sinceVersion)).orderBy(desc(entityChanges.id));
  const affected = await affectedBy(db, rows);
  const resolver = new EntityResolver(await loadSnapshot(db));
  const rekey = await rekeyHistory(db, resolver, affected, actor);
  return { changes: rows.map(changeJson), affected, rekey };
}

/** The keys a set of recorded changes may have re-keyed, as of the registry now. */
async function affectedBy(db: Db, changes: (typeof entityChanges.$inferSelect)[]): Promise<AffectedKeys> {
  const ids = new Set<string>();
  const texts = new Set<string>();
  const mergedIds = new Set<string>();
  for (const c of changes) {
    const p = c.payload;
    for (const id of c.entityIds) ids.add(id);
    switch (c.action) {
      case "add_entity":
        for (const t of [asString(p.name), asString(p.ticker), ...asStrings(p.aliases)]) if (t) texts.add(t);
        break;
      case "add_alias":
      case "remove_alias": {
        const alias = asString(p.alias);
        if (alias) texts.add(alias);
        break;
      }
      case "merge":
        for (const id of [asString(p.from), ...asStrings(p.repointed)]) if (id) mergedIds.add(id);
        for (const t of asStrings(p.aliases)) texts.add(t);
        break;
      case "split":
        for (const id of [asString(p.from), asString(p.new_id)]) if (id) ids.add(id);
        for (const t of asStrings(p.aliases)) texts.add(t);
        break;
      case "seed":
        // A large seed records no ids: the entities it inserted or changed, and those it gave aliases, carry its
        // transaction's time (now() is the same throughout a transaction, and the change was recorded in it).
        if (c.entityIds.length === 0) for (const id of await touchedBy(db, c.id)) ids.add(id);
        break;
    }
  }
  for (const id of mergedIds) ids.add(id);
  const all = await db.select({ id: entities.id, into: entities.mergedInto }).from(entities);
  const mergedInto = new Map(all.filter((r) => r.into).map((r) => [r.id, r.into!]));
  const finalId = (id: string) => {
    for (let i = 0; i < 64 && mergedInto.has(id); i++) id = mergedInto.get(id)!;
    return id;
  };
  // What the entities are called now: their (final entity's) name, ticker and aliases.
  const live = [...new Set([...ids].map(finalId))];
  if (live.length) {
    for (const e of await db.select({ name: entities.name, ticker: entities.ticker }).from(entities).where(inArray(entities.id, live))) {
      texts.add(e.name);
      if (e.ticker) texts.add(e.ticker);
    }
    for (const a of await db.select({ text: entityAliases.aliasText }).from(entityAliases).where(inArray(entityAliases.entityId, live)))
      texts.add(a.text);
  }
  const merges: AffectedKeys["merges"] = [];
  const keys = new Set<string>(legacyKeysOf(texts));
  for (const id of ids) {
    keys.add(canonicalKey(id));
    // Still merged (a split since may have revived it): its history belongs to the entity it is finally merged into.
    if (mergedInto.has(id)) merges.push({ from: canonicalKey(id), into: canonicalKey(finalId(id)) });
  }
  for (const id of live) keys.add(canonicalKey(id));
  return { keys: [...keys].sort(), merges };
}

/** Entities that change `changeId`'s transaction inserted, updated or gave aliases (compared in the database: µs). */
async function touchedBy(db: Db, changeId: number): Promise<string[]> {
  const at = sql`(select c.at from ${entityChanges} c where c.id = ${changeId})`;
  const rows = await db
    .select({ id: entities.id })
    .from(entities)
    .where(or(eq(entities.createdAt, at), eq(entities.updatedAt, at)));
  const aliased = await db.selectDistinct({ id: entityAliases.entityId }).from(entityAliases).where(eq(entityAliases.createdAt, at));
  return [...new Set([...rows, ...aliased].map((r) => r.id))];
}
