/**
 * Alerter failover time on real Kafka + Postgres: starts `--alerters` (3) alerter processes on a fresh database and
 * namespace, streams scored items, SIGKILLs the leader `--kills` (5) times (starting a replacement after each) and
 * prints, per kill, how long until another process held the lease and until it counted items again.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:alerter-failover -- --kills 5
 *
 * Lease timing comes from ALERTER_LEASE_TTL_MS / ALERTER_LEASE_RENEW_MS / ALERTER_STANDBY_POLL_MS in the environment
 * (defaults 5000 / 1000 / 1000), the consumer handover from KAFKA_SESSION_TIMEOUT_MS (the alerter's default: 6000).
 */
import { parseArgs } from "node:util";
import { TOPICS } from "@finsentry/schemas";
import { AlerterCluster, buildBurst, messagesOf, type Takeover } from "../support/alerter-ha.ts";
import { DATABASE_URL, haveKafka, havePostgres } from "../support/services.ts";

const { values } = parseArgs({ options: { kills: { type: "string", default: "5" }, alerters: { type: "string", default: "3" } } });
const kills = Number(values.kills);
const alerters = Number(values.alerters);
if (!haveKafka || !havePostgres) {
  console.error("bench:alerter-failover needs KAFKA_BROKERS and DATABASE_URL (postgres://…)");
  process.exit(2);
}
if (!(kills >= 1) || !(alerters >= 2)) {
  console.error("--kills must be >= 1 and --alerters >= 2");
  process.exit(2);
}

const passthrough = Object.fromEntries(
  ["ALERTER_LEASE_TTL_MS", "ALERTER_LEASE_RENEW_MS", "ALERTER_STANDBY_POLL_MS", "KAFKA_SESSION_TIMEOUT_MS"].flatMap((k) =>
    process.env[k] ? [[k, process.env[k]!]] : [],
  ),
);
const cluster = await AlerterCluster.create(passthrough);
// Enough distinct items that the trickle never repeats one (a repeat is not counted, so it could not show a resume).
const stream = messagesOf(buildBurst(Math.max(16, kills * 10)).items);
let at = 0;
/** A steady trickle (50 items every 250 ms), so a new leader has work waiting. */
const send = async () => {
  const part = stream.slice(at % stream.length, (at % stream.length) + 50);
  at += part.length;
  await cluster.bus.send(TOPICS.scored, part);
};

try {
  for (let i = 0; i < alerters; i++) await cluster.start();
  const first = await cluster.waitForLeader(120_000);
  console.log(
    `${alerters} alerters on ${DATABASE_URL!.replace(/\/\/[^@]*@/, "//")} (namespace ${cluster.ns}), first leader pid ${first.proc.pid}`,
  );
  const results: Takeover[] = [];
  for (let k = 0; k < kills; k++) {
    for (let j = 0; j < 8; j++) {
      await send();
      await new Promise((r) => setTimeout(r, 250));
    }
    let last = Date.now();
    const t = await cluster.killLeader(120_000, async () => {
      if (Date.now() - last >= 250) {
        last = Date.now();
        await send();
      }
    });
    results.push(t);
    console.log(
      `kill ${k + 1}: pid ${t.killedPid} (epoch ${t.fromEpoch}) -> pid ${t.newPid} (epoch ${t.toEpoch}): lease taken after ${(t.leaseMs / 1000).toFixed(2)} s, ` +
        `consuming again after ${t.resumeMs === null ? "—" : `${(t.resumeMs / 1000).toFixed(2)} s`}`,
    );
    await cluster.start();
    await cluster.waitForLeader(60_000);
  }
  const stats = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const f = (v: number) => `${(v / 1000).toFixed(2)} s`;
    return `min ${f(s[0]!)}, median ${f(s[Math.floor(s.length / 2)]!)}, max ${f(s[s.length - 1]!)}`;
  };
  console.log(`\ntakeover over ${results.length} kills`);
  console.log(`  lease taken:      ${stats(results.map((r) => r.leaseMs))}`);
  const resumed = results.flatMap((r) => (r.resumeMs === null ? [] : [r.resumeMs]));
  if (resumed.length) console.log(`  consuming again:  ${stats(resumed)}`);
} finally {
  await cluster.close();
}
