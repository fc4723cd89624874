import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alerts, entityMentions, items, type DbHandle } from "@finsentry/db";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";
import type { RegistryEntity } from "../src/index.ts";
import { addAlias, mergeEntities, registryVersion, rekeyChanges, seedRegistry, splitEntity } from "../src/store/index.ts";

// A registry change whose re-keying failed after the change was committed (the writes below skip rekeyAfter, as a
// crash or a timeout between the two would): rekeyChanges runs it again, from the change records, idempotently.

const FIXTURE: RegistryEntity[] = [
  { id: "tsla", kind: "instrument", name: "Tesla", ticker: "TSLA", exchange: "NASDAQ", aliases: ["Tesla"] },
  { id: "tesla-motors", kind: "instrument", name: "Tesla Motors", aliases: ["Tesla Motors"] },
  { id: "aapl", kind: "instrument", name: "Apple", ticker: "AAPL", aliases: ["Apple"] },
];
const MENTIONS = [
  { item: "i1", text: "Tesla", key: "E:tsla", body: "Tesla recalls cars" },
  { item: "i2", text: "Tesla Motors", key: "E:tesla-motors", body: "Tesla Motors opens a plant" },
  { item: "i3", text: "Teslar", key: "ORG:teslar", body: "Teslar shares slide" },
  { item: "i4", text: "Apple", key: "E:aapl", body: "Apple sues" },
  { item: "i5", text: "Zorblax Mining", key: "ORG:zorblax mining", body: "Zorblax Mining strikes gold" },
];

describe.each(dbKinds)("rekeyChanges: re-running the re-keying of registry changes (%s)", (kind) => {
  let h: DbHandle;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db: h, drop } = await openTestDb(kind));
    await seedRegistry(h.db, FIXTURE, "seed");
    const at = new Date("2026-12-01T10:00:00Z");
    const iso = at.toISOString();
    for (const m of MENTIONS) {
      await h.db.insert(items).values({ id: m.item, source: "wire", stream: "news", publishedAt: iso, ingestedAt: iso, text: m.body });
      const start = m.body.indexOf(m.text);
      await h.db
        .insert(entityMentions)
        .values({ itemId: m.item, start, end: start + m.text.length, entityKey: m.key, type: "ORG", text: m.text, publishedAt: iso });
    }
    await h.db.insert(alerts).values({
      id: "a1",
      ruleId: "r1",
      ruleVersion: 1,
      ruleName: "r1",
      ruleType: "sentiment_level",
      entityKey: "E:tesla-motors",
      severity: "warning",
      state: "firing",
      title: "r1: Tesla Motors",
      summary: "s",
      figures: {},
      fireFigures: {},
      evidenceItemIds: [],
      firedAt: at,
      updatedAt: at,
    });
  });
  afterAll(async () => drop?.());

  const keys = async () =>
    Object.fromEntries(
      (await h.exec(`select item_id, entity_key from entity_mentions order by 1`)).rows.map((r) => [r.item_id, r.entity_key]),
    );
  const alertKey = async () => (await h.exec(`select entity_key from alerts where id = 'a1'`)).rows[0]!.entity_key;

  it("moves a merged entity's mentions and alerts to the target, once", async () => {
    await mergeEntities(h.db, "tesla-motors", "tsla", "ana"); // its re-keying "failed"
    expect((await keys()).i2).toBe("E:tesla-motors");
    const first = await rekeyChanges(h.db, { last: 1 }, "ana");
    expect(first.changes.map((c) => c.action)).toEqual(["merge"]);
    expect(first.affected.merges).toEqual([{ from: "E:tesla-motors", into: "E:tsla" }]);
    expect(first.rekey).toMatchObject({ rekeyed: 1, movedTo: { "E:tsla": 1 }, alerts: { moved: 1 } });
    expect(await keys()).toMatchObject({ i1: "E:tsla", i2: "E:tsla", i3: "ORG:teslar" });
    expect(await alertKey()).toBe("E:tsla");
    const again = await rekeyChanges(h.db, { last: 1 }, "ana");
    expect(again.rekey).toMatchObject({ rekeyed: 0, movedTo: {}, alerts: { moved: 0, duplicates_dropped: 0 }, state: { moved: 0 } });
    expect(again.rekey.scanned).toBeGreaterThan(0);
  });

  it("moves the legacy mentions of an added alias", async () => {
    await addAlias(h.db, "tsla", "Teslar", "ana");
    const r = await rekeyChanges(h.db);
    expect(r.changes.map((c) => c.action)).toEqual(["add_alias"]);
    expect(r.affected.keys).toContain("ORG:teslar");
    expect(r.rekey).toMatchObject({ rekeyed: 1, movedTo: { "E:tsla": 1 } });
    expect((await keys()).i3).toBe("E:tsla");
  });

  it("moves split-off mentions to the revived entity, and a re-run over every change since then moves nothing", async () => {
    await splitEntity(h.db, "tsla", { aliases: ["Tesla Motors"], newId: "tesla-motors", name: "Tesla Motors" }, "ana");
    const r = await rekeyChanges(h.db, { last: 1 });
    expect(r.rekey).toMatchObject({ rekeyed: 1, movedTo: { "E:tesla-motors": 1 } });
    expect(await keys()).toMatchObject({ i1: "E:tsla", i2: "E:tesla-motors", i3: "E:tsla", i4: "E:aapl" });
    // The merge, the alias and the split again, and the seed: the merge no longer stands (split since), so nothing
    // goes back onto E:tsla; everything already matches the registry.
    const all = await rekeyChanges(h.db, { sinceVersion: 0 });
    expect(all.changes.map((c) => c.action)).toEqual(["split", "add_alias", "merge", "seed"]);
    expect(all.affected.merges).toEqual([]);
    expect(all.rekey).toMatchObject({ rekeyed: 0, alerts: { moved: 0 } });
    expect(await keys()).toMatchObject({ i1: "E:tsla", i2: "E:tesla-motors", i3: "E:tsla", i4: "E:aapl" });
  });

  it("finds the entities of a large seed (one that records no ids) by its time", async () => {
    const many: RegistryEntity[] = Array.from({ length: 120 }, (_, i) => ({
      id: `zz${i}`,
      kind: "instrument",
      name: i === 7 ? "Zorblax Mining" : `Filler Company ${i}`,
      aliases: [],
    }));
    const seeded = await seedRegistry(h.db, many, "listings");
    expect(seeded.change?.entityIds).toEqual([]);
    const version = await registryVersion(h.db);
    const r = await rekeyChanges(h.db, { sinceVersion: version - 1 });
    expect(r.changes.map((c) => c.action)).toEqual(["seed"]);
    expect(r.affected.keys).toContain("ORG:zorblax mining");
    expect(r.rekey).toMatchObject({ rekeyed: 1, movedTo: { "E:zz7": 1 } });
    expect((await keys()).i5).toBe("E:zz7");
    expect((await rekeyChanges(h.db, { sinceVersion: version - 1 })).rekey.rekeyed).toBe(0);
  });

  it("re-keys a hashtag the model typed PERSON to the instrument, retyped TICKER", async () => {
    const at = new Date("2026-12-01T11:00:00Z").toISOString();
    await h.db
      .insert(items)
      .values({ id: "i6", source: "x", stream: "social", publishedAt: at, ingestedAt: at, text: "Tesla shares: buy #TSLA now" });
    await h.db
      .insert(entityMentions)
      .values({ itemId: "i6", start: 18, end: 23, entityKey: "PERSON:#tsla", type: "PERSON", text: "#TSLA", publishedAt: at });
    expect((await addAlias(h.db, "tsla", "Tesla Energy", "ana")).change?.action).toBe("add_alias");
    const r = await rekeyChanges(h.db);
    expect(r.affected.keys).toContain("PERSON:#tsla");
    expect(r.rekey).toMatchObject({ rekeyed: 1, movedTo: { "E:tsla": 1 } });
    expect((await h.exec(`select entity_key, type from entity_mentions where item_id = 'i6'`)).rows).toEqual([
      { entity_key: "E:tsla", type: "TICKER" },
    ]);
    expect((await rekeyChanges(h.db)).rekey.rekeyed).toBe(0);
  });
});
