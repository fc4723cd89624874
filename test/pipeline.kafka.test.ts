import { afterEach, describe, expect, it } from "vitest";
import { AssignerProtocol, Kafka, logLevel } from "kafkajs";
import { createLogger } from "@finsentry/core";
import { KafkaBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { IngestWriter, StreamRegistry, StreamSupervisor, mulberry32 } from "@finsentry/pipeline";
import { TOPICS } from "@finsentry/schemas";
import { createTestDatabase, KAFKA_BROKERS, skipReason, uniqueName, waitFor } from "./support/services.ts";
import { startService, stopProcess } from "./support/processes.ts";

const skip = skipReason(["kafka", "postgres"]);
const log = createLogger("test", "warn");

const VALID = 9_500;
const DUPLICATES = 300;
const MALFORMED = 200;

/** 10,000 messages: 9,500 distinct valid items, 300 exact re-posts of some of them, 200 malformed in five ways. */
function buildMessages(seed: number): string[] {
  const rnd = mulberry32(seed);
  const valid = Array.from({ length: VALID }, (_, i) =>
    JSON.stringify({
      source: i % 2 ? "wire" : "social",
      published_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
      text: `Item ${i}: $TST${i % 50} shares ${i % 3 ? "fall" : "rise"} ${(i % 17) + 1}% after update ${seed}`,
      url: `https://news.example.com/${i}`,
    }),
  );
  const dups = Array.from({ length: DUPLICATES }, () => valid[Math.floor(rnd() * VALID)]!);
  const malformed = Array.from({ length: MALFORMED }, (_, i) => {
    switch (i % 5) {
      case 0:
        return `{"source": "wire", "text": "truncated ${i}`;
      case 1:
        return JSON.stringify({ source: "wire", published_at: "2026-01-01T00:00:00Z", n: i }).replace(`,"n":${i}`, "");
      case 2:
        return JSON.stringify({ source: "wire", published_at: 1234 + i, text: `wrong type ${i}` });
      case 3:
        return JSON.stringify({ source: "wire", published_at: "2026-01-01T00:00:00Z", text: "x".repeat(33 * 1024) + i });
      default:
        return JSON.stringify({ source: "wire", published_at: "2026-01-01T00:00:00Z", text: `extra ${i}`, mood: "bad" });
    }
  });
  const all = [...valid, ...dups, ...malformed];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

interface Scenario {
  ns: string;
  db: DbHandle;
  dbUrl: string;
  bus: KafkaBus;
  supervisor: StreamSupervisor;
  cleanup: (() => Promise<void>)[];
}

async function setUp(): Promise<Scenario> {
  const ns = `${uniqueName("t")}.`;
  const tdb = await createTestDatabase();
  const db = await openDb(tdb.url);
  const bus = new KafkaBus({ brokers: KAFKA_BROKERS!, namespace: ns, log });
  await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 3 })));
  const supervisor = new StreamSupervisor({ bus, log, writer: new IngestWriter(bus), registry: new StreamRegistry(db.db) });
  await supervisor.start();
  return {
    ns,
    db,
    dbUrl: tdb.url,
    bus,
    supervisor,
    cleanup: [async () => supervisor.stop(), async () => bus.close(), async () => db.close(), async () => tdb.drop()],
  };
}

async function publish(s: Scenario, seed: number) {
  const msgs = buildMessages(seed);
  for (let i = 0; i < msgs.length; i += 500) {
    await s.bus.send(
      TOPICS.news,
      msgs.slice(i, i + 500).map((value, k) => ({ value, partition: (i + k) % 3 })),
    );
  }
}

const countItems = async (db: DbHandle) => (await db.exec("select count(*)::int as n from items")).rows[0]!.n as number;

/** Reads a whole topic with a throwaway group until `expected` messages arrived (or time runs out). */
async function readTopic(ns: string, topic: string, expected: number, timeoutMs = 60_000): Promise<string[]> {
  const kafka = new Kafka({ brokers: KAFKA_BROKERS!, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName("reader") });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: ns + topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  await waitFor(async () => values.length >= expected, timeoutMs);
  await new Promise((r) => setTimeout(r, 1000)); // anything beyond `expected` would be a duplicate: give it time to show
  await consumer.disconnect();
  return values;
}

async function assertFinalCounts(s: Scenario) {
  await waitFor(async () => (await countItems(s.db)) >= VALID, 180_000, 500);
  await new Promise((r) => setTimeout(r, 2000));
  expect(await countItems(s.db)).toBe(VALID);
  const scoreRows = (await s.db.exec("select count(*)::int as n, count(distinct item_id)::int as d from scores")).rows[0]!;
  expect(scoreRows).toEqual({ n: VALID, d: VALID });

  const dead = (await readTopic(s.ns, TOPICS.deadLetter, MALFORMED)).map((v) => JSON.parse(v));
  const distinctOrigins = new Set(dead.map((d) => `${d.origin.partition}/${d.origin.offset}`));
  expect(distinctOrigins.size).toBe(MALFORMED);
  expect(dead.length).toBe(MALFORMED);
  expect(new Set(dead.map((d) => d.reason))).toEqual(new Set(["malformed_json", "invalid_fields", "oversize", "unknown_fields"]));
  for (const d of dead) expect(d.errors.length).toBeGreaterThan(0);

  // items.scored is at-least-once; every item must be on it, none missing.
  const scored = await readTopic(s.ns, TOPICS.scored, VALID);
  expect(new Set(scored.map((v) => JSON.parse(v).item.id)).size).toBe(VALID);
}

describe.skipIf(!!skip)("pipeline on real Kafka + Postgres", () => {
  const procs: ReturnType<typeof startService>[] = [];
  let scenario: Scenario | null = null;

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    for (const c of scenario?.cleanup ?? []) await c();
    scenario = null;
  });

  // Delivery counts, not model quality, are under test: the fast tier alone scores 9,500 items in seconds, where the
  // default cascade would spend minutes of CI in the accurate tier (covered by model-tiers and online-learning tests).
  const scorerEnv = (s: Scenario, extra: Record<string, string> = {}) => ({
    KAFKA_BROKERS: KAFKA_BROKERS!.join(","),
    DATABASE_URL: s.dbUrl,
    KAFKA_NAMESPACE: s.ns,
    SCORER_TIERS: "fast",
    ...extra,
  });

  it("delivers exactly the 9,500 distinct valid items to Postgres and dead-letters the 200 malformed", async () => {
    scenario = await setUp();
    await publish(scenario, 1);
    procs.push(startService("scorer", scorerEnv(scenario)));
    await assertFinalCounts(scenario);
  }, 300_000);

  it("keeps the same final counts when the scorer is SIGKILLed mid-stream and restarted", async () => {
    scenario = await setUp();
    const s = scenario;
    await publish(s, 2);
    const first = startService("scorer", scorerEnv(s, { SCORER_BATCH_SIZE: "16" }));
    procs.push(first);
    const reached = await waitFor(async () => (await countItems(s.db)) >= 1500, 120_000, 50);
    expect(reached, first.output()).toBe(true);
    first.kill("SIGKILL");
    await new Promise((r) => first.once("exit", r));
    const atKill = await countItems(s.db);
    expect(atKill).toBeLessThan(VALID); // the kill really happened mid-stream
    procs.push(startService("scorer", scorerEnv(s, { SCORER_BATCH_SIZE: "16" })));
    await assertFinalCounts(s);
  }, 300_000);

  it("lets two scorer processes in one consumer group share the partitions", async () => {
    scenario = await setUp();
    const s = scenario;
    const env = scorerEnv(s, { SCORER_BATCH_SIZE: "8" });
    procs.push(startService("scorer", env), startService("scorer", env));
    // Wait for both to join before any input exists, so the work is split from the start.
    const kafka = new Kafka({ brokers: KAFKA_BROKERS!, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const assignments = async () => {
      const { groups } = await admin.describeGroups([`${s.ns}scorer`]);
      return (groups[0]?.members ?? []).map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {});
    };
    const both = await waitFor(
      async () => {
        const a = await assignments();
        return a.length === 2 && a.every((x) => (x[`${s.ns}${TOPICS.raw}`]?.length ?? 0) > 0);
      },
      90_000,
      500,
    );
    expect(both, procs.map((p) => p.output()).join("\n")).toBe(true);
    const parts = (await assignments()).map((x) => x[`${s.ns}${TOPICS.raw}`]!.sort());
    expect([...parts[0]!, ...parts[1]!].sort()).toEqual([0, 1, 2]);
    await admin.disconnect();
    await publish(s, 3);
    await assertFinalCounts(s);
  }, 300_000);
});
