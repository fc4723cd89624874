import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connect, type Socket } from "socket.io-client";
import { createLogger, registry as metrics } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { saveLabel } from "@finsentry/labels";
import { DiskModelStore, ensureChampion, ModelRegistry, RunStore, startTrainer } from "@finsentry/learning";
import { TOPICS, TrainingProgressV1, type TrainingProgress } from "@finsentry/schemas";
import { tinyModelDir } from "../../model/test/fixtures/model/tiny.ts";
import { buildServer, createApiKey, startLiveGateway, type BuiltServer } from "../src/index.ts";

const log = createLogger("test", "silent");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const invalidCount = async () => {
  const m = (await metrics.getSingleMetric("finsentry_live_invalid_messages_total")?.get())?.values ?? [];
  return m.filter((v) => v.labels.topic === TOPICS.trainingProgress).reduce((a, v) => a + v.value, 0);
};

/**
 * Training progress across processes, on the in-memory bus: the trainer (a real fine-tune of a tiny model) publishes
 * on `training.progress`, the live gateway relays to the socket.io `training` room, a dashboard client receives it.
 */
describe("training progress: trainer → bus → live gateway → socket.io", () => {
  let db: DbHandle;
  let server: BuiltServer;
  let live: { stop(): Promise<void> };
  let url: string;
  let key: string;
  let dir: string;
  const bus = new MemoryBus(3);

  beforeAll(async () => {
    db = await openDb("memory://");
    dir = await mkdtemp(join(tmpdir(), "finsentry-progress-"));
    server = await buildServer({ db, log, plugins: [] });
    live = await startLiveGateway({ io: server.io, bus, db, log });
    url = await server.listen(0, "127.0.0.1");
    key = (await createApiKey(db.db, { name: "viewer", role: "viewer", createdBy: "test" })).key;
  });
  afterAll(async () => {
    await live.stop();
    await server.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const client = async (rooms: string[]) => {
    const s: Socket = connect(url, {
      path: "/socket.io",
      transports: ["websocket"],
      auth: { token: key },
      reconnection: false,
      forceNew: true,
    });
    const got: TrainingProgress[] = [];
    s.on("training", (e: TrainingProgress) => got.push(e));
    await new Promise<void>((r) => s.once("connect", () => r()));
    expect(await s.emitWithAck("subscribe", { rooms })).toMatchObject({ ok: true });
    return { s, got };
  };

  it("streams a real run's progress with increasing steps, then its outcome, to clients in the training room", async () => {
    const watcher = await client(["training"]);
    const bystander = await client(["alerts"]);

    const tiny = await tinyModelDir();
    const store = new DiskModelStore(join(dir, "models"));
    const registry = new ModelRegistry(db.db);
    const runs = new RunStore(db.db);
    await ensureChampion({ registry, store, log }, tiny.dir);
    const texts = ["Acme Corp shares jump after earnings beat", "Globex stock falls on weak guidance", "Initech holds its annual meeting"];
    const sentiments = ["bullish", "bearish", "neutral"] as const;
    for (let i = 0; i < 60; i++) {
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
    const replay = Array.from({ length: 120 }, (_, i) => ({ text: `${texts[i % 3]} #${i}`, sentiment: sentiments[i % 3] }));
    const requested = await runs.request("test", "test");
    // Every step is published here (no throttle), so the steps can be followed one by one.
    const trainer = await startTrainer(
      { db: db.db, bus, log, store, registry, runs },
      { golden: [], replay, pollMs: 100, epochs: 3, progressIntervalMs: 0 },
    );
    try {
      for (let i = 0; i < 1800 && !watcher.got.some((e) => e.type === "run.finished"); i++) await sleep(100);
    } finally {
      await trainer.stop();
    }

    const got = watcher.got;
    console.log(
      `received ${got.length} training events: ${got.map((e) => (e.type === "run.progress" ? `${e.phase}:${e.step}/${e.total_steps}` : `${e.type}:${e.status}`)).join(" ")}`,
    );
    for (const e of got) expect(TrainingProgressV1.safeParse(e).success, JSON.stringify(e)).toBe(true);
    expect(got.every((e) => e.run_id === requested.id)).toBe(true);
    expect(got[0]).toMatchObject({ type: "run.started", status: "running", seq: 0 });
    const steps = got.filter((e) => e.type === "run.progress" && e.phase === "joint");
    expect(steps.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < steps.length; i++) expect(steps[i]!.step, `step after ${steps[i - 1]!.step}`).toBeGreaterThan(steps[i - 1]!.step);
    expect(steps[0]!.total_steps).toBeGreaterThanOrEqual(steps.at(-1)!.step);
    expect(steps.at(-1)!.epoch).toBe(3);
    expect(Object.keys(steps.at(-1)!.losses)).toEqual(expect.arrayContaining(["total", "sentiment"]));
    expect(steps.at(-1)!.losses.total).toBeGreaterThan(0);
    expect(steps.at(-1)!.examples_per_sec).toBeGreaterThan(0);
    expect(steps.at(-1)!.eta_s).toBeGreaterThanOrEqual(0);
    expect(got.some((e) => e.phase === "evaluating")).toBe(true);
    const finished = got.at(-1)!;
    const row = await runs.get(requested.id);
    expect(finished.type).toBe("run.finished");
    expect(finished.status).toBe(row!.status);
    expect(["promoted", "rejected"]).toContain(finished.status);
    expect(finished).toMatchObject({
      phase: "done",
      step: steps.at(-1)!.step,
      total_steps: steps.at(-1)!.step,
      model_id: row!.challengerId,
    });
    expect(got.map((e) => e.seq)).toEqual(got.map((_, i) => i));
    // Only the training room gets training events.
    expect(bystander.got).toEqual([]);

    // Invalid messages on the topic are dropped, logged and counted; redelivered ones are not relayed twice.
    const before = await invalidCount();
    const n = got.length;
    await bus.send(TOPICS.trainingProgress, [{ key: "x", value: "{not json" }]);
    await bus.send(TOPICS.trainingProgress, [{ key: "x", value: JSON.stringify({ ...finished, v: 2 }) }]);
    await bus.send(TOPICS.trainingProgress, [{ key: requested.id, value: JSON.stringify(finished) }]);
    const next: TrainingProgress = { ...finished, run_id: "run-after", seq: 0, type: "run.started", status: "running", phase: "preparing" };
    await bus.send(TOPICS.trainingProgress, [{ key: "run-after", value: JSON.stringify(next) }]);
    for (let i = 0; i < 100 && got.length === n; i++) await sleep(20);
    expect(got.slice(n).map((e) => e.run_id)).toEqual(["run-after"]);
    expect((await invalidCount()) - before).toBe(2);

    watcher.s.close();
    bystander.s.close();
  }, 240_000);
});
