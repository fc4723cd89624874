import { expect } from "vitest";
import type { Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import type { DbHandle } from "@finsentry/db";
import { ingestDocument } from "@finsentry/ingest";
import { DeadLetterV1, TOPICS, type DeadLetter, type RawItem } from "@finsentry/schemas";
import { LexiconBaselineScorer, startScorer } from "../src/index.ts";
import { waitFor } from "../../../test/support/services.ts";

const SECRET = "poison-marker-7f3a";

function item(i: number, tag: string): RawItem {
  const r = ingestDocument(
    JSON.stringify({ source: "wire", published_at: "2026-01-02T03:04:05Z", text: `Item ${i} ${tag}: $ACME shares rise after upgrade` }),
    { stream: "news", topic: null, partition: null, offset: null },
  );
  if (!r.ok) throw new Error("test item invalid");
  return r.item;
}

/**
 * Items on one partition of items.raw, one of which Postgres cannot store (a NUL in its text, bypassing validation):
 * after bounded retries the good ones are stored and published once, the bad one is dead-lettered, and later items on
 * the partition are stored too.
 */
export async function runPoisonScenario(opts: {
  bus: Bus;
  db: DbHandle;
  log: Logger;
  lines: Record<string, unknown>[];
  raw: string[];
  tag: string;
}) {
  const { bus, db, log, lines, raw, tag } = opts;
  const maxAttempts = 3;
  const before = Array.from({ length: 10 }, (_, i) => item(i, tag));
  const bad: RawItem = { ...item(99, tag), id: "0123456789abcdef0123456789abcdef", text: `${SECRET} a \u0000 b` };
  const after = Array.from({ length: 5 }, (_, i) => item(100 + i, tag));
  const good = [...before, ...after];
  const send = (items: RawItem[]) =>
    bus.send(
      TOPICS.raw,
      items.map((i) => ({ key: i.id, value: JSON.stringify(i), partition: 0 })),
    );
  // One partition, sent before the scorer starts: they arrive as one batch.
  await send([...before.slice(0, 5), bad, ...before.slice(5)]);

  const deadLetters: DeadLetter[] = [];
  const scoredIds: string[] = [];
  const dl = await bus.subscribe({
    groupId: `dl-${tag}`,
    topics: [TOPICS.deadLetter],
    eachBatch: async (b) => void deadLetters.push(...b.messages.map((m) => DeadLetterV1.parse(JSON.parse(m.value.toString())))),
  });
  const sc = await bus.subscribe({
    groupId: `scored-${tag}`,
    topics: [TOPICS.scored],
    eachBatch: async (b) =>
      void scoredIds.push(...b.messages.map((m) => (JSON.parse(m.value.toString()) as { item: { id: string } }).item.id)),
  });
  const scorer = await startScorer({ bus, db, log, model: new LexiconBaselineScorer(), batchSize: 64, maxAttempts });
  try {
    const storedIds = async () => ((await db.exec("select id from items order by id")).rows as { id: string }[]).map((r) => r.id);
    expect(await waitFor(async () => deadLetters.length >= 1 && (await storedIds()).length >= before.length, 60_000), raw.join("")).toBe(
      true,
    );
    await send(after);
    expect(
      await waitFor(async () => (await storedIds()).length >= good.length && scoredIds.length >= good.length, 60_000),
      raw.join(""),
    ).toBe(true);

    expect(await storedIds()).toEqual(good.map((i) => i.id).sort());
    expect([...scoredIds].sort()).toEqual(good.map((i) => i.id).sort()); // each published once
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({
      stream: "news",
      reason: "invalid_fields",
      origin: { topic: TOPICS.raw, partition: 0, offset: expect.any(String) },
    });
    // The batch reaches Postgres as one jsonb parameter, so the NUL is refused as a JSON escape (SQLSTATE 22P05).
    expect(deadLetters[0]!.errors[0]!.message).toMatch(/could not be stored: unsupported Unicode escape sequence \(22P05\)/);
    expect(deadLetters[0]!.payload).toContain(bad.id);

    // Bounded: exactly maxAttempts failed tries of the batch, each logged with where it failed; no contents logged.
    const failures = lines.filter((l) => l.msg === "batch handler failed; will retry" && l.topic === TOPICS.raw);
    expect(failures.map((l) => l.attempt)).toEqual([1, 2, 3]);
    for (const f of failures) expect(f).toMatchObject({ partition: 0, code: "22P05", error: expect.stringContaining("Unicode escape") });
    expect(
      lines.some((l) => l.msg === "item cannot be stored; sent to the dead-letter topic" && l.offset === deadLetters[0]!.origin.offset),
    ).toBe(true);
    expect(raw.join("")).not.toContain(SECRET);
  } finally {
    await scorer.stop();
    await dl.stop();
    await sc.stop();
  }
}
