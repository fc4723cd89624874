import { and, asc, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import { entities, entityAliases, entityChanges, type Db } from "@finsentry/db";
import { CANONICAL_PREFIX } from "@finsentry/schemas";
import { normaliseAlias } from "../normalise.ts";
import { notFound } from "./errors.ts";
import { rowsOf, textArray } from "./sql-array.ts";
import type { ChangeRecord } from "./registry.ts";

export interface EntitySummary {
  id: string;
  key: string;
  kind: string;
  name: string;
  ticker: string | null;
  exchange: string | null;
  merged_into: string | null;
  aliases: string[];
}

export interface EntityDetail extends EntitySummary {
  created_at: string;
  updated_at: string;
  /** Entities merged into this one. */
  merged_ids: string[];
  changes: ChangeJson[];
}

export interface ChangeJson {
  id: number;
  at: string;
  actor: string;
  action: string;
  entity_ids: string[];
  version: number;
  payload: Record<string, unknown>;
}

export const changeJson = (c: ChangeRecord | typeof entityChanges.$inferSelect): ChangeJson => ({
  id: c.id,
  at: c.at.toISOString(),
  actor: c.actor,
  action: c.action,
  entity_ids: c.entityIds,
  version: c.version,
  payload: c.payload,
});

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

async function aliasesOf(db: Db, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (ids.length === 0) return out;
  const rows = await db
    .select({ id: entityAliases.entityId, text: entityAliases.aliasText })
    .from(entityAliases)
    .where(inArray(entityAliases.entityId, ids))
    .orderBy(asc(entityAliases.aliasNorm));
  for (const r of rows) (out.get(r.id) ?? out.set(r.id, []).get(r.id)!).push(r.text);
  return out;
}

const summary = (r: typeof entities.$inferSelect, aliases: string[]): EntitySummary => ({
  id: r.id,
  key: `${CANONICAL_PREFIX}${r.id}`,
  kind: r.kind,
  name: r.name,
  ticker: r.ticker,
  exchange: r.exchange,
  merged_into: r.mergedInto,
  aliases,
});

/**
 * Live (not merged) entities whose id, ticker, name or an alias matches `q` (case-insensitive; an exact id or ticker
 * first, then name prefixes, then the rest by name); all of them by name without `q`.
 */
export async function searchEntities(db: Db, o: { q?: string; limit: number }): Promise<EntitySummary[]> {
  const q = o.q?.trim() ?? "";
  let rows;
  if (!q) rows = await db.select().from(entities).where(isNull(entities.mergedInto)).orderBy(asc(entities.name)).limit(o.limit);
  else {
    const like = `%${likeEscape(q.toLowerCase())}%`;
    const norm = normaliseAlias(q);
    const aliasLike = `%${likeEscape(norm)}%`;
    rows = await db
      .select()
      .from(entities)
      .where(
        and(
          isNull(entities.mergedInto),
          sql`(lower(${entities.name}) like ${like} or lower(${entities.id}) = ${q.toLowerCase()} or upper(${entities.ticker}) = ${q.toUpperCase().replace(/^\$/, "")}
               or exists (select 1 from ${entityAliases} a where a.entity_id = ${entities.id} and ${norm ? sql`a.alias_norm like ${aliasLike}` : sql`false`}))`,
        ),
      )
      .orderBy(
        sql`case when lower(${entities.id}) = ${q.toLowerCase()} or upper(${entities.ticker}) = ${q.toUpperCase().replace(/^\$/, "")} then 0
                 when lower(${entities.name}) like ${`${likeEscape(q.toLowerCase())}%`} then 1 else 2 end`,
        asc(entities.name),
      )
      .limit(o.limit);
  }
  const aliases = await aliasesOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => summary(r, aliases.get(r.id) ?? []));
}

/** One entity (merged ones too: `merged_into` says where it went) with its aliases, merged ids and recent changes. */
export async function getEntity(db: Db, id: string, changes = 50): Promise<EntityDetail> {
  const [row] = await db.select().from(entities).where(eq(entities.id, id));
  if (!row) throw notFound(id);
  const aliases = await aliasesOf(db, [id]);
  const merged = await db.select({ id: entities.id }).from(entities).where(eq(entities.mergedInto, id)).orderBy(asc(entities.id));
  const history = await db
    .select()
    .from(entityChanges)
    .where(sql`${entityChanges.entityIds} @> ${JSON.stringify([id])}::jsonb`)
    .orderBy(desc(entityChanges.id))
    .limit(changes);
  return {
    ...summary(row, aliases.get(id) ?? []),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    merged_ids: merged.map((m) => m.id),
    changes: history.map(changeJson),
  };
}

/** Registry changes, newest first; `before` (a change id) pages back. */
export async function listChanges(db: Db, o: { limit: number; before?: number; entity?: string }): Promise<ChangeJson[]> {
  const rows = await db
    .select()
    .from(entityChanges)
    .where(
      and(
        o.before !== undefined ? lt(entityChanges.id, o.before) : undefined,
        o.entity ? sql`${entityChanges.entityIds} @> ${JSON.stringify([o.entity])}::jsonb` : undefined,
      ),
    )
    .orderBy(desc(entityChanges.id))
    .limit(o.limit);
  return rows.map(changeJson);
}

export interface EntityLabel {
  key: string;
  /** The registry name of a canonical key; null for legacy keys and unknown ids. */
  name: string | null;
  entity_id: string | null;
  /** The surface forms (distinct mention texts) under this key in `items`, when items were given. */
  aliases: string[];
}

/** Display names for entity keys: `E:<id>` → its registry name, plus the mention texts that made up the key in `items`. */
export async function entityLabels(db: Db, keys: string[], items: string[] = []): Promise<EntityLabel[]> {
  const ids = [...new Set(keys.filter((k) => k.startsWith(CANONICAL_PREFIX)).map((k) => k.slice(CANONICAL_PREFIX.length)))];
  const names = new Map<string, string>();
  if (ids.length)
    for (const r of await db.select({ id: entities.id, name: entities.name }).from(entities).where(inArray(entities.id, ids)))
      names.set(r.id, r.name);
  const texts = new Map<string, string[]>();
  if (items.length && keys.length) {
    const rows = rowsOf<{ entity_key: string; text: string }>(
      await db.execute(sql`
        select entity_key, text, count(*)::int as n from entity_mentions
         where entity_key = any(${textArray(keys)}::text[]) and item_id = any(${textArray(items)}::text[])
         group by 1, 2 order by 1, 3 desc, 2`),
    );
    for (const r of rows) {
      const list = texts.get(r.entity_key) ?? texts.set(r.entity_key, []).get(r.entity_key)!;
      if (list.length < 20) list.push(r.text);
    }
  }
  return [...new Set(keys)].map((key) => {
    const id = key.startsWith(CANONICAL_PREFIX) ? key.slice(CANONICAL_PREFIX.length) : null;
    const name = id ? (names.get(id) ?? null) : null;
    return { key, name, entity_id: name ? id : null, aliases: texts.get(key) ?? [] };
  });
}
