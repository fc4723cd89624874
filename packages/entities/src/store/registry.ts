import { and, asc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { entities, entityAliases, entityChanges, registryVersion as registryVersionTable, type Db } from "@finsentry/db";
import { entityKey } from "@finsentry/schemas";
import { normaliseAlias } from "../normalise.ts";
import { canonicalKey, RegistryEntitySchema, type RegistryEntity, type RegistrySnapshot } from "../types.ts";
import { EntityStoreError, notFound } from "./errors.ts";

/** What a change may have re-keyed: mention keys to resolve again, and keys whose alerts move onto another. */
export interface AffectedKeys {
  keys: string[];
  merges: { from: string; into: string }[];
}

export type ChangeAction = "add_entity" | "add_alias" | "remove_alias" | "merge" | "split" | "seed";

export interface ChangeRecord {
  id: number;
  at: Date;
  actor: string;
  action: ChangeAction;
  entityIds: string[];
  version: number;
  payload: Record<string, unknown>;
}

/** The outcome of a write: the change recorded (null when the write changed nothing) and what it may have re-keyed. */
export interface ChangeResult {
  change: ChangeRecord | null;
  affected: AffectedKeys;
}

const WATCHABLE_TYPES = ["ORG", "TICKER", "PERSON", "LOCATION"] as const;
/** A ticker as registered (its own or a share class's alias). */
const TICKER_TEXT = /^[A-Z][A-Z0-9]{0,5}(?:[.-][A-Z]{1,2})?$/;

/**
 * Keys that mentions of these surface forms carry while unresolved (`ORG:tesla`, `TICKER:TSLA` …), any type; for a
 * ticker also its cashtag and hashtag as another type keyed them (`PERSON:#nwm`: the model typed "#NWM" PERSON).
 */
export function legacyKeysOf(texts: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const t of texts)
    for (const form of TICKER_TEXT.test(t) ? [t, `$${t}`, `#${t}`] : [t])
      for (const type of WATCHABLE_TYPES) {
        const k = entityKey(type, form);
        if (k) out.add(k);
      }
  return [...out];
}

const Actor = z.string().min(1).max(200);
const AliasText = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "control characters are not allowed");
const EntityId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "an id is a lowercase slug: a-z, 0-9 and '-', at most 64 characters");
export const SplitInput = z.object({
  aliases: z.array(AliasText).min(1).max(500),
  newId: EntityId,
  name: z.string().trim().min(1).max(300),
});
export type SplitInput = z.infer<typeof SplitInput>;

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new EntityStoreError("validation_failed", "invalid input", r.error);
  return r.data;
}

function normOf(alias: string): string {
  const norm = normaliseAlias(alias);
  if (!norm)
    throw new EntityStoreError(
      "validation_failed",
      `alias '${alias}' is empty once normalised`,
      new z.ZodError([{ code: "custom", path: ["alias"], message: "empty once normalised", input: alias }]),
    );
  return norm;
}

/** Bumps the registry version (taking its row lock: registry changes are serialised) and records the change. */
async function record(tx: Db, actor: string, action: ChangeAction, entityIds: string[], payload: Record<string, unknown>) {
  const [v] = await tx
    .insert(registryVersionTable)
    .values({ id: 1, version: 1 })
    .onConflictDoUpdate({
      target: registryVersionTable.id,
      set: { version: sql`${registryVersionTable.version} + 1`, updatedAt: sql`now()` },
    })
    .returning({ version: registryVersionTable.version });
  const [row] = await tx.insert(entityChanges).values({ actor, action, entityIds, version: v!.version, payload }).returning();
  return { ...row!, action } as ChangeRecord;
}

/** Takes the registry lock first, so that concurrent changes see each other's aliases (the unique index is the backstop). */
async function lock(tx: Db) {
  await tx.insert(registryVersionTable).values({ id: 1, version: 0 }).onConflictDoNothing();
  await tx.select({ v: registryVersionTable.version }).from(registryVersionTable).where(eq(registryVersionTable.id, 1)).for("update");
}

async function activeEntity(tx: Db, id: string) {
  const [row] = await tx.select().from(entities).where(eq(entities.id, id));
  if (!row) throw notFound(id);
  if (row.mergedInto) throw new EntityStoreError("merged", `entity '${id}' was merged into '${row.mergedInto}'`, undefined, row.mergedInto);
  return row;
}

/** Inserts aliases for `entityId`; one that another entity holds is an error (409), one it already has is skipped. */
async function insertAliases(tx: Db, entityId: string, aliases: string[]): Promise<string[]> {
  const byNorm = new Map<string, string>();
  for (const a of aliases) if (!byNorm.has(normOf(a))) byNorm.set(normOf(a), a);
  if (byNorm.size === 0) return [];
  const held = await tx
    .select({ norm: entityAliases.aliasNorm, entityId: entityAliases.entityId, text: entityAliases.aliasText })
    .from(entityAliases)
    .where(inArray(entityAliases.aliasNorm, [...byNorm.keys()]));
  for (const h of held) {
    if (h.entityId !== entityId)
      throw new EntityStoreError(
        "alias_conflict",
        `alias '${byNorm.get(h.norm)}' already belongs to entity '${h.entityId}'`,
        undefined,
        h.entityId,
      );
    byNorm.delete(h.norm);
  }
  if (byNorm.size === 0) return [];
  await tx.insert(entityAliases).values([...byNorm].map(([aliasNorm, aliasText]) => ({ entityId, aliasNorm, aliasText })));
  return [...byNorm.values()];
}

/** A transaction that turns a unique violation on the alias index (a concurrent writer won) into a 409. */
async function tx<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  try {
    return await db.transaction(async (t) => {
      await lock(t);
      return fn(t);
    });
  } catch (err) {
    const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    if (code === "23505") throw new EntityStoreError("alias_conflict", "an alias or id is already taken");
    throw err;
  }
}

/** The registry's current version (0 before any change): scorers reload their resolver when it moves. */
export async function registryVersion(db: Db): Promise<number> {
  const [row] = await db.select({ v: registryVersionTable.version }).from(registryVersionTable).where(eq(registryVersionTable.id, 1));
  return row?.v ?? 0;
}

/** What resolvers load: live entities with their aliases (a merged entity's aliases are its target's), as of one version. */
export async function loadSnapshot(db: Db): Promise<RegistrySnapshot> {
  return db.transaction(
    async (t) => {
      const version = await registryVersion(t);
      const rows = await t.select().from(entities).where(isNull(entities.mergedInto)).orderBy(asc(entities.id));
      const all = await t.select({ id: entities.id, into: entities.mergedInto }).from(entities);
      const mergedInto = new Map(all.filter((r) => r.into).map((r) => [r.id, r.into!]));
      const finalId = (id: string) => {
        for (let i = 0; i < 64 && mergedInto.has(id); i++) id = mergedInto.get(id)!;
        return id;
      };
      const aliases = new Map<string, string[]>();
      for (const a of await t
        .select({ entityId: entityAliases.entityId, text: entityAliases.aliasText })
        .from(entityAliases)
        .orderBy(asc(entityAliases.aliasNorm))) {
        const id = finalId(a.entityId);
        (aliases.get(id) ?? aliases.set(id, []).get(id)!).push(a.text);
      }
      return {
        version,
        entities: rows.map((r): RegistryEntity => ({
          id: r.id,
          kind: r.kind as RegistryEntity["kind"],
          name: r.name,
          ...(r.ticker ? { ticker: r.ticker } : {}),
          ...(r.exchange ? { exchange: r.exchange } : {}),
          aliases: aliases.get(r.id) ?? [],
        })),
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

const keysOfEntity = (e: { name: string; ticker?: string | null; aliases: string[] }) =>
  legacyKeysOf([e.name, ...(e.ticker ? [e.ticker] : []), ...e.aliases]);

/**
 * Upserts `list` (idempotent): new entities are added, changed names/tickers/exchanges updated, missing aliases added.
 * An alias another entity already holds is skipped and counted (seed files may overlap), and a merge made since the
 * last seed is kept. One `seed` change with the counts is recorded when anything changed.
 */
export async function seedRegistry(db: Db, list: RegistryEntity[], actor: string): Promise<ChangeResult & { counts: SeedCounts }> {
  parse(Actor, actor);
  // One entry per id (the last one's fields, every entry's aliases): an upsert may not touch a row twice.
  const byId = new Map<string, RegistryEntity>();
  for (const e of parse(z.array(RegistryEntitySchema), list) as RegistryEntity[]) {
    const prev = byId.get(e.id);
    byId.set(e.id, prev ? { ...e, aliases: [...new Set([...prev.aliases, ...e.aliases])] } : e);
  }
  const parsed = [...byId.values()];
  return tx(db, async (t) => {
    const counts: SeedCounts = { entities: parsed.length, inserted: 0, updated: 0, aliases_added: 0, alias_conflicts: 0 };
    const changed: RegistryEntity[] = [];
    const mergedInto = new Map(
      (await t.select({ id: entities.id, into: entities.mergedInto }).from(entities).where(isNotNull(entities.mergedInto))).map((r) => [
        r.id,
        r.into!,
      ]),
    );
    const finalId = (id: string) => {
      for (let i = 0; i < 64 && mergedInto.has(id); i++) id = mergedInto.get(id)!;
      return id;
    };
    for (let i = 0; i < parsed.length; i += 500) {
      const chunk = parsed.slice(i, i + 500);
      const rows = await t
        .insert(entities)
        .values(chunk.map((e) => ({ id: e.id, kind: e.kind, name: e.name, ticker: e.ticker ?? null, exchange: e.exchange ?? null })))
        .onConflictDoUpdate({
          target: entities.id,
          set: {
            kind: sql`excluded.kind`,
            name: sql`excluded.name`,
            ticker: sql`excluded.ticker`,
            exchange: sql`excluded.exchange`,
            updatedAt: sql`now()`,
          },
          setWhere: sql`(${entities.kind}, ${entities.name}, ${entities.ticker}, ${entities.exchange})
                        is distinct from (excluded.kind, excluded.name, excluded.ticker, excluded.exchange)`,
        })
        .returning({ id: entities.id, inserted: sql<boolean>`(xmax = 0)` });
      const touched = new Set(rows.map((r) => r.id));
      for (const r of rows) counts[r.inserted ? "inserted" : "updated"]++;
      // Aliases: skip those held already (by this entity or, on overlap, another one).
      const wanted = chunk.flatMap((e) => e.aliases.map((a) => ({ entityId: e.id, aliasNorm: normaliseAlias(a), aliasText: a })));
      const firstByNorm = new Map<string, (typeof wanted)[number]>();
      for (const w of wanted) if (w.aliasNorm && !firstByNorm.has(w.aliasNorm)) firstByNorm.set(w.aliasNorm, w);
      const norms = [...firstByNorm.keys()];
      const held = new Map<string, string>();
      for (let j = 0; j < norms.length; j += 1000)
        for (const h of await t
          .select({ norm: entityAliases.aliasNorm, id: entityAliases.entityId })
          .from(entityAliases)
          .where(inArray(entityAliases.aliasNorm, norms.slice(j, j + 1000))))
          held.set(h.norm, h.id);
      const fresh = [...firstByNorm.values()].filter((w) => !held.has(w.aliasNorm));
      // Held by another entity, or claimed earlier in this seed by another entity: skipped. An alias a merge moved to
      // the target is where it belongs, not a conflict.
      const owner = (w: (typeof wanted)[number]) => held.get(w.aliasNorm) ?? firstByNorm.get(w.aliasNorm)!.entityId;
      counts.alias_conflicts += new Set(
        wanted
          .filter((w) => w.aliasNorm && owner(w) !== w.entityId && owner(w) !== finalId(w.entityId))
          .map((w) => `${w.entityId}\u0000${w.aliasNorm}`),
      ).size;
      for (let j = 0; j < fresh.length; j += 1000) {
        const added = await t
          .insert(entityAliases)
          .values(fresh.slice(j, j + 1000))
          .onConflictDoNothing()
          .returning({ id: entityAliases.entityId });
        counts.aliases_added += added.length;
        for (const a of added) touched.add(a.id);
      }
      changed.push(...chunk.filter((e) => touched.has(e.id)));
    }
    if (counts.inserted + counts.updated + counts.aliases_added === 0) return { change: null, affected: { keys: [], merges: [] }, counts };
    const change = await record(t, actor, "seed", changed.length <= 100 ? changed.map((e) => e.id) : [], { ...counts });
    return { change, affected: { keys: changed.flatMap(keysOfEntity), merges: [] }, counts };
  });
}

export interface SeedCounts {
  entities: number;
  inserted: number;
  updated: number;
  aliases_added: number;
  /** Aliases skipped because another entity holds them. */
  alias_conflicts: number;
}

/** Adds a new entity with its aliases; its id or an alias already taken is a 409. */
export async function addEntity(db: Db, entity: RegistryEntity, actor: string): Promise<ChangeResult> {
  parse(Actor, actor);
  const e = parse(RegistryEntitySchema, entity) as RegistryEntity;
  return tx(db, async (t) => {
    const [exists] = await t.select({ id: entities.id }).from(entities).where(eq(entities.id, e.id));
    if (exists) throw new EntityStoreError("id_conflict", `entity '${e.id}' already exists`, undefined, e.id);
    await t.insert(entities).values({ id: e.id, kind: e.kind, name: e.name, ticker: e.ticker ?? null, exchange: e.exchange ?? null });
    const aliases = await insertAliases(t, e.id, e.aliases);
    const change = await record(t, actor, "add_entity", [e.id], {
      id: e.id,
      kind: e.kind,
      name: e.name,
      ticker: e.ticker ?? null,
      exchange: e.exchange ?? null,
      aliases,
    });
    return { change, affected: { keys: keysOfEntity(e), merges: [] } };
  });
}

/** Adds an alias; one the entity already has changes nothing, one another entity holds is a 409. */
export async function addAlias(db: Db, id: string, alias: string, actor: string): Promise<ChangeResult> {
  parse(Actor, actor);
  const text = parse(AliasText, alias);
  return tx(db, async (t) => {
    await activeEntity(t, id);
    const added = await insertAliases(t, id, [text]);
    if (added.length === 0) return { change: null, affected: { keys: [], merges: [] } };
    await t
      .update(entities)
      .set({ updatedAt: sql`now()` })
      .where(eq(entities.id, id));
    const change = await record(t, actor, "add_alias", [id], { id, alias: text, alias_norm: normOf(text) });
    return { change, affected: { keys: legacyKeysOf([text]), merges: [] } };
  });
}

/** Removes an alias (matched once normalised); an alias the entity does not have is a 404. */
export async function removeAlias(db: Db, id: string, alias: string, actor: string): Promise<ChangeResult> {
  parse(Actor, actor);
  const text = parse(AliasText, alias);
  return tx(db, async (t) => {
    await activeEntity(t, id);
    const norm = normOf(text);
    const gone = await t
      .delete(entityAliases)
      .where(and(eq(entityAliases.entityId, id), eq(entityAliases.aliasNorm, norm)))
      .returning({ text: entityAliases.aliasText });
    if (!gone[0]) throw new EntityStoreError("not_found", `entity '${id}' has no alias '${text}'`);
    await t
      .update(entities)
      .set({ updatedAt: sql`now()` })
      .where(eq(entities.id, id));
    const change = await record(t, actor, "remove_alias", [id], { id, alias: gone[0].text, alias_norm: norm });
    return { change, affected: { keys: [canonicalKey(id)], merges: [] } };
  });
}

/**
 * Merges `fromId` into `intoId`: its aliases move to the target, it keeps its row with `merged_into` set (entities
 * merged into it before now point at the target too), and its mentions and alerts move to the target's key.
 */
export async function mergeEntities(db: Db, fromId: string, intoId: string, actor: string): Promise<ChangeResult> {
  parse(Actor, actor);
  if (fromId === intoId) throw new EntityStoreError("merge_into_self", `cannot merge entity '${fromId}' into itself`);
  return tx(db, async (t) => {
    await activeEntity(t, fromId);
    await activeEntity(t, intoId);
    const moved = await t
      .update(entityAliases)
      .set({ entityId: intoId })
      .where(eq(entityAliases.entityId, fromId))
      .returning({ text: entityAliases.aliasText });
    const earlier = await t
      .update(entities)
      .set({ mergedInto: intoId, updatedAt: sql`now()` })
      .where(eq(entities.mergedInto, fromId))
      .returning({ id: entities.id });
    await t
      .update(entities)
      .set({ mergedInto: intoId, updatedAt: sql`now()` })
      .where(eq(entities.id, fromId));
    await t
      .update(entities)
      .set({ updatedAt: sql`now()` })
      .where(eq(entities.id, intoId));
    const change = await record(t, actor, "merge", [fromId, intoId, ...earlier.map((e) => e.id)], {
      from: fromId,
      into: intoId,
      aliases: moved.map((m) => m.text),
      repointed: earlier.map((e) => e.id),
    });
    const merges = [fromId, ...earlier.map((e) => e.id)].map((id) => ({ from: canonicalKey(id), into: canonicalKey(intoId) }));
    return { change, affected: { keys: merges.map((m) => m.from), merges } };
  });
}

/**
 * Moves `aliases` of entity `id` to a new entity `newId` named `name` (same kind). When `newId` was merged into `id`,
 * it is revived instead (ticker and exchange as they were): merge then split restores the registry. Mentions under
 * `id` are then resolved again, so those of the split-off aliases move to `E:<newId>`.
 */
export async function splitEntity(db: Db, id: string, input: SplitInput, actor: string): Promise<ChangeResult> {
  parse(Actor, actor);
  const s = parse(SplitInput, input);
  if (s.newId === id) throw new EntityStoreError("id_conflict", `the split-off entity needs an id other than '${id}'`, undefined, id);
  return tx(db, async (t) => {
    const source = await activeEntity(t, id);
    const norms = [...new Set(s.aliases.map(normOf))];
    const have = await t
      .select({ norm: entityAliases.aliasNorm })
      .from(entityAliases)
      .where(and(eq(entityAliases.entityId, id), inArray(entityAliases.aliasNorm, norms)));
    const missing = norms.filter((n) => !have.some((h) => h.norm === n));
    if (missing.length)
      throw new EntityStoreError(
        "alias_not_on_entity",
        `entity '${id}' has no alias ${missing.map((m) => `'${s.aliases.find((a) => normaliseAlias(a) === m)}'`).join(", ")}`,
      );
    const [existing] = await t.select().from(entities).where(eq(entities.id, s.newId));
    let revived = false;
    if (existing) {
      if (existing.mergedInto !== id) throw new EntityStoreError("id_conflict", `entity '${s.newId}' already exists`, undefined, s.newId);
      await t
        .update(entities)
        .set({ mergedInto: null, name: s.name, updatedAt: sql`now()` })
        .where(eq(entities.id, s.newId));
      revived = true;
    } else await t.insert(entities).values({ id: s.newId, kind: source.kind, name: s.name });
    const moved = await t
      .update(entityAliases)
      .set({ entityId: s.newId })
      .where(and(eq(entityAliases.entityId, id), inArray(entityAliases.aliasNorm, norms)))
      .returning({ text: entityAliases.aliasText });
    await t
      .update(entities)
      .set({ updatedAt: sql`now()` })
      .where(eq(entities.id, id));
    const change = await record(t, actor, "split", [id, s.newId], {
      from: id,
      new_id: s.newId,
      name: s.name,
      aliases: moved.map((m) => m.text),
      revived,
    });
    return { change, affected: { keys: [canonicalKey(id)], merges: [] } };
  });
}
