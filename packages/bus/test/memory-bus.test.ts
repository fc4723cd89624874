import { describe, expect, it } from "vitest";
import { MemoryBus } from "../src/index.ts";
import type { Batch } from "../src/index.ts";

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe("MemoryBus", () => {
  it("keeps per-key ordering within a partition and shares partitions across a group", async () => {
    const bus = new MemoryBus(3);
    await bus.ensureTopics([{ name: "t" }]);
    await bus.send(
      "t",
      Array.from({ length: 90 }, (_, i) => ({ key: `k${i % 9}`, value: String(i) })),
    );
    const seenBy: Record<string, number[]> = { a: [], b: [] };
    const partitionsBy: Record<string, Set<number>> = { a: new Set(), b: new Set() };
    const handler = (who: "a" | "b") => async (b: Batch) => {
      partitionsBy[who]!.add(b.partition);
      for (const m of b.messages) seenBy[who]!.push(Number(m.value.toString()));
    };
    const a = await bus.subscribe({ groupId: "g", topics: ["t"], eachBatch: handler("a") });
    const b = await bus.subscribe({ groupId: "g", topics: ["t"], eachBatch: handler("b") });
    await until(() => seenBy.a!.length + seenBy.b!.length >= 90);
    await a.stop();
    await b.stop();
    const all = [...seenBy.a!, ...seenBy.b!].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 90 }, (_, i) => i));
    // Partitions are not shared between members of one group.
    for (const p of partitionsBy.a!) expect(partitionsBy.b!.has(p)).toBe(false);
    await bus.close();
  });

  it("redelivers a batch whose handler failed and does not commit it", async () => {
    const bus = new MemoryBus(1);
    await bus.send("t", [{ value: "x" }, { value: "y" }]);
    let calls = 0;
    const got: string[] = [];
    const sub = await bus.subscribe({
      groupId: "g",
      topics: ["t"],
      eachBatch: async (b) => {
        calls++;
        if (calls === 1) throw new Error("transient");
        got.push(...b.messages.map((m) => m.value.toString()));
      },
    });
    await until(() => got.length === 2);
    await sub.stop();
    expect(got).toEqual(["x", "y"]);
    expect(calls).toBe(2);
    // A new member of the same group resumes after the committed offset: nothing is delivered twice.
    const again: string[] = [];
    await bus.send("t", [{ value: "z" }]);
    const sub2 = await bus.subscribe({
      groupId: "g",
      topics: ["t"],
      eachBatch: async (b) => void again.push(...b.messages.map((m) => m.value.toString())),
    });
    await until(() => again.length >= 1);
    await sub2.stop();
    expect(again).toEqual(["z"]);
    await bus.close();
  });
});
