import { describe, expect, it } from "vitest";
import { MemoryBus } from "@finsentry/bus";
import { createLogger } from "@finsentry/core";
import { ingestDocument } from "@finsentry/ingest";
import { TOPICS } from "@finsentry/schemas";
import { IngestBusyError, IngestWriter } from "../src/index.ts";

const origin = { stream: "push", topic: null, partition: null, offset: null };
const docs = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) =>
    ingestDocument(
      { source: "test", text: `Item ${tag} ${i}: Northwind Motors shares fall`, published_at: new Date().toISOString() },
      origin,
    ),
  );

describe("IngestWriter on the in-memory bus: durable acknowledgements and backpressure", () => {
  it("acknowledges a durable write only after the scorer group committed it, and refuses with 429 once the scorer is behind", async () => {
    const bus = new MemoryBus(3, { log: createLogger("test", "silent") });
    await bus.ensureTopics([{ name: TOPICS.raw }]);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const handled: number[] = [];
    // A scorer that stores nothing until the gate opens.
    const sub = await bus.subscribe({
      groupId: "scorer",
      topics: [TOPICS.raw],
      eachBatch: async (b) => {
        await gate;
        handled.push(b.messages.length);
      },
    });
    const writer = new IngestWriter(bus, { maxLag: 5, ackTimeoutMs: 10_000 });
    let acked = false;
    const first = writer.write(docs(4, "a"), { durable: true }).then((r) => ((acked = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(acked).toBe(false);
    // Behind by 4 (limit 5): still taken; then behind by 8: the next push is refused, nothing sent.
    const second = writer.write(docs(4, "b"), { durable: true });
    await new Promise((r) => setTimeout(r, 50));
    const refused = await writer.write(docs(1, "c"), { durable: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IngestBusyError);
    expect(refused).toMatchObject({ status: 429, retryAfterS: 1 });
    expect(await bus.lag("scorer", TOPICS.raw)).toBe(8);
    release();
    expect((await first).accepted).toHaveLength(4);
    expect((await second).accepted).toHaveLength(4);
    expect(handled.reduce((a, b) => a + b, 0)).toBe(8);
    await sub.stop();
    await bus.close();
  });

  it("answers 503 when the items are not stored within the ack timeout, and a retry of them is not sent twice", async () => {
    const bus = new MemoryBus(3, { log: createLogger("test", "silent") });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sub = await bus.subscribe({ groupId: "scorer", topics: [TOPICS.raw], eachBatch: async () => gate });
    const writer = new IngestWriter(bus, { maxLag: 1000, ackTimeoutMs: 200 });
    const batch = docs(3, "d");
    const timedOut = await writer.write(batch, { durable: true }).catch((e: unknown) => e);
    expect(timedOut).toMatchObject({ status: 503 });
    // The client retries: the same ids are duplicates of items still on their way, acknowledged with them.
    const retry = writer.write(batch, { durable: true });
    release();
    expect(await retry).toMatchObject({ accepted: [], duplicates: 3 });
    expect(await bus.lag("scorer", TOPICS.raw)).toBe(0);
    await sub.stop();
    await bus.close();
  });
});
