import { describe, expect, it } from "vitest";
import { parseDuration, formatDuration } from "../src/window/duration.ts";
import { EntityBuffer } from "../src/window/buffer.ts";
import { computeFigures, figuresRecord } from "../src/window/figures.ts";
import { emptyEwma, ewmaStd, ewmaUpdate, ewmaUpdateRobust, ewmaZeros } from "../src/window/ewma.ts";
import { makeSpec } from "../src/window/spec.ts";
import { Watermark } from "../src/engine/watermark.ts";
import type { Contribution } from "../src/window/contribution.ts";

const c = (itemId: string, t: number, score = 0, extra: Partial<Contribution> = {}): Contribution => ({
  itemId,
  entityKey: "TICKER:ACME",
  t,
  score,
  confidence: 1,
  bearish: score <= -0.3,
  topic: "Earnings",
  topicConfidence: 1,
  ...extra,
});

describe("durations", () => {
  it("parses simple and compound durations and rejects the rest", () => {
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("1d")).toBe(86_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("5")).toBeNull();
    expect(parseDuration("m5")).toBeNull();
    expect(parseDuration("-5m")).toBeNull();
    expect(formatDuration(5_400_000)).toBe("1h30m");
  });

  it("derives sliding steps and keeps tumbling windows stepping by their size", () => {
    expect(makeSpec("sliding", 3_600_000, undefined, 86_400_000).stepMs).toBe(300_000);
    expect(makeSpec("sliding", 300_000, undefined, 86_400_000).stepMs).toBe(60_000);
    expect(makeSpec("tumbling", 3_600_000, 60_000, 86_400_000).stepMs).toBe(3_600_000);
    // One half-life of steps halves the weight of old observations.
    const s = makeSpec("sliding", 3_600_000, 300_000, 600_000);
    expect((1 - s.alpha) ** 2).toBeCloseTo(0.5, 10);
  });
});

describe("EntityBuffer", () => {
  it("keeps out-of-order inserts sorted, ignores duplicates and answers half-open ranges", () => {
    const b = new EntityBuffer();
    for (const [id, t] of [
      ["c", 30],
      ["a", 10],
      ["b", 20],
      ["d", 20],
      ["e", 40],
    ] as const)
      expect(b.insert(c(id, t))).toBe(true);
    expect(b.insert(c("a", 10))).toBe(false);
    expect(b.range("TICKER:ACME", 0, 100).map((x) => x.itemId)).toEqual(["a", "b", "d", "c", "e"]);
    expect(b.range("TICKER:ACME", 20, 40).map((x) => x.itemId)).toEqual(["b", "d", "c"]);
    expect(b.hasAny("TICKER:ACME", 41, 100)).toBe(false);
    expect(b.hasAny("TICKER:ACME", 40, 41)).toBe(true);
    b.prune(25);
    expect(b.range("TICKER:ACME", 0, 100).map((x) => x.itemId)).toEqual(["c", "e"]);
    b.prune(100);
    expect(b.entityCount).toBe(0);
  });
});

describe("window figures", () => {
  it("computes count, means, bearish share and topic mix", () => {
    const f = computeFigures(
      [
        c("a", 1, -0.8, { confidence: 0.9, topic: "Legal | Regulation" }),
        c("b", 2, 0.2, { confidence: 0.1 }),
        c("c", 3, 0, { confidence: 0.5 }),
      ],
      0,
      10,
    );
    expect(f.count).toBe(3);
    expect(f.mean).toBeCloseTo(-0.2, 10);
    expect(f.weightedMean).toBeCloseTo((-0.72 + 0.02) / 1.5, 10);
    expect(f.bearish).toBe(1);
    expect(f.bearishShare).toBeCloseTo(1 / 3, 10);
    expect(Object.fromEntries(f.topics)).toEqual({ "Legal | Regulation": 1, Earnings: 2 });
    expect(figuresRecord(f)).toMatchObject({ count: 3, bearish: 1, "topic:Earnings": 2, window_start_ms: 0, window_end_ms: 10 });
  });

  it("falls back to the plain mean when no item has confidence", () => {
    const f = computeFigures([c("a", 1, -0.5, { confidence: 0 }), c("b", 2, 0.1, { confidence: 0 })], 0, 10);
    expect(f.weightedMean).toBeCloseTo(-0.2, 10);
  });
});

describe("EWMA baseline", () => {
  it("converges to the mean and variance of a stationary series", () => {
    const e = emptyEwma();
    for (let i = 0; i < 5000; i++) ewmaUpdate(e, i % 2 === 0 ? 1 : 3, 0.01);
    expect(e.mean).toBeCloseTo(2, 1);
    expect(ewmaStd(e)).toBeCloseTo(1, 1);
    expect(e.n).toBe(5000);
  });

  it("folds skipped empty windows in as zeros, the same as observing them one by one", () => {
    const a = emptyEwma();
    const b = emptyEwma();
    for (const x of [5, 7, 6, 5, 6, 7, 6]) {
      ewmaUpdateRobust(a, x, 0.1, 1);
      ewmaUpdateRobust(b, x, 0.1, 1);
    }
    ewmaZeros(a, 40, 0.1, 1);
    for (let i = 0; i < 40; i++) ewmaUpdateRobust(b, 0, 0.1, 1);
    expect(a).toEqual(b);
    expect(a.mean).toBeLessThan(1);
  });

  it("clips a burst once warm so the baseline moves only gradually", () => {
    const plain = emptyEwma();
    const robust = emptyEwma();
    for (let i = 0; i < 50; i++) {
      ewmaUpdate(plain, 1, 0.1);
      ewmaUpdateRobust(robust, 1, 0.1, 1);
    }
    ewmaUpdate(plain, 100, 0.1);
    ewmaUpdateRobust(robust, 100, 0.1, 1);
    expect(plain.mean).toBeGreaterThan(10);
    expect(robust.mean).toBeCloseTo(1 + 0.1 * 3, 10);
  });
});

describe("Watermark", () => {
  const clock = { now: 0 };
  const wm = (expected = 2, idleMs = 0) => new Watermark(100, { expectedPartitions: expected, idleMs, wallNow: () => clock.now });

  it("is the min over partitions minus lateness and never moves back", () => {
    const w = wm();
    w.observe("p0", 1000);
    expect(w.recompute()).toBeNull(); // p1 not heard from yet: it may hold older items
    w.observe("p1", 500);
    expect(w.recompute()).toBe(400);
    w.observe("p1", 2000);
    expect(w.recompute()).toBe(900);
    w.observe("p0", 800); // older item: max event time per partition only grows
    expect(w.recompute()).toBe(900);
    w.raiseTo(5000);
    w.observe("p0", 1200);
    expect(w.recompute()).toBe(5000);
  });

  it("stops waiting on a partition that has been idle", () => {
    clock.now = 0;
    const w = wm(2, 1000);
    w.observe("p0", 1000);
    w.observe("p1", 500);
    expect(w.recompute()).toBe(400);
    clock.now = 1500;
    w.observe("p0", 3000);
    expect(w.recompute()).toBe(2900);
  });

  it("round-trips through its checkpoint", () => {
    const w = wm();
    w.observe("p0", 1000);
    w.observe("p1", 700);
    w.recompute();
    const w2 = wm();
    w2.load(w.toJSON());
    expect(w2.current).toBe(600);
    expect(w2.maxEventTime).toBe(1000);
  });
});
