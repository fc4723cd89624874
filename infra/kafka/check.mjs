#!/usr/bin/env node
// Smoke test: does this broker speak everything finsentry uses from kafkajs 2.2.4?
//
//   node infra/kafka/check.mjs                # full check against $KAFKA_BROKERS (default 127.0.0.1:9092)
//   node infra/kafka/check.mjs --ping         # exit 0 as soon as the broker answers a metadata request
//   node infra/kafka/check.mjs --brokers h:p  # override the broker list
//   node infra/kafka/check.mjs --verbose      # kafkajs INFO logs
//
// Exits non-zero on the first failed step (the full check also has an overall timeout).
// kafkajs is resolved from the repo root's node_modules, whatever the cwd.
import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";

process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";
const require = createRequire(new URL("../../package.json", import.meta.url));
const { Kafka, logLevel, CompressionTypes } = require("kafkajs");
const kafkajsVersion = require("kafkajs/package.json").version;

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const brokers = (opt("--brokers") ?? process.env.KAFKA_BROKERS ?? "127.0.0.1:9092")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean);

// ---------------------------------------------------------------- --ping
if (flag("--ping")) {
  const kafka = new Kafka({
    clientId: "finsentry-ping",
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  const timer = setTimeout(() => process.exit(1), 5000);
  try {
    await admin.connect();
    await admin.listTopics();
    await admin.disconnect();
    clearTimeout(timer);
    process.exit(0);
  } catch {
    process.exit(1);
  }
}

// ---------------------------------------------------------------- full check
const TIMEOUT_MS = Number(process.env.KAFKA_CHECK_TIMEOUT_MS ?? 120_000);
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const step = (msg) => console.log(`[check ${elapsed()}] ${msg}`);
class CheckFailed extends Error {}
function assert(cond, msg) {
  if (!cond) throw new CheckFailed(msg);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what, pred, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(100);
  }
  throw new CheckFailed(`timed out after ${ms} ms waiting for ${what}`);
}

const overall = setTimeout(() => {
  console.error(`[check] FAILED: overall timeout ${TIMEOUT_MS} ms`);
  process.exit(2);
}, TIMEOUT_MS);

const kafka = new Kafka({
  clientId: "finsentry-check",
  brokers,
  logLevel: flag("--verbose") ? logLevel.INFO : logLevel.WARN,
  retry: { retries: 8, initialRetryTime: 200 },
});

const run = randomUUID().slice(0, 8);
const topic = `finsentry.check.${run}`;
const PARTITIONS = 3;
const cleanup = [];

async function main() {
  step(`kafkajs ${kafkajsVersion}, brokers ${brokers.join(",")}`);

  // ---- admin: cluster, createTopics with 3 partitions
  const admin = kafka.admin();
  cleanup.push(() => admin.disconnect());
  await admin.connect();
  const cluster = await admin.describeCluster();
  step(`cluster ${cluster.clusterId}: ${cluster.brokers.length} broker(s), controller ${cluster.controller}`);
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  assert(created === true, "createTopics returned false for a new topic");
  cleanup.push(() => admin.deleteTopics({ topics: [topic], timeout: 5000 }).catch(() => {}));
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const parts = meta.topics[0].partitions;
  assert(parts.length === PARTITIONS, `expected ${PARTITIONS} partitions, got ${parts.length}`);
  assert(parts.every((p) => p.leader >= 0), "a partition has no leader");
  assert((await admin.listTopics()).includes(topic), "listTopics does not show the new topic");
  step(`createTopics ok: ${topic} with ${parts.length} partitions`);

  // ---- consumer group: two members share the partitions (joined before any data is produced)
  const groupA = `finsentry-check-a-${run}`;
  const seen = new Map(); // member -> [{partition, offset, value}]
  const assignment = new Map(); // member -> partitions from the latest GROUP_JOIN
  const startMember = async (name, groupId, opts = {}) => {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500, ...opts });
    cleanup.push(() => consumer.disconnect());
    seen.set(name, []);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assignment.set(name, [...(e.payload.memberAssignment[topic] ?? [])].sort());
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
        seen.get(name).push({ partition, offset: message.offset, value: message.value.toString(), headers: message.headers });
        // Manual commit: the *next* offset to read.
        await consumer.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });
    return consumer;
  };
  const a1 = await startMember("a1", groupA);
  const a2 = await startMember("a2", groupA);
  await waitFor(
    "both group members to hold a share of the partitions",
    () => {
      const x = assignment.get("a1") ?? [];
      const y = assignment.get("a2") ?? [];
      const union = new Set([...x, ...y]);
      return x.length > 0 && y.length > 0 && x.every((p) => !y.includes(p)) && union.size === PARTITIONS;
    },
    45_000,
  );
  const desc = (await admin.describeGroups([groupA])).groups[0];
  assert(desc.members.length === 2, `describeGroups: expected 2 members, got ${desc.members.length}`);
  step(`consumer group ok: a1=${assignment.get("a1")} a2=${assignment.get("a2")} (state ${desc.state})`);

  // ---- producers: idempotent off (what the bus uses) and idempotent on; acks=-1; gzip batch
  const plain = kafka.producer({ idempotent: false, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  cleanup.push(() => plain.disconnect(), () => idem.disconnect());
  await plain.connect();
  await idem.connect();
  const sent = [];
  const perPartition = (prefix, n) =>
    Array.from({ length: n }, (_, i) => {
      const value = `${prefix}-${i}`;
      sent.push(value);
      return { key: `k${i}`, value, partition: i % PARTITIONS, headers: { run, src: prefix } };
    });
  const r1 = await plain.send({ topic, acks: -1, messages: perPartition("plain", 12) });
  assert(r1.every((r) => r.errorCode === 0), "plain producer: non-zero errorCode");
  const r2 = await idem.send({ topic, acks: -1, messages: perPartition("idem", 12) });
  assert(r2.every((r) => r.errorCode === 0), "idempotent producer: non-zero errorCode");
  // Keyed (default partitioner), compressed, via sendBatch.
  const keyed = Array.from({ length: 12 }, (_, i) => {
    const value = `gzip-${i}`;
    sent.push(value);
    return { key: `key-${i}`, value, headers: { run, src: "gzip" } };
  });
  await plain.sendBatch({ acks: -1, compression: CompressionTypes.GZIP, topicMessages: [{ topic, messages: keyed }] });
  step(`produce ok: ${sent.length} messages (idempotent off, idempotent on, gzip batch)`);

  const offsets = await admin.fetchTopicOffsets(topic);
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  assert(total === sent.length, `fetchTopicOffsets: expected ${sent.length} messages, found ${total}`);

  // ---- both members consume; each only from its own partitions; together everything
  const valuesOf = (...names) => names.flatMap((n) => seen.get(n).map((m) => m.value));
  await waitFor("the group to consume every message", () => new Set(valuesOf("a1", "a2")).size === sent.length);
  for (const name of ["a1", "a2"]) {
    const mine = assignment.get(name);
    const got = seen.get(name);
    assert(got.length > 0, `${name} received nothing`);
    assert(got.every((m) => mine.includes(m.partition)), `${name} got a message from a partition it does not own`);
  }
  const dup = valuesOf("a1", "a2").length - sent.length;
  assert(dup === 0, `${dup} duplicate deliveries within a stable group`);
  const h = seen.get("a1")[0].headers;
  assert(h.run?.toString() === run, "headers did not round-trip");
  step(`consume ok: a1 got ${seen.get("a1").length}, a2 got ${seen.get("a2").length}, no duplicates`);

  // ---- manual commitOffsets landed: committed == high watermark on every partition
  await waitFor("committed offsets to reach the high watermarks", async () => {
    const committed = await admin.fetchOffsets({ groupId: groupA, topics: [topic] });
    const c = new Map(committed[0].partitions.map((p) => [p.partition, p.offset]));
    return offsets.every((o) => c.get(o.partition) === o.high);
  });
  step("commitOffsets ok: committed offsets == high watermarks");

  // ---- restart the group: it resumes from the commits, not from the beginning
  await a1.disconnect();
  await a2.disconnect();
  const more = perPartition("after-restart", 6);
  await plain.send({ topic, acks: -1, messages: more });
  await startMember("a3", groupA);
  await waitFor("restarted member to get the new messages", () => seen.get("a3").length >= more.length);
  await sleep(1500); // anything already consumed would show up here
  const a3vals = valuesOf("a3");
  assert(
    a3vals.length === more.length && a3vals.every((v) => v.startsWith("after-restart-")),
    `restarted member should see only the ${more.length} new messages, saw ${a3vals.length}: ${a3vals.slice(0, 5)}`,
  );
  step(`resume ok: restarted member got exactly the ${more.length} new messages`);

  // ---- from beginning: a fresh group with fromBeginning reads everything
  const groupB = `finsentry-check-b-${run}`;
  await startMember("b1", groupB);
  await waitFor("fresh group to read from the beginning", () => new Set(valuesOf("b1")).size === sent.length);
  step(`fromBeginning ok: fresh group read all ${sent.length} messages`);
  step("PASS");
}

try {
  await main();
  clearTimeout(overall);
} catch (err) {
  console.error(`[check ${elapsed()}] FAILED: ${err instanceof CheckFailed ? err.message : err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  for (const fn of cleanup.reverse()) {
    await Promise.race([Promise.resolve().then(fn).catch(() => {}), sleep(5000)]);
  }
  clearTimeout(overall);
}
process.exit(process.exitCode ?? 0);
