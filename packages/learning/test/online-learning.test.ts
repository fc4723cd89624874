import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { saveLabel } from "@finsentry/labels";
import { loadScorer } from "@finsentry/model";
import { BUNDLED_MODEL_DIR, IngestWriter, startScorer, StreamRegistry, StreamSupervisor } from "@finsentry/pipeline";
import { TOPICS } from "@finsentry/schemas";
import { DiskModelStore, ensureChampion, followChampion, ModelRegistry, RunStore, scoreModel, startTrainer } from "../src/index.ts";
import { GOLDEN, HELD_OUT_SLANG, REPLAY, SLANG_LABELS, wrongLabels } from "./fixtures.ts";

const log = createLogger("test", "silent");

describe("online learning: labels → fine-tune → gate → hot swap (in-memory bus + PGlite, bundled model)", () => {
  let db: DbHandle;
  let dir: string;
  const bus = new MemoryBus(3);

  beforeAll(async () => {
    db = await openDb("memory://");
    dir = await mkdtemp(join(tmpdir(), "finsentry-registry-"));
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("promotes a challenger that learned the new slang, and a running scorer switches mid-stream with exact counts", async () => {
    const store = new DiskModelStore(dir);
    const registry = new ModelRegistry(db.db);
    const runs = new RunStore(db.db);
    const championId = await ensureChampion({ registry, store, log }, BUNDLED_MODEL_DIR);

    // The pipeline runs throughout; items keep arriving while the trainer works.
    const supervisor = new StreamSupervisor({ bus, log, writer: new IngestWriter(bus), registry: new StreamRegistry(db.db) });
    await supervisor.start();
    const scorer = await startScorer({ bus, db, log, model: await loadScorer(BUNDLED_MODEL_DIR), batchSize: 8 });
    const follow = await followChampion(
      { bus, db: db.db, store, log },
      (next) => scorer.swapModel(next),
      () => scorer.modelVersion,
    );
    let published = 0;
    const feed = setInterval(() => {
      const i = published++;
      void bus.send(TOPICS.news, [
        { value: JSON.stringify({ source: "t", published_at: new Date().toISOString(), text: `Feed item ${i}: Acme shares move` }) },
      ]);
    }, 50);

    const heldOut = HELD_OUT_SLANG();
    const before = await scoreModel(await loadScorer(BUNDLED_MODEL_DIR), heldOut);

    const trainer = await startTrainer(
      { db: db.db, bus, log, store, registry, runs },
      { golden: GOLDEN(), replay: REPLAY(), labelThreshold: 300, pollMs: 300, epochs: 4 },
    );
    for (const l of SLANG_LABELS()) {
      await saveLabel(
        db.db,
        { v: 1, text: l.text, sentiment: l.sentiment as "bearish", author: "ana", role: "analyst", created_at: new Date().toISOString() },
        "api",
      );
    }
    const deadline = Date.now() + 540_000;
    let run = (await runs.list())[0];
    while (Date.now() < deadline && (!run || ["queued", "running"].includes(run.status))) {
      await new Promise((r) => setTimeout(r, 1000));
      run = (await runs.list())[0];
    }
    clearInterval(feed);
    expect(run?.trigger).toBe("threshold");
    expect(run?.status, JSON.stringify(run?.gate ?? run?.reason)).toBe("promoted");
    const champion = await registry.champion();
    expect(champion?.id).not.toBe(championId);
    expect(champion?.parentId).toBe(championId);

    const after = await scoreModel(await loadScorer(await store.localDir(champion!.uri)), heldOut);
    console.log(
      `held-out slang accuracy: champion ${before.sentiment!.toFixed(3)} → challenger ${after.sentiment!.toFixed(3)}; gate`,
      JSON.stringify(run!.gate),
    );
    expect(after.sentiment! - before.sentiment!).toBeGreaterThanOrEqual(0.15);
    const gate = run!.gate as { golden: { champion: { sentiment: number }; challenger: { sentiment: number } } };
    expect(gate.golden.champion.sentiment - gate.golden.challenger.sentiment).toBeLessThanOrEqual(0.01);

    // The running scorer switched version between batches, and nothing was lost or scored twice.
    const switched = await (async () => {
      for (let i = 0; i < 100 && scorer.modelVersion !== champion!.id; i++) await new Promise((r) => setTimeout(r, 100));
      return scorer.modelVersion;
    })();
    expect(switched).toBe(champion!.id);
    const more = published;
    for (let i = 0; i < 20; i++)
      await bus.send(TOPICS.news, [
        { value: JSON.stringify({ source: "t", published_at: new Date().toISOString(), text: `Feed item ${more + i}: Acme shares move` }) },
      ]);
    const total = more + 20;
    for (let i = 0; i < 200; i++) {
      const n = (await db.exec("select count(*)::int as n from items")).rows[0]!.n as number;
      if (n >= total) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const counts = (
      await db.exec(
        "select count(*)::int as items, (select count(*)::int from scores) as scores, (select count(distinct model_version)::int from scores) as versions from items",
      )
    ).rows[0]!;
    expect(counts).toEqual({ items: total, scores: total, versions: 2 });

    // Roll back: every scorer following model.events returns to the previous version.
    const { announce } = await import("../src/index.ts");
    const previous = await registry.previousChampion();
    expect(previous).toBe(championId);
    await registry.promote(previous!, "test", "rollback");
    await announce(bus, "model.rolled_back", previous!, champion!.id);
    for (let i = 0; i < 100 && scorer.modelVersion !== championId; i++) await new Promise((r) => setTimeout(r, 100));
    expect(scorer.modelVersion).toBe(championId);

    // A challenger made worse on purpose — every label swapped to a wrong class, trained without replay — is
    // rejected by the gate; the champion keeps serving.
    await trainer.stop();
    // Twelve epochs: a confident champion shrugs off a few low-rate steps of noise, and the point here is a challenger
    // that really got worse.
    const careless = await startTrainer(
      { db: db.db, bus, log, store, registry, runs },
      { golden: GOLDEN(), replay: [], pollMs: 300, epochs: 12 },
    );
    for (const l of wrongLabels(300, 5)) {
      await saveLabel(
        db.db,
        {
          v: 1,
          text: l.text,
          sentiment: l.sentiment as "bearish",
          author: "mallory",
          role: "analyst",
          created_at: new Date().toISOString(),
        },
        "api",
      );
    }
    const bad = await runs.request("manual", "test");
    let badRun = await runs.get(bad.id);
    for (let i = 0; i < 540 && badRun && ["queued", "running"].includes(badRun.status); i++) {
      await new Promise((res) => setTimeout(res, 1000));
      badRun = await runs.get(bad.id);
    }
    console.log("wrong-label run:", badRun?.status, badRun?.reason, JSON.stringify(badRun?.gate));
    expect(badRun?.status).toBe("rejected");
    expect(badRun?.reason).toMatch(/dropped/);
    expect((await registry.champion())?.id).toBe(championId);
    expect(scorer.modelVersion).toBe(championId);

    await careless.stop();
    await follow.stop();
    await scorer.stop();
    await supervisor.stop();
  }, 600_000);
});
