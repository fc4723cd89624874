import { describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { MemoryBus, type Bus } from "@finsentry/bus";
import { TOPICS, TrainingProgressV1, type TrainingProgress } from "@finsentry/schemas";
import { TrainingProgressPublisher } from "../src/index.ts";

const log = createLogger("test", "silent");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect(bus: Bus): Promise<{ got: (TrainingProgress & { receivedAt: number })[]; stop(): Promise<void> }> {
  const got: (TrainingProgress & { receivedAt: number })[] = [];
  const sub = await bus.subscribe({
    groupId: "progress-test",
    topics: [TOPICS.trainingProgress],
    fromBeginning: true,
    eachBatch: async ({ messages }) => {
      // Every message on the topic must pass the schema the gateways validate with.
      for (const m of messages) got.push({ ...TrainingProgressV1.parse(JSON.parse(m.value.toString())), receivedAt: Date.now() });
    },
  });
  return { got, stop: () => sub.stop() };
}

describe("TrainingProgressPublisher", () => {
  it("publishes started → throttled progress (≤ 2/s, latest wins) → finished, in order, as valid TrainingProgressV1", async () => {
    const bus = new MemoryBus(3);
    const c = await collect(bus);
    const pub = new TrainingProgressPublisher({ bus, log, minIntervalMs: 500 });
    pub.started("run-1");
    const t0 = Date.now();
    let step = 0;
    while (Date.now() - t0 < 1600) {
      step++;
      pub.progress("run-1", {
        phase: "joint",
        epoch: 1 + Math.floor(step / 50),
        epochs: 3,
        step,
        totalSteps: 1000,
        losses: { total: 1 / step, sentiment: NaN },
        examplesPerSec: 250,
        etaSec: (1000 - step) / 100,
        lr: 1e-4,
      });
      await sleep(10);
    }
    pub.progress("run-1", { phase: "evaluating" });
    await sleep(600);
    pub.finished("run-1", "promoted", { modelId: "model-ft-1" });
    await pub.flush();
    for (let i = 0; i < 100 && c.got.at(-1)?.type !== "run.finished"; i++) await sleep(20);
    await c.stop();

    const got = c.got;
    expect(got[0]).toMatchObject({ type: "run.started", run_id: "run-1", seq: 0, status: "running", phase: "preparing" });
    expect(got.map((m) => m.seq)).toEqual(got.map((_, i) => i));
    const progress = got.filter((m) => m.type === "run.progress");
    // 1.6 s of reports every 10 ms (~150) at ≤ 2/s, plus the evaluating phase.
    expect(step).toBeGreaterThan(50);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < progress.length; i++)
      expect(Date.parse(progress[i]!.at) - Date.parse(progress[i - 1]!.at)).toBeGreaterThanOrEqual(490);
    const training = progress.filter((m) => m.phase === "joint");
    for (let i = 1; i < training.length; i++) expect(training[i]!.step).toBeGreaterThan(training[i - 1]!.step);
    expect(training[0]).toMatchObject({
      status: "running",
      epochs: 3,
      total_steps: 1000,
      examples_per_sec: 250,
      losses: { sentiment: null },
    });
    expect(training[0]!.losses.total).toBeCloseTo(1 / training[0]!.step);
    // The throttle keeps the latest report (nothing is lost at the end): the phase change that followed the last
    // step carries that step's numbers.
    expect(training.at(-1)!.step).toBeLessThanOrEqual(step);
    expect(progress.at(-1)).toMatchObject({ phase: "evaluating", step, total_steps: 1000, eta_s: null });
    expect(got.at(-1)).toMatchObject({
      type: "run.finished",
      status: "promoted",
      phase: "done",
      model_id: "model-ft-1",
      step,
      total_steps: step,
      eta_s: 0,
    });
    expect(got.filter((m) => m.type === "run.finished")).toHaveLength(1);
  });

  it("a failed run finishes with its reason; a bus that refuses messages never breaks training", async () => {
    const bus = new MemoryBus(1);
    const c = await collect(bus);
    const pub = new TrainingProgressPublisher({ bus, log, minIntervalMs: 0 });
    pub.started("run-2");
    pub.progress("run-2", {
      phase: "joint",
      epoch: 1,
      epochs: 1,
      step: 1,
      totalSteps: 4,
      losses: { total: 2 },
      examplesPerSec: 1,
      etaSec: 3,
      lr: 1e-4,
    });
    pub.finished("run-2", "failed", { reason: "no new labels since the last run" });
    await pub.flush();
    for (let i = 0; i < 100 && c.got.length < 3; i++) await sleep(20);
    await c.stop();
    expect(c.got.map((m) => m.type)).toEqual(["run.started", "run.progress", "run.finished"]);
    expect(c.got[2]).toMatchObject({ status: "failed", reason: "no new labels since the last run", step: 1, total_steps: 4, eta_s: null });

    const broken: Bus = Object.assign(new MemoryBus(1), { send: async () => Promise.reject(new Error("broker down")) });
    const p2 = new TrainingProgressPublisher({ bus: broken, log, minIntervalMs: 0 });
    expect(() => {
      p2.started("run-3");
      p2.progress("run-3", {
        phase: "joint",
        epoch: 1,
        epochs: 1,
        step: 1,
        totalSteps: 1,
        losses: {},
        examplesPerSec: 1,
        etaSec: 0,
        lr: 0,
      });
      p2.finished("run-3", "rejected");
    }).not.toThrow();
    await expect(p2.flush()).resolves.toBeUndefined();
  });
});
