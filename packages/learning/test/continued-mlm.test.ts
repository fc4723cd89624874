import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { items, openDb, type DbHandle } from "@finsentry/db";
import { saveLabel } from "@finsentry/labels";
import { TOPICS, TrainingProgressV1, type TrainingProgress } from "@finsentry/schemas";
import { tinyModelDir } from "../../model/test/fixtures/model/tiny.ts";
import {
  DiskModelStore,
  ensureChampion,
  ModelRegistry,
  parseTrainerEnv,
  RunStore,
  startTrainer,
  trainerOptionsFromEnv,
} from "../src/index.ts";

const log = createLogger("test", "silent");

// Continued masked-token training on recent stream text runs before the fine-tune when TRAIN_MLM_EPOCHS > 0.
describe("trainer: continued masked-token training on recent unlabelled items", () => {
  let db: DbHandle;
  let dir: string;
  beforeAll(async () => {
    db = await openDb("memory://");
    dir = await mkdtemp(join(tmpdir(), "finsentry-mlm-"));
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs an mlm phase over the stored items, then the joint fine-tune, and finishes the run", async () => {
    const bus = new MemoryBus(1);
    const events: TrainingProgress[] = [];
    await bus.subscribe({
      groupId: "t",
      topics: [TOPICS.trainingProgress],
      eachBatch: async ({ messages }) => void events.push(...messages.map((m) => TrainingProgressV1.parse(JSON.parse(m.value.toString())))),
    });
    const now = new Date().toISOString();
    await db.db.insert(items).values(
      Array.from({ length: 96 }, (_, i) => ({
        id: `it-${i}`,
        source: "news",
        stream: "news",
        publishedAt: now,
        ingestedAt: now,
        text: `Zorblax guidance chatter number ${i} as traders pile in`,
      })),
    );
    const tiny = await tinyModelDir();
    const store = new DiskModelStore(join(dir, "models"));
    const registry = new ModelRegistry(db.db);
    const runs = new RunStore(db.db);
    const champion = await ensureChampion({ registry, store, log }, tiny.dir);
    const texts = ["Acme Corp shares jump after earnings beat", "Globex stock falls on weak guidance", "Initech holds its annual meeting"];
    const sentiments = ["bullish", "bearish", "neutral"] as const;
    for (let i = 0; i < 30; i++) {
      await saveLabel(
        db.db,
        {
          v: 1,
          text: `${texts[i % 3]} (${i})`,
          sentiment: sentiments[i % 3],
          author: "ana",
          role: "analyst",
          created_at: new Date().toISOString(),
        },
        "api",
      );
    }
    const requested = await runs.request("test", "test");
    const trainer = await startTrainer(
      { db: db.db, bus, log, store, registry, runs },
      { golden: [], pollMs: 100, epochs: 1, mlmEpochs: 1, unlabelledSample: 64, progressIntervalMs: 0 },
    );
    try {
      for (let i = 0; i < 1800 && !events.some((e) => e.type === "run.finished"); i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await trainer.stop();
    }
    const phases = events.filter((e) => e.type === "run.progress").map((e) => e.phase);
    expect(phases).toContain("mlm");
    expect(phases.indexOf("mlm")).toBeLessThan(phases.indexOf("joint"));
    // ≤ 30 labelled texts fill one batch of 32; the 64 stored items make the mlm epoch 3 steps or more.
    const mlmSteps = new Set(events.filter((e) => e.type === "run.progress" && e.phase === "mlm").map((e) => e.step));
    expect(mlmSteps.size).toBeGreaterThanOrEqual(3);
    const row = await runs.get(requested.id);
    expect(row?.reason ?? "").toBe("");
    expect(["promoted", "rejected"]).toContain(row?.status);
    // The challenger was exported and stored as a loadable version whose parent is the champion.
    const challenger = await registry.get(row!.challengerId!);
    expect(challenger?.parentId).toBe(champion);
  }, 240_000);

  it("validates the trainer's environment and names the bad variable", async () => {
    expect(() => parseTrainerEnv({ TRAIN_MLM_EPOCHS: "two" })).toThrow(/TRAIN_MLM_EPOCHS/);
    expect(() => parseTrainerEnv({ TRAIN_LABEL_THRESHOLD: "-5" })).toThrow(/TRAIN_LABEL_THRESHOLD/);
    const o = await trainerOptionsFromEnv({ TRAIN_MLM_EPOCHS: "1", TRAIN_UNLABELLED_SAMPLE: "500", TRAIN_EPOCHS: "2" });
    expect(o).toMatchObject({ mlmEpochs: 1, unlabelledSample: 500, epochs: 2, labelThreshold: 200, golden: [], replay: [] });
  });
});
