import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { alertItems, alertRuleStates, alerts, entityChanges, entityMentions, items, type DbHandle } from "@finsentry/db";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";
import type { RegistryEntity } from "../src/index.ts";
import {
  addAlias,
  addEntity,
  EntityStoreError,
  getEntity,
  loadSnapshot,
  mergeEntities,
  registryVersion,
  rekeyAfter,
  removeAlias,
  searchEntities,
  seedRegistry,
  splitEntity,
} from "../src/store/index.ts";

// The registry store on PGlite (and on Postgres when DATABASE_URL is set): seeding, alias changes and their
// conflicts, merge and split, and re-keying of stored mentions and alerts without counting anything twice.

const FIXTURE: RegistryEntity[] = [
  { id: "tsla", kind: "instrument", name: "Tesla", ticker: "TSLA", exchange: "NASDAQ", aliases: ["Tesla", "Tesla Energy"] },
  { id: "tesla-motors", kind: "instrument", name: "Tesla Motors", aliases: ["Tesla Motors"] },
  { id: "aapl", kind: "instrument", name: "Apple", ticker: "AAPL", exchange: "NASDAQ", aliases: ["Apple", "Apple Computer"] },
  { id: "person-elon-musk", kind: "person", name: "Elon Musk", aliases: ["Elon Musk"] },
];

/** Mentions as the scorer stores them: resolved ones under `E:<id>`, the rest under their legacy key. */
const MENTIONS: { item: string; text: string; type: string; key: string; body: string }[] = [
  { item: "i1", text: "Tesla", type: "ORG", key: "E:tsla", body: "Tesla recalls cars" },
  { item: "i2", text: "Tesla", type: "ORG", key: "E:tsla", body: "Tesla beats estimates" },
  { item: "i3", text: "Tesla Motors", type: "ORG", key: "E:tesla-motors", body: "Tesla Motors opens a plant" },
  { item: "i4", text: "Tesla Motors", type: "ORG", key: "E:tesla-motors", body: "Tesla Motors cuts prices" },
  { item: "i5", text: "Teslar", type: "ORG", key: "ORG:teslar", body: "Teslar shares slide" },
  { item: "i6", text: "Apple", type: "ORG", key: "E:aapl", body: "Apple sues Teslar" },
  { item: "i6", text: "Teslar", type: "ORG", key: "ORG:teslar", body: "Apple sues Teslar" },
];

describe.each(dbKinds)("entity registry store (%s)", (kind) => {
  let h: DbHandle;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db: h, drop } = await openTestDb(kind));
    const at = new Date("2026-12-01T10:00:00Z").toISOString();
    for (const m of MENTIONS) {
      await h.db
        .insert(items)
        .values({ id: m.item, source: "wire", stream: "news", publishedAt: at, ingestedAt: at, text: m.body })
        .onConflictDoNothing();
      const start = m.body.indexOf(m.text);
      await h.db
        .insert(entityMentions)
        .values({ itemId: m.item, start, end: start + m.text.length, entityKey: m.key, type: m.type, text: m.text, publishedAt: at });
    }
  });
  afterAll(async () => drop?.());

  const db = () => h.db;
  const counts = async () => {
    const rows = (await h.exec(`select entity_key, count(*)::int as n from entity_mentions group by 1 order by 1`)).rows;
    return Object.fromEntries(rows.map((r) => [r.entity_key as string, r.n as number]));
  };
  const refusal = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EntityStoreError);
    return err as EntityStoreError;
  };

  it("seeds idempotently, recording one seed change with its counts", async () => {
    expect(await registryVersion(db())).toBe(0);
    const first = await seedRegistry(db(), FIXTURE, "test");
    expect(first.counts).toMatchObject({ entities: 4, inserted: 4, updated: 0, aliases_added: 6, alias_conflicts: 0 });
    expect(first.change?.action).toBe("seed");
    expect(first.change?.payload).toMatchObject({ inserted: 4, aliases_added: 6 });
    expect(await registryVersion(db())).toBe(1);
    const again = await seedRegistry(db(), FIXTURE, "test");
    expect(again.change).toBeNull();
    expect(again.counts).toMatchObject({ inserted: 0, updated: 0, aliases_added: 0 });
    expect(await registryVersion(db())).toBe(1);
    const snap = await loadSnapshot(db());
    expect(snap.version).toBe(1);
    expect(snap.entities.map((e) => e.id).sort()).toEqual(["aapl", "person-elon-musk", "tesla-motors", "tsla"]);
    expect(snap.entities.find((e) => e.id === "tsla")).toMatchObject({ ticker: "TSLA", exchange: "NASDAQ" });
    expect((await db().select().from(entityChanges)).length).toBe(1);
    expect((await searchEntities(db(), { q: "tsla", limit: 5 }))[0]?.id).toBe("tsla");
    expect((await searchEntities(db(), { q: "computer", limit: 5 })).map((e) => e.id)).toEqual(["aapl"]);
  });

  it("adds an alias: the version moves, the change is recorded, and legacy mentions of it move to the entity", async () => {
    const r = await addAlias(db(), "tsla", "Teslar", "alice");
    expect(r.change).toMatchObject({ action: "add_alias", actor: "alice", version: 2, entityIds: ["tsla"] });
    expect(r.affected.keys).toContain("ORG:teslar");
    const rekey = await rekeyAfter(db(), r);
    expect(rekey).toMatchObject({ scanned: 2, rekeyed: 2, movedTo: { "E:tsla": 2 } });
    expect(await counts()).toEqual({ "E:aapl": 1, "E:tesla-motors": 2, "E:tsla": 4 });
    // The same alias again changes nothing.
    expect((await addAlias(db(), "tsla", "teslar", "alice")).change).toBeNull();
    expect(await registryVersion(db())).toBe(2);
  });

  it("refuses an alias another entity holds (409), a merge into itself (400), unknown ids (404) and invalid input (400)", async () => {
    const version = await registryVersion(db());
    const taken = await refusal(addAlias(db(), "aapl", "TESLA", "bob"));
    expect([taken.status, taken.code, taken.holder]).toEqual([409, "alias_conflict", "tsla"]);
    const self = await refusal(mergeEntities(db(), "aapl", "aapl", "bob"));
    expect([self.status, self.code]).toEqual([400, "merge_into_self"]);
    for (const p of [
      () => addAlias(db(), "nope", "x", "bob"),
      () => removeAlias(db(), "nope", "x", "bob"),
      () => removeAlias(db(), "aapl", "Not An Alias", "bob"),
      () => mergeEntities(db(), "nope", "aapl", "bob"),
      () => mergeEntities(db(), "aapl", "nope", "bob"),
      () => splitEntity(db(), "nope", { aliases: ["x"], newId: "y", name: "Y" }, "bob"),
    ])
      expect((await refusal(p())).status).toBe(404);
    const bad = await refusal(addEntity(db(), { id: "Bad Id", kind: "instrument", name: "", aliases: [] }, "bob"));
    expect([bad.status, bad.code]).toEqual([400, "validation_failed"]);
    expect(bad.issues?.issues.length).toBeGreaterThan(0);
    const dup = await refusal(addEntity(db(), { id: "aapl", kind: "instrument", name: "Apple again", aliases: [] }, "bob"));
    expect([dup.status, dup.code]).toEqual([409, "id_conflict"]);
    const collides = await refusal(addEntity(db(), { id: "apple-2", kind: "instrument", name: "Apple 2", aliases: ["apple"] }, "bob"));
    expect(collides.status).toBe(409);
    expect((await getEntity(db(), "aapl")).aliases).toEqual(["Apple", "Apple Computer"]);
    expect(await registryVersion(db())).toBe(version);
  });

  it("merges: aliases, mentions, alerts and alert state move to the target, each counted once", async () => {
    const fired = new Date("2026-12-01T10:05:00Z");
    const alert = (id: string, entityKey: string, ruleId: string, state: string, firedAt: Date) => ({
      id,
      ruleId,
      ruleVersion: 1,
      ruleName: ruleId,
      ruleType: "sentiment_level",
      entityKey,
      severity: "warning",
      state,
      title: "t",
      summary: "s",
      figures: {},
      fireFigures: {},
      evidenceItemIds: [],
      firedAt,
      updatedAt: firedAt,
    });
    await db()
      .insert(alerts)
      .values([
        // The same episode recorded under both keys: one is kept.
        alert("a1", "E:tsla", "r1", "resolved", fired),
        alert("a2", "E:tesla-motors", "r1", "resolved", fired),
        // Both open for one rule: the moved one is resolved.
        alert("a3", "E:tsla", "r2", "firing", fired),
        alert("a4", "E:tesla-motors", "r2", "firing", new Date(fired.getTime() + 60_000)),
        // Only under the merged-away key: moves as is.
        alert("a5", "E:tesla-motors", "r3", "firing", fired),
      ]);
    await db()
      .insert(alertRuleStates)
      .values([
        { ruleId: "r2", entityKey: "E:tsla", state: { n: 1 } },
        { ruleId: "r2", entityKey: "E:tesla-motors", state: { n: 2 } },
        { ruleId: "r3", entityKey: "E:tesla-motors", state: { n: 3 } },
      ]);
    const item = { eventTime: 1, score: -0.5, confidence: 0.9, bearish: true, topic: "other", topicConfidence: 0.5 };
    await db()
      .insert(alertItems)
      .values([
        { itemId: "i3", entityKey: "E:tesla-motors", ...item },
        { itemId: "i1", entityKey: "E:tsla", ...item },
        { itemId: "i1", entityKey: "E:tesla-motors", ...item },
      ]);
    const before = await counts();
    const total = Object.values(before).reduce((a, b) => a + b, 0);

    const r = await mergeEntities(db(), "tesla-motors", "tsla", "carol");
    expect(r.change?.payload).toMatchObject({ from: "tesla-motors", into: "tsla", aliases: ["Tesla Motors"] });
    const rekey = await rekeyAfter(db(), r, "carol");
    expect(rekey).toMatchObject({ scanned: 2, rekeyed: 2, movedTo: { "E:tsla": 2 } });
    expect(rekey?.alerts).toEqual({ moved: 2, duplicates_dropped: 1, open_duplicates_resolved: 1 });
    expect(rekey?.state).toEqual({ moved: 2, duplicates_dropped: 2 });

    const after = await counts();
    expect(after).toEqual({ "E:aapl": 1, "E:tsla": before["E:tsla"]! + before["E:tesla-motors"]! });
    expect(Object.values(after).reduce((a, b) => a + b, 0)).toBe(total);
    const perMention = (await h.exec(`select count(*)::int as n from entity_mentions group by item_id, start, "end" having count(*) > 1`))
      .rows;
    expect(perMention).toEqual([]);
    const rows = await db().select().from(alerts).where(eq(alerts.entityKey, "E:tsla"));
    expect(rows.map((a) => a.id).sort()).toEqual(["a1", "a3", "a4", "a5"]);
    expect(rows.find((a) => a.id === "a4")).toMatchObject({ state: "resolved", resolveReason: "merged", resolvedBy: "carol" });
    expect((await db().select().from(alerts).where(eq(alerts.entityKey, "E:tesla-motors"))).length).toBe(0);
    const states = await db().select().from(alertRuleStates);
    expect(states.map((s) => `${s.ruleId} ${s.entityKey}`).sort()).toEqual(["r2 E:tsla", "r3 E:tsla"]);
    expect(states.find((s) => s.ruleId === "r2")?.state).toEqual({ n: 1 });
    const counted = await db().select().from(alertItems);
    expect(counted.map((c) => `${c.itemId} ${c.entityKey}`).sort()).toEqual(["i1 E:tsla", "i3 E:tsla"]);

    const snap = await loadSnapshot(db());
    expect(snap.entities.map((e) => e.id)).not.toContain("tesla-motors");
    expect(snap.entities.find((e) => e.id === "tsla")?.aliases).toContain("Tesla Motors");
    const merged = await getEntity(db(), "tesla-motors");
    expect(merged.merged_into).toBe("tsla");
    expect((await getEntity(db(), "tsla")).merged_ids).toEqual(["tesla-motors"]);
    expect((await refusal(addAlias(db(), "tesla-motors", "TM", "carol"))).status).toBe(409);
    // Rekeying again finds nothing to move.
    expect((await rekeyAfter(db(), r))?.rekeyed).toBe(0);
    expect(await counts()).toEqual(after);
  });

  it("split after merge restores the registry and moves the split-off aliases' mentions back", async () => {
    const r = await splitEntity(db(), "tsla", { aliases: ["Tesla Motors"], newId: "tesla-motors", name: "Tesla Motors" }, "dave");
    expect(r.change?.payload).toMatchObject({ from: "tsla", new_id: "tesla-motors", aliases: ["Tesla Motors"], revived: true });
    const rekey = await rekeyAfter(db(), r);
    expect(rekey?.movedTo).toEqual({ "E:tesla-motors": 2 });
    expect(await counts()).toEqual({ "E:aapl": 1, "E:tesla-motors": 2, "E:tsla": 4 });
    const snap = await loadSnapshot(db());
    const norm = (es: RegistryEntity[]) =>
      es.map((e) => ({ ...e, aliases: [...e.aliases].sort() })).sort((a, b) => a.id.localeCompare(b.id));
    const expected = FIXTURE.map((e) => (e.id === "tsla" ? { ...e, aliases: [...e.aliases, "Teslar"] } : e));
    expect(norm(snap.entities)).toEqual(norm(expected));
    // A split needs aliases the entity has, and an id not taken by a live entity.
    expect((await refusal(splitEntity(db(), "tsla", { aliases: ["Apple"], newId: "x", name: "X" }, "dave"))).status).toBe(400);
    expect((await refusal(splitEntity(db(), "tsla", { aliases: ["Tesla"], newId: "aapl", name: "X" }, "dave"))).status).toBe(409);
    // History: the split, the merge and the alias change, newest first.
    const actions = (await getEntity(db(), "tsla")).changes.map((c) => c.action);
    expect(actions.slice(0, 3)).toEqual(["split", "merge", "add_alias"]);
  });

  it("removes an alias: mentions under the entity resolve again and fall back to their legacy key", async () => {
    const r = await removeAlias(db(), "tsla", "TESLAR", "erin");
    expect(r.change?.payload).toMatchObject({ alias: "Teslar" });
    const rekey = await rekeyAfter(db(), r);
    expect(rekey?.movedTo).toEqual({ "ORG:teslar": 2 });
    expect(await counts()).toEqual({ "E:aapl": 1, "E:tesla-motors": 2, "E:tsla": 2, "ORG:teslar": 2 });
    const added = await addEntity(db(), { id: "teslar", kind: "instrument", name: "Teslar", aliases: ["Teslar"] }, "erin");
    expect((await rekeyAfter(db(), added))?.movedTo).toEqual({ "E:teslar": 2 });
    expect(await counts()).toEqual({ "E:aapl": 1, "E:tesla-motors": 2, "E:tsla": 2, "E:teslar": 2 });
    const versions = (
      await db()
        .select({ v: entityChanges.version })
        .from(entityChanges)
        .orderBy(sql`id`)
    ).map((c) => c.v);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });
  it("re-seeding keeps merges, and counts the aliases another entity holds instead of failing", async () => {
    await rekeyAfter(db(), await mergeEntities(db(), "tesla-motors", "tsla", "frank"));
    const r = await seedRegistry(
      db(),
      [...FIXTURE, { id: "apple-records", kind: "instrument", name: "Apple Records", aliases: ["Apple", "Apple Corps"] }],
      "seed",
    );
    expect(r.counts).toMatchObject({ inserted: 1, aliases_added: 1, alias_conflicts: 1 }); // "Apple", which aapl holds
    expect((await getEntity(db(), "tesla-motors")).merged_into).toBe("tsla");
    expect((await getEntity(db(), "apple-records")).aliases).toEqual(["Apple Corps"]);
    expect((await loadSnapshot(db())).entities.map((e) => e.id)).not.toContain("tesla-motors");
  });

  it("seeds a list that names one id twice (listings plus the demo): the last entry's fields, both entries' aliases", async () => {
    const dup = { id: "dup-co", kind: "instrument" as const, aliases: [] };
    const r = await seedRegistry(
      db(),
      [
        { ...dup, name: "Dup Company Inc", ticker: "DUPC", aliases: ["Dupwidgets"] },
        { ...dup, name: "Dup Co", ticker: "DUPC", exchange: "DEMO", aliases: ["Dupgadgets"] },
      ],
      "seed",
    );
    expect(r.counts).toMatchObject({ entities: 1, inserted: 1, aliases_added: 2 });
    expect(await getEntity(db(), "dup-co")).toMatchObject({ name: "Dup Co", exchange: "DEMO", aliases: ["Dupgadgets", "Dupwidgets"] });
  });
});
