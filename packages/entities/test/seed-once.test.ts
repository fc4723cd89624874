import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { count } from "drizzle-orm";
import { entityChanges, entitySeeds, type DbHandle } from "@finsentry/db";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";
import type { RegistryEntity } from "../src/index.ts";
import { getEntity, registryVersion, removeAlias, seedHash, seedRegistryIfChanged } from "../src/store/index.ts";

// Seeding a listings directory on every scorer start: skipped when the list is the same as at the last seed of that
// source (content hash in entity_seeds), done again when it changed or the registry was rebuilt since.

const LIST: RegistryEntity[] = [
  { id: "glbx", kind: "instrument", name: "Globex", ticker: "GLBX", exchange: "NYSE", aliases: ["Globex Corporation"] },
  { id: "hool", kind: "instrument", name: "Hooli", ticker: "HOOL", exchange: "NASDAQ", aliases: ["Hooli Inc."] },
];
const NEXT: RegistryEntity[] = [...LIST, { id: "inat", kind: "instrument", name: "Initech Airlines", ticker: "INAT", aliases: [] }];

describe("seedHash", () => {
  it("changes with any field and with the order, not with object key order", () => {
    const base = seedHash(LIST);
    expect(seedHash(LIST.map((e) => ({ ...e })))).toBe(base);
    expect(
      seedHash([
        { aliases: ["Globex Corporation"], exchange: "NYSE", ticker: "GLBX", name: "Globex", kind: "instrument", id: "glbx" },
        LIST[1]!,
      ]),
    ).toBe(base);
    expect(seedHash([...LIST].reverse())).not.toBe(base);
    expect(seedHash([{ ...LIST[0]!, aliases: ["Globex Corp"] }, LIST[1]!])).not.toBe(base);
    expect(seedHash([{ ...LIST[0]!, exchange: "NASDAQ" }, LIST[1]!])).not.toBe(base);
    expect(seedHash(LIST.slice(0, 1))).not.toBe(base);
  });
});

describe.each(dbKinds)("seedRegistryIfChanged (%s)", (kind) => {
  let h: DbHandle;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db: h, drop } = await openTestDb(kind));
  });
  afterAll(async () => drop?.());

  const changes = async () => (await h.db.select({ n: count() }).from(entityChanges))[0]!.n;

  it("seeds a source the first time and records its hash", async () => {
    const r = await seedRegistryIfChanged(h.db, "listings:/data/tickers", LIST, "scorer");
    expect(r).toMatchObject({ skipped: false, previousHash: null, counts: { inserted: 2, aliases_added: 2 } });
    expect((await getEntity(h.db, "hool")).aliases).toEqual(["Hooli Inc."]);
    const [row] = await h.db.select().from(entitySeeds);
    expect(row).toMatchObject({ source: "listings:/data/tickers", contentHash: seedHash(LIST), entities: 2, registryVersion: 1 });
  });

  it("skips the same list next time, recording nothing", async () => {
    const before = { changes: await changes(), version: await registryVersion(h.db) };
    const r = await seedRegistryIfChanged(
      h.db,
      "listings:/data/tickers",
      LIST.map((e) => ({ ...e })),
      "scorer",
    );
    expect(r).toMatchObject({ skipped: true, hash: seedHash(LIST), registryVersion: 1 });
    expect({ changes: await changes(), version: await registryVersion(h.db) }).toEqual(before);
  });

  it("keeps registry changes made since while skipping (an alias an admin removed stays removed)", async () => {
    await removeAlias(h.db, "hool", "Hooli Inc.", "ana");
    expect(await seedRegistryIfChanged(h.db, "listings:/data/tickers", LIST, "scorer")).toMatchObject({ skipped: true });
    expect((await getEntity(h.db, "hool")).aliases).toEqual([]);
  });

  it("seeds again when the list changed, and then skips that one", async () => {
    const next = NEXT;
    const r = await seedRegistryIfChanged(h.db, "listings:/data/tickers", next, "scorer");
    expect(r).toMatchObject({ skipped: false, previousHash: seedHash(LIST), counts: { inserted: 1 } });
    expect((await getEntity(h.db, "inat")).name).toBe("Initech Airlines");
    expect(await seedRegistryIfChanged(h.db, "listings:/data/tickers", next, "scorer")).toMatchObject({
      skipped: true,
      hash: seedHash(next),
    });
    // Another source has its own hash.
    expect(await seedRegistryIfChanged(h.db, "listings:/other", next, "scorer")).toMatchObject({ skipped: false, previousHash: null });
  });

  it("seeds again when the registry was rebuilt since (its version is below the one recorded)", async () => {
    const recorded = (await h.db.select().from(entitySeeds)).find((s) => s.source === "listings:/data/tickers")!;
    expect(recorded).toMatchObject({ contentHash: seedHash(NEXT), registryVersion: await registryVersion(h.db) });
    // A restored backup or a registry emptied by hand: its version went back (here: to before the recorded seed).
    await h.exec(`update registry_version set version = $1`, [recorded.registryVersion - 1]);
    await h.exec(`delete from entity_aliases where entity_id = 'inat'`);
    await h.exec(`delete from entities where id = 'inat'`);
    const r = await seedRegistryIfChanged(h.db, "listings:/data/tickers", NEXT, "scorer");
    expect(r).toMatchObject({ skipped: false, previousHash: seedHash(NEXT), counts: { inserted: 1 } });
    expect((await getEntity(h.db, "inat")).name).toBe("Initech Airlines");
  });
});
