/**
 * npm run bench:pipeline — items/s through ingest → score → Postgres on real Kafka + Postgres, against a plain
 * kafkajs consume → batch insert loop (the plumbing ceiling), run in the same process on the same input.
 * Needs KAFKA_BROKERS and DATABASE_URL (.ci/run and infra/kafka/start.sh provide both).
 */
import { Kafka, logLevel } from "kafkajs";
import pg from "pg";
import { createLogger } from "@finsentry/core";
import { KafkaBus } from "@finsentry/bus";
import { openDb } from "@finsentry/db";
import { IngestWriter, loadTextScorer, startScorer, StreamRegistry, StreamSupervisor } from "@finsentry/pipeline";
import { TOPICS } from "@finsentry/schemas";
import { createTestDatabase, KAFKA_BROKERS, skipReason, uniqueName, waitFor } from "../support/services.ts";

const N = Number(process.env.BENCH_ITEMS ?? 20_000);
const log = createLogger("bench", "warn");
if (skipReason(["kafka", "postgres"])) process.exit(2);

const docs = Array.from({ length: N }, (_, i) =>
  JSON.stringify({
    source: "bench",
    published_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    text: `Bench item ${i}: $BNC${i % 40} shares ${i % 3 ? "fall" : "rise"} ${(i % 13) + 1}% as Bench Corp updates guidance`,
  }),
);

async function produce(kafka: Kafka, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
  await admin.disconnect();
  const p = kafka.producer();
  await p.connect();
  for (let i = 0; i < docs.length; i += 1000)
    await p.send({ topic, acks: -1, messages: docs.slice(i, i + 1000).map((value) => ({ value })) });
  await p.disconnect();
}

/** Ceiling: consume the same messages and batch-insert them into one table, nothing else. */
async function plainLoop(): Promise<number> {
  const kafka = new Kafka({ brokers: KAFKA_BROKERS!, logLevel: logLevel.NOTHING });
  const topic = uniqueName("bench.plain");
  await produce(kafka, topic);
  const tdb = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: tdb.url });
  await pool.query("create table plain (id bigserial primary key, body jsonb not null)");
  const consumer = kafka.consumer({ groupId: uniqueName("plain") });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done = 0;
  const t0 = performance.now();
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      const values = batch.messages.map((m) => m.value!.toString());
      await pool.query("insert into plain (body) select * from unnest($1::jsonb[])", [values]);
      const last = batch.messages[batch.messages.length - 1]!.offset;
      resolveOffset(last);
      await consumer.commitOffsets([{ topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      done += values.length;
    },
  });
  await waitFor(async () => done >= N, 600_000, 20);
  const secs = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  await pool.end();
  await tdb.drop();
  return N / secs;
}

async function pipeline(): Promise<{ rate: number; model: string }> {
  const ns = `${uniqueName("bench")}.`;
  const kafka = new Kafka({ brokers: KAFKA_BROKERS!, logLevel: logLevel.NOTHING });
  await produce(kafka, ns + TOPICS.news);
  const tdb = await createTestDatabase();
  const db = await openDb(tdb.url);
  const bus = new KafkaBus({ brokers: KAFKA_BROKERS!, namespace: ns, log });
  await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 3 })));
  const model = await loadTextScorer(log, process.env.MODEL_DIR, process.env.SCORER_FALLBACK === "lexicon" ? "lexicon" : "none");
  const t0 = performance.now();
  const supervisor = new StreamSupervisor({ bus, log, writer: new IngestWriter(bus), registry: new StreamRegistry(db.db) });
  await supervisor.start();
  const scorer = await startScorer({ bus, db, log, model, batchSize: Number(process.env.SCORER_BATCH_SIZE ?? 64) });
  await waitFor(async () => ((await db.exec("select count(*)::int as n from items")).rows[0]!.n as number) >= N, 600_000, 100);
  const secs = (performance.now() - t0) / 1000;
  await supervisor.stop();
  await scorer.stop();
  await bus.close();
  await db.close();
  await tdb.drop();
  return { rate: N / secs, model: model.version };
}

console.log(`bench:pipeline — ${N} items, Kafka ${KAFKA_BROKERS!.join(",")}, 3 partitions, one process`);
const ceiling = await plainLoop();
console.log(`plain kafkajs consume → batch insert (ceiling): ${ceiling.toFixed(0)} items/s`);
const p = await pipeline();
console.log(`finsentry ingest → score (${p.model}) → Postgres:  ${p.rate.toFixed(0)} items/s`);
console.log(`ratio pipeline / ceiling: ${(p.rate / ceiling).toFixed(3)}`);
process.exit(0);
