/**
 * npm run bench:pipeline — items/s through ingest → score → Postgres on real Kafka + Postgres, against a plain
 * kafkajs consume → batch insert loop (the plumbing ceiling), run in the same process on the same input, and against
 * the same loop with the services' other two Kafka hops (the topology loop).
 * With an ONNX model (not the lexicon stand-in) the scorer serves what the scorer service serves: the tiers of
 * `SCORER_TIERS` (default cascade: fast model + accurate tier; `SCORER_TIERS=fast` for the fast model alone). The bench
 * also times that scorer end to end as `npm run bench:model` times that configuration, on the pipeline's own texts,
 * before and after the pipeline run, and prints the pipeline's ratio to it (from start, and from the first stored
 * hand-off on).
 * Needs KAFKA_BROKERS and DATABASE_URL (.ci/run and infra/kafka/start.sh provide both).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import pg from "pg";
import { createLogger } from "@finsentry/core";
import { JavaCompatiblePartitioner, KafkaBus } from "@finsentry/bus";
import { openDb } from "@finsentry/db";
import { loadScorer } from "@finsentry/model";
import {
  BUNDLED_MODEL_DIR,
  IngestWriter,
  loadModelTiers,
  loadTextScorer,
  loadTierConfig,
  m,
  startScorer,
  StreamRegistry,
  StreamSupervisor,
  type ModelTiers,
} from "@finsentry/pipeline";
import { TOPICS } from "@finsentry/schemas";
import { createTestDatabase, KAFKA_BROKERS, skipReason, uniqueName, waitFor } from "../support/services.ts";

const N = Number(process.env.BENCH_ITEMS ?? 20_000);
const log = createLogger("bench", "warn");
if (skipReason(["kafka", "postgres"])) process.exit(2);

const texts = Array.from(
  { length: N },
  (_, i) => `Bench item ${i}: $BNC${i % 40} shares ${i % 3 ? "fall" : "rise"} ${(i % 13) + 1}% as Bench Corp updates guidance`,
);
const docs = texts.map((text, i) =>
  JSON.stringify({ source: "bench", published_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), text }),
);

async function createTopics(kafka: Kafka, topics: string[]) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 3 })) });
  await admin.disconnect();
}

async function produce(kafka: Kafka, topic: string) {
  await createTopics(kafka, [topic]);
  const p = kafka.producer();
  await p.connect();
  for (let i = 0; i < docs.length; i += 1000)
    await p.send({ topic, acks: -1, messages: docs.slice(i, i + 1000).map((value) => ({ value })) });
  await p.disconnect();
}

/**
 * Plain kafkajs loops over the same messages, nothing else: the ceiling consumes them and batch-inserts them into one
 * table; the topology loop adds the pipeline's two other Kafka hops around that insert (the ingest's produce to
 * items.raw and its consume by the scorer, then the publish to items.scored) with the bus's producer settings, and no
 * validation, scoring or second table. It shows what the services' Kafka topology costs by itself.
 */
async function plainLoop(hops: boolean): Promise<number> {
  const kafka = new Kafka({ brokers: KAFKA_BROKERS!, logLevel: logLevel.NOTHING });
  const [raw, mid, out] = [uniqueName("bench.plain.raw"), uniqueName("bench.plain.mid"), uniqueName("bench.plain.out")];
  await produce(kafka, raw);
  if (hops) await createTopics(kafka, [mid, out]);
  const tdb = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: tdb.url });
  await pool.query("create table plain (id bigserial primary key, body jsonb not null)");
  const producer = kafka.producer({ createPartitioner: JavaCompatiblePartitioner, idempotent: true, maxInFlightRequests: 1 });
  if (hops) await producer.connect();
  const send = (topic: string, values: string[]) =>
    producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: String(i), value })) });
  const insert = (values: string[]) => pool.query("insert into plain (body) select * from unnest($1::jsonb[])", [values]);
  let done = 0;
  const consumers: Consumer[] = [];
  const consume = async (topic: string, handle: (values: string[]) => Promise<unknown>) => {
    const consumer = kafka.consumer({ groupId: uniqueName("plain") });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        await handle(batch.messages.map((m) => m.value!.toString()));
        const last = batch.messages[batch.messages.length - 1]!.offset;
        resolveOffset(last);
        await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      },
    });
  };
  const t0 = performance.now();
  if (hops) await consume(raw, (values) => send(mid, values));
  await consume(hops ? mid : raw, async (values) => {
    await insert(values);
    if (hops) await send(out, values);
    done += values.length;
  });
  await waitFor(async () => done >= N, 600_000, 20);
  const secs = (performance.now() - t0) / 1000;
  for (const consumer of consumers) await consumer.disconnect();
  if (hops) await producer.disconnect();
  await pool.end();
  await tdb.drop();
  return N / secs;
}

/**
 * CPU seconds used so far by this process, by the Postgres backends serving `database` and by the Kafka broker, read
 * from /proc (Linux; zeros elsewhere): on a shared 2-core machine, CPU per item is what limits items/s. (Backends that
 * ended meanwhile, and Postgres' shared WAL writer, are not counted.)
 */
function cpuSeconds(database: string): { node: number; postgres: number; kafka: number } {
  const own = process.cpuUsage();
  const out = { node: (own.user + own.system) / 1e6, postgres: 0, kafka: 0 };
  let pids: string[] = [];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      if (comm !== "postgres" && comm !== "java") continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      const who = comm === "postgres" ? (cmd.includes(` ${database} `) ? "postgres" : null) : cmd.includes("kafka.Kafka") ? "kafka" : null;
      if (!who) continue;
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      out[who] += (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** Summed wall seconds per timed phase (the pipeline's own histograms), to show where a run spends its time. */
async function phases(): Promise<string> {
  const parts: string[] = [];
  for (const h of [m.ingestBatchSeconds, m.scoreBatchSeconds]) {
    const { values } = await h.get();
    for (const v of values.filter((x) => x.metricName?.endsWith("_sum"))) {
      const count = values.find((x) => x.metricName?.endsWith("_count") && x.labels.phase === v.labels.phase)?.value ?? 0;
      parts.push(`${v.labels.phase ?? "ingest"} ${v.value.toFixed(2)} s / ${count} batches`);
    }
  }
  return parts.join(", ");
}

/** Share of the stored items the accurate tier answered, from the scorer's per-tier counter (empty when one model serves). */
async function escalated(): Promise<string> {
  const { values } = await m.tierItems.get();
  const count = (tier: string) => values.find((v) => v.labels.tier === tier)?.value ?? 0;
  const [fast, accurate] = [count("fast"), count("accurate")];
  return fast + accurate ? `, ${((100 * accurate) / (fast + accurate)).toFixed(0)} % of items answered by the accurate tier` : "";
}

async function pipeline(tiers: ModelTiers | null): Promise<{ rate: number; steady: number; model: string }> {
  const ns = `${uniqueName("bench")}.`;
  const kafka = new Kafka({ brokers: KAFKA_BROKERS!, logLevel: logLevel.NOTHING });
  await produce(kafka, ns + TOPICS.news);
  const tdb = await createTestDatabase();
  const db = await openDb(tdb.url);
  const bus = new KafkaBus({ brokers: KAFKA_BROKERS!, namespace: ns, log });
  await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 3 })));
  const fast = await loadTextScorer(log, process.env.MODEL_DIR, process.env.SCORER_FALLBACK === "lexicon" ? "lexicon" : "none");
  const model = tiers ? tiers.serve(fast) : fast;
  const dbName = new URL(tdb.url).pathname.slice(1);
  const c0 = cpuSeconds(dbName);
  const t0 = performance.now();
  const supervisor = new StreamSupervisor({ bus, log, writer: new IngestWriter(bus), registry: new StreamRegistry(db.db) });
  await supervisor.start();
  const batchSize = process.env.SCORER_BATCH_SIZE ? Number(process.env.SCORER_BATCH_SIZE) : undefined;
  const scorer = await startScorer({ bus, db, log, model, batchSize });
  // Progress from the scorer's own counter (items stored, published and marked), not a count(*) every few ms that
  // would load the Postgres being measured; the stored total is checked once at the end.
  let first = 0;
  let firstN = 0;
  const done = async () => {
    const n = (await m.scored.get()).values.reduce((a, v) => a + v.value, 0);
    if (n > 0 && !first) [first, firstN] = [performance.now(), n];
    return n >= N;
  };
  await waitFor(done, 600_000, 20);
  const secs = (performance.now() - t0) / 1000;
  const c1 = cpuSeconds(dbName);
  const perItem = (k: keyof typeof c0) => `${k} ${(((c1[k] - c0[k]) / N) * 1e6).toFixed(0)}`;
  console.log(
    `  ${secs.toFixed(2)} s wall, first items done after ${((first - t0) / 1000).toFixed(2)} s; summed phase times: ${await phases()}`,
  );
  console.log(`  CPU µs per item: ${perItem("node")}, ${perItem("postgres")}, ${perItem("kafka")}${await escalated()}`);
  const stored = (await db.exec("select count(*)::int as n from items")).rows[0]!.n as number;
  if (stored !== N) throw new Error(`expected ${N} items stored, found ${stored}`);
  await supervisor.stop();
  await scorer.stop();
  await bus.close();
  await db.close();
  await tdb.drop();
  // Items/s once the first hand-off is stored: without the three consumer-group joins and the first fetch, which a
  // running service pays once (the model's own figure below is timed after a warm-up pass, too).
  const steady = (N - firstN) / (secs - (first - t0) / 1000);
  return { rate: N / secs, steady, model: "describe" in model ? String(model.describe) : model.version };
}

/**
 * The scorer's own end-to-end figure on the pipeline's texts, timed as bench:model times that configuration: the fast
 * model alone as its "scorer end-to-end" row (64 concurrent single-text calls coalesced by the batcher), the cascade
 * and the accurate tier as its curve (successive score calls of 64 texts).
 */
async function modelEndToEnd(dir: string, tiers: ModelTiers, seconds = 3): Promise<number> {
  const scorer = tiers.serve(await loadScorer(dir, { executionProvider: "cpu", log: () => {}, maxBatch: 64, maxWaitMs: 2 }));
  const sample = texts.slice(0, 1024);
  const pass = (batch: string[]) => (tiers.mode === "fast" ? Promise.all(batch.map((t) => scorer.score([t]))) : scorer.score(batch));
  await pass(sample.slice(0, 64));
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    const batch = sample.slice(n % sample.length, (n % sample.length) + 64);
    await pass(batch);
    n += batch.length;
  }
  const ips = n / ((performance.now() - t0) / 1000);
  await scorer.close();
  return ips;
}

const fmt = (x: number) => x.toFixed(0);
const modelDir = process.env.MODEL_DIR ?? BUNDLED_MODEL_DIR;
// The pipeline loads the ONNX model exactly when the directory holds one (else the lexicon stand-in, or it refuses).
const onnxDir = existsSync(join(modelDir, "manifest.json"));
const tierCfg = loadTierConfig();
console.log(
  `bench:pipeline — ${N} items, Kafka ${KAFKA_BROKERS!.join(",")}, 3 partitions, one process, scorer batch ${process.env.SCORER_BATCH_SIZE ?? "default"}, tiers ${onnxDir ? tierCfg.SCORER_TIERS : "— (stand-in)"}`,
);
// The accurate tier (when the tiers need one) is loaded once and served beside each fast scorer, as the scorer does.
const tiers = onnxDir ? await loadModelTiers(log, tierCfg) : null;
const ceiling = await plainLoop(false);
console.log(`plain kafkajs consume → batch insert (ceiling): ${fmt(ceiling)} items/s`);
const topology = await plainLoop(true);
console.log(
  `plain kafkajs, the services' topology (consume → produce → consume → batch insert + produce): ${fmt(topology)} items/s, ratio to the ceiling ${(topology / ceiling).toFixed(3)}`,
);
const before = tiers ? await modelEndToEnd(modelDir, tiers) : 0;
const p = await pipeline(tiers);
console.log(
  `finsentry ingest → score (${p.model}) → Postgres:  ${fmt(p.rate)} items/s (${fmt(p.steady)} from the first stored hand-off on)`,
);
console.log(`ratio pipeline / ceiling: ${(p.rate / ceiling).toFixed(3)} (pipeline / topology loop: ${(p.rate / topology).toFixed(3)})`);
if (tiers) {
  const after = await modelEndToEnd(modelDir, tiers);
  const e2e = (before + after) / 2;
  console.log(
    `model scorer end-to-end as bench:model times it: ${fmt(before)} before, ${fmt(after)} after the run (mean ${fmt(e2e)} items/s)`,
  );
  console.log(
    `ratio pipeline / model end-to-end: ${(p.rate / e2e).toFixed(3)} (from the first stored hand-off on: ${(p.steady / e2e).toFixed(3)})`,
  );
  await tiers.close();
}
process.exit(0);
