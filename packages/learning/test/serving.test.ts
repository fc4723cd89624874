import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { BUNDLED_MODEL_DIR } from "@finsentry/pipeline";
import type { TextScorer } from "@finsentry/model";
import { DiskModelStore, ensureChampion, followChampion, ModelRegistry } from "../src/index.ts";

// A scorer that starts while a promotion is announced must not stay on the old version: the watcher's fresh group
// begins at the newest event, so followChampion re-checks the registry once it is subscribed.
describe("followChampion start-up reconciliation (PGlite + the bundled model)", () => {
  const log = createLogger("serving-test", "silent");
  let db: DbHandle;
  let dir: string;
  let store: DiskModelStore;
  let champion: string;
  beforeAll(async () => {
    db = await openDb("memory://");
    dir = await mkdtemp(join(tmpdir(), "finsentry-serving-"));
    store = new DiskModelStore(dir);
    champion = await ensureChampion({ registry: new ModelRegistry(db.db), store, log }, BUNDLED_MODEL_DIR);
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("switches at start when the registry's champion differs from the running version", async () => {
    const bus = new MemoryBus(1);
    const swapped: TextScorer[] = [];
    const follow = await followChampion(
      { bus, db: db.db, store, log },
      async (next) => void swapped.push(next),
      () => "an-older-version",
    );
    await follow.stop();
    expect(swapped.map((s) => s.version)).toEqual([champion]);
    await Promise.all(swapped.map((s) => s.close()));
  });

  it("does nothing when the scorer already runs the champion", async () => {
    const bus = new MemoryBus(1);
    const swapped: TextScorer[] = [];
    const follow = await followChampion(
      { bus, db: db.db, store, log },
      async (next) => void swapped.push(next),
      () => champion,
    );
    await follow.stop();
    expect(swapped).toEqual([]);
  });
});
