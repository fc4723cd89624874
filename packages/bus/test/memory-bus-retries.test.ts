import { describe, expect, it } from "vitest";
import { MemoryBus } from "../src/index.ts";
import type { Batch } from "../src/index.ts";
import { capturingLogger } from "../../../test/support/logs.ts";

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe("MemoryBus: a batch that keeps failing", () => {
  it("is retried a bounded number of times, each logged without contents, then handed to onRetriesExhausted and committed", async () => {
    const { log, lines, raw } = capturingLogger();
    const bus = new MemoryBus(1, { log });
    await bus.send("t", [{ value: "ok-1" }, { value: "poison secret-content" }, { value: "ok-2" }]);
    const attempts: string[][] = [];
    const exhausted: Batch[] = [];
    const later: string[] = [];
    const sub = await bus.subscribe({
      groupId: "g",
      topics: ["t"],
      maxAttempts: 3,
      eachBatch: async (b) => {
        const values = b.messages.map((m) => m.value.toString());
        if (values.some((v) => v.startsWith("poison"))) {
          attempts.push(values);
          throw new Error("boom: cannot store");
        }
        later.push(...values);
      },
      onRetriesExhausted: async (b) => void exhausted.push(b),
    });
    await until(() => exhausted.length === 1);
    await bus.send("t", [{ value: "after" }]);
    await until(() => later.includes("after"));
    await sub.stop();

    expect(attempts).toHaveLength(3);
    expect(exhausted).toHaveLength(1);
    expect(exhausted[0]!.messages.map((m) => m.offset)).toEqual(["0", "1", "2"]);
    // The partition moved on: the failed batch is committed, the next message was delivered once.
    expect(later).toEqual(["after"]);
    expect(await bus.lag("g", "t")).toBe(0);
    const failures = lines.filter((l) => l.msg === "batch handler failed; will retry");
    expect(failures.map((l) => l.attempt)).toEqual([1, 2, 3]);
    for (const l of failures)
      expect(l).toMatchObject({ level: 40, error: "boom: cannot store", topic: "t", partition: 0, offset: "0", group: "g" });
    expect(raw.join("")).not.toContain("secret-content");
    await bus.close();
  });

  it("without a fallback keeps the batch uncommitted and logs that it is stuck", async () => {
    const { log, lines } = capturingLogger();
    const bus = new MemoryBus(1, { log });
    await bus.send("t", [{ value: "x" }]);
    let calls = 0;
    const sub = await bus.subscribe({
      groupId: "g",
      topics: ["t"],
      maxAttempts: 2,
      eachBatch: async () => {
        calls++;
        throw new Error("down");
      },
    });
    await until(() => calls >= 3);
    await sub.stop();
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(await bus.lag("g", "t")).toBe(1);
    expect(lines.some((l) => l.msg === "batch keeps failing and has no fallback; retrying" && l.level === 50)).toBe(true);
    await bus.close();
  });
});

describe("MemoryBus: positions, commits and retention", () => {
  it("reports where messages landed and resolves waitForCommit only after the group committed past them", async () => {
    const bus = new MemoryBus(2);
    const sent = await bus.send("t", [
      { key: "a", value: "1" },
      { key: "b", value: "2" },
      { key: "a", value: "3" },
    ]);
    expect(sent.map((s) => s.topic)).toEqual(["t", "t", "t"]);
    expect(sent[2]!.partition).toBe(sent[0]!.partition);
    expect(Number(sent[2]!.offset)).toBe(Number(sent[0]!.offset) + 1);
    let committed = false;
    const waiting = bus.waitForCommit("g", sent).then(() => (committed = true));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handled: string[] = [];
    const sub = await bus.subscribe({
      groupId: "g",
      topics: ["t"],
      eachBatch: async (b) => {
        await gate;
        handled.push(...b.messages.map((m) => m.value.toString()));
      },
    });
    await until(() => false, 50);
    expect(committed).toBe(false); // handlers are blocked: nothing committed yet
    release();
    await waiting;
    expect(handled.sort()).toEqual(["1", "2", "3"]);
    await sub.stop();
    await bus.close();
  });

  it("drops only messages every group committed, beyond the retention count", async () => {
    const bus = new MemoryBus(1, { retainPerPartition: 10 });
    const seen: string[] = [];
    let hold = true;
    const sub = await bus.subscribe({
      groupId: "slow",
      topics: ["t"],
      maxBatchSize: 5,
      eachBatch: async (b) => {
        if (hold) throw new Error("not yet");
        seen.push(...b.messages.map((m) => m.value.toString()));
      },
    });
    await bus.send(
      "t",
      Array.from({ length: 40 }, (_, i) => ({ value: String(i) })),
    );
    // Nothing committed: nothing may be dropped, however long the log.
    hold = false;
    await until(() => seen.length === 40);
    await sub.stop();
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    await bus.send(
      "t",
      Array.from({ length: 10 }, (_, i) => ({ value: String(40 + i) })),
    );
    // A new group reading from the beginning starts at the oldest kept message: the last 10 before + 10 new at most.
    const fresh: string[] = [];
    const sub2 = await bus.subscribe({
      groupId: "new",
      topics: ["t"],
      eachBatch: async (b) => void fresh.push(...b.messages.map((m) => m.value.toString())),
    });
    await until(() => fresh.includes("49"));
    await sub2.stop();
    expect(fresh.length).toBeLessThanOrEqual(20);
    expect(fresh.length).toBeGreaterThanOrEqual(10);
    expect(fresh.at(-1)).toBe("49");
    await bus.close();
  });
});
