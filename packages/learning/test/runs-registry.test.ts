import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { decideGate, DiskModelStore, ModelRegistry, RunStore, startTrainer } from "../src/index.ts";

describe("gate", () => {
  const base = { champion: { sentiment: 0.8, topic: 0.7 }, challenger: { sentiment: 0.795, topic: 0.71 } };
  it("promotes when golden stays within the margin and recent labels improve", () => {
    const d = decideGate({ golden: base, recent: { champion: { sentiment: 0.5 }, challenger: { sentiment: 0.8 } }, maxGoldenDrop: 0.01 });
    expect(d).toMatchObject({ promote: true, reasons: [] });
  });
  it("rejects a golden drop beyond the margin, naming the task", () => {
    const d = decideGate({
      golden: { ...base, challenger: { sentiment: 0.7, topic: 0.7 } },
      recent: { champion: { sentiment: 0.5 }, challenger: { sentiment: 0.9 } },
      maxGoldenDrop: 0.01,
    });
    expect(d.promote).toBe(false);
    expect(d.reasons[0]).toMatch(/golden sentiment dropped 10.0 points/);
  });
  it("rejects any drop on recent labels, and refuses to judge without them", () => {
    expect(
      decideGate({ golden: base, recent: { champion: { topic: 0.6 }, challenger: { topic: 0.59 } }, maxGoldenDrop: 0.01 }).promote,
    ).toBe(false);
    expect(decideGate({ golden: base, recent: { champion: {}, challenger: {} }, maxGoldenDrop: 0.01 }).promote).toBe(false);
  });
});

describe("runs and registry (PGlite)", () => {
  let db: DbHandle;
  beforeAll(async () => {
    db = await openDb("memory://");
  });
  afterAll(async () => db.close());

  it("queues one run per burst of triggers and lets only one run at a time", async () => {
    const runs = new RunStore(db.db);
    const a = await runs.request("manual", "ana");
    const b = await runs.request("threshold", "trainer");
    expect(b.id).toBe(a.id);
    const claimed = await runs.claim(null);
    expect(claimed?.id).toBe(a.id);
    const queued = await runs.request("manual", "bob"); // a trigger during a run waits, not lost
    expect(queued.status).toBe("queued");
    expect(await runs.claim(null)).toBeNull(); // the running slot is taken
    await runs.finish(a.id, "rejected", { reason: "test" });
    expect((await runs.claim(null))?.id).toBe(queued.id);
  });

  it("marks runs of a dead trainer failed with a reason", async () => {
    const runs = new RunStore(db.db);
    const running = (await runs.list()).find((r) => r.status === "running")!;
    await db.exec("update training_runs set heartbeat_at = now() - interval '10 minutes' where id = $1", [running.id]);
    expect(await runs.failStale(60_000)).toBe(1);
    const r = await runs.get(running.id);
    expect(r?.status).toBe("failed");
    expect(r?.reason).toMatch(/trainer stopped during the run: no heartbeat for more than 60 s/);
  });

  it("promotes, keeps one champion, and rolls back to the previous one", async () => {
    const reg = new ModelRegistry(db.db);
    for (const id of ["m1", "m2"]) await reg.register({ id, parentId: null, uri: `file:///x/${id}`, metrics: {}, dataSummary: {} });
    await reg.promote("m1", "t");
    expect((await reg.promote("m2", "t")).previous).toBe("m1");
    expect((await reg.champion())?.id).toBe("m2");
    expect(await reg.previousChampion()).toBe("m1");
    await reg.promote("m1", "t", "rollback");
    expect((await reg.champion())?.id).toBe("m1");
    expect((await db.exec("select count(*)::int as n from model_versions where status = 'champion'")).rows[0]!.n).toBe(1);
  });
});

describe("abandoned runs (PGlite)", () => {
  let db: DbHandle;
  beforeAll(async () => {
    db = await openDb("memory://");
  });
  afterAll(async () => db.close());
  const age = (id: string, secs: number) =>
    db.exec(`update training_runs set heartbeat_at = now() - make_interval(secs => ${secs}) where id = $1`, [id]);

  it("a trainer starting beside a live run leaves it running; only a run without heartbeats for staleMs is failed", async () => {
    const runs = new RunStore(db.db, { staleMs: 30_000 });
    await runs.request("manual", "t");
    const live = await runs.claim(null);
    await age(live!.id, 5); // heartbeat 5 s ago: its trainer is alive
    const trainer = await startTrainer(
      {
        db: db.db,
        bus: new MemoryBus(1),
        log: createLogger("test", "silent"),
        store: new DiskModelStore("/nonexistent"),
        registry: new ModelRegistry(db.db),
        runs,
      },
      { golden: [], pollMs: 60_000 },
    );
    await trainer.stop();
    expect((await runs.get(live!.id))?.status).toBe("running");
    await age(live!.id, 31);
    const [r] = await runs.list(); // a read settles it: no trainer needs to (re)start
    expect(r).toMatchObject({ id: live!.id, status: "failed" });
    expect(r!.reason).toMatch(/no heartbeat for more than 30 s/);
  });

  it("the trainer of a settled run loses it: heartbeat says so, finish changes nothing", async () => {
    const runs = new RunStore(db.db, { staleMs: 30_000 });
    await runs.request("manual", "t");
    const run = (await runs.claim(null))!;
    expect(await runs.heartbeat(run.id, { step: 1 })).toBe(true);
    await age(run.id, 60);
    expect((await runs.get(run.id))?.status).toBe("failed");
    expect(await runs.heartbeat(run.id)).toBe(false);
    expect(await runs.finish(run.id, "promoted", { challengerId: "x" })).toBe(false);
    expect(await runs.get(run.id)).toMatchObject({ status: "failed", challengerId: null });
  });

  it("takes TRAIN_STALE_MS as the default window", async () => {
    const { defaultStaleMs } = await import("../src/index.ts");
    expect(defaultStaleMs({})).toBe(60_000);
    expect(defaultStaleMs({ TRAIN_STALE_MS: "15000" })).toBe(15_000);
    expect(defaultStaleMs({ TRAIN_STALE_MS: "nonsense" })).toBe(60_000);
  });
});
