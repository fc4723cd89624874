import { describe, expect, it } from "vitest";
import { MemoryBus } from "@finsentry/bus";
import { createLogger } from "@finsentry/core";
import type { DbHandle } from "@finsentry/db";
import { ingestDocument } from "@finsentry/ingest";
import type { TextScorer } from "@finsentry/model";
import { TOPICS, type RawItem } from "@finsentry/schemas";
import { LexiconBaselineScorer, startScorer } from "../src/index.ts";
import { dbKinds, openTestDb, waitFor } from "../../../test/support/services.ts";

const log = createLogger("test", "silent");

function items(n: number): RawItem[] {
  return Array.from({ length: n }, (_, i) => {
    const r = ingestDocument(
      JSON.stringify({ source: "wire", published_at: "2026-01-02T03:04:05Z", text: `Item ${i}: $ACME shares rise 3% after upgrade` }),
      { stream: "news", topic: null, partition: null, offset: null },
    );
    if (!r.ok) throw new Error("test item invalid");
    return r.item;
  });
}

/** The lexicon, made slow enough per pass that the scorer overlaps its writes with the model. */
function slowModel(): TextScorer {
  const lex = new LexiconBaselineScorer();
  return {
    version: lex.version,
    score: async (texts) => {
      await new Promise((r) => setTimeout(r, 3));
      return lex.score(texts);
    },
    close: async () => {},
  };
}

/** The database handle, with its `nth` transaction (counting from 1) failing as if the connection dropped. */
function failingNthTransaction(h: DbHandle, nth: number): { handle: DbHandle; calls: () => number } {
  let calls = 0;
  const db = new Proxy(h.db, {
    get(target, key, receiver) {
      if (key !== "transaction") return Reflect.get(target, key, receiver);
      return (...args: Parameters<typeof target.transaction>) => {
        if (++calls === nth) return Promise.reject(Object.assign(new Error("connection terminated"), { code: "08006" }));
        return target.transaction(...args);
      };
    },
  });
  return { handle: { ...h, db }, calls: () => calls };
}

describe.each(dbKinds)("scorer writes a hand-off in several overlapping transactions (%s)", (kind) => {
  it.each([
    ["the lexicon (one hand-off written in two halves)", () => new LexiconBaselineScorer()],
    ["a model slow enough to overlap with the writes", slowModel],
  ])("stores and publishes every item exactly once with %s, also when a later write of a hand-off fails", async (_, model) => {
    const bus = new MemoryBus(1, { log });
    await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 1 })));
    const h = await openTestDb(kind);
    const published: string[] = [];
    const reader = await bus.subscribe({
      groupId: "reader",
      topics: [TOPICS.scored],
      eachBatch: async (b) =>
        void published.push(...b.messages.map((m) => (JSON.parse(m.value.toString()) as { item: { id: string } }).item.id)),
    });
    const all = items(100);
    await bus.send(
      TOPICS.raw,
      all.map((i) => ({ key: i.id, value: JSON.stringify(i) })),
    );
    // Hand-offs of up to 64 messages, model passes of 8; the second transaction fails once, after the first committed.
    const flaky = failingNthTransaction(h.db, 2);
    const scorer = await startScorer({ bus, db: flaky.handle, log, model: model(), batchSize: 8, maxWriteBatch: 64 });
    try {
      const count = async () => (await h.db.exec("select count(*)::int as n from items")).rows[0]!.n as number;
      expect(await waitFor(async () => (await count()) >= all.length && published.length >= all.length, 30_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 300)); // a duplicate publish would show up meanwhile
      expect(flaky.calls()).toBeGreaterThan(3); // the failure happened, and more writes than hand-offs ran
      expect(await count()).toBe(all.length);
      const scores = (await h.db.exec("select count(*)::int as n, count(distinct item_id)::int as d from scores")).rows[0];
      expect(scores).toEqual({ n: all.length, d: all.length });
      expect([...published].sort()).toEqual(all.map((i) => i.id).sort());
      const unmarked = (await h.db.exec("select count(*)::int as n from scored_outbox")).rows[0];
      expect(unmarked).toEqual({ n: 0 });
      const mentions = (await h.db.exec("select count(*)::int as n from entity_mentions")).rows[0]!.n as number;
      expect(mentions).toBe(all.length); // "$ACME", one per item
    } finally {
      await scorer.stop();
      await reader.stop();
      await bus.close();
      await h.drop();
    }
  });
});
