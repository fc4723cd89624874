import { afterAll, describe, expect, it } from "vitest";
import { Kafka, logLevel } from "kafkajs";
import { TOPICS } from "@finsentry/schemas";
import {
  AlerterCluster,
  buildBurst,
  counted,
  alertRecords,
  eventRecords,
  messagesOf,
  referenceRun,
  type Takeover,
} from "./support/alerter-ha.ts";
import { KAFKA_BROKERS, skipReason, waitFor } from "./support/services.ts";

const skip = skipReason(["kafka", "postgres"]);

/** Every message on a topic (read with a throwaway group) until `expected` distinct event ids arrived. */
async function readEventIds(topic: string, expected: number, timeoutMs = 60_000): Promise<{ ids: Set<string>; messages: number }> {
  const kafka = new Kafka({ brokers: KAFKA_BROKERS!, clientId: "failover-reader", logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `reader-${Date.now()}-${Math.random()}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 500,
  });
  const ids = new Set<string>();
  let messages = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages++;
      ids.add(JSON.parse(message.value!.toString()).event_id);
    },
  });
  await waitFor(async () => ids.size >= expected, timeoutMs);
  await new Promise((r) => setTimeout(r, 1_000));
  await consumer.disconnect();
  return { ids, messages };
}

describe.skipIf(!!skip)("alerter high availability on Kafka + Postgres", () => {
  let cluster: AlerterCluster | null = null;
  afterAll(async () => {
    await cluster?.close();
  });

  it("three alerters, the leader SIGKILLed three times mid-burst: a standby takes over each time, no alert lost or doubled", async () => {
    const burst = buildBurst(16);
    cluster = await AlerterCluster.create();
    const reference = await referenceRun(burst, cluster.rulesFile);
    // The scenario is what it says: every burst fires both rules once, and everything resolves.
    expect(reference.alerts.length).toBe(2 * (16 + 6));
    expect(reference.alerts.every((a) => a.state === "resolved")).toBe(true);

    for (let i = 0; i < 3; i++) await cluster.start();
    const first = await cluster.waitForLeader(90_000);
    // Exactly one process evaluates; the others stand by and say so in /metrics.
    await waitFor(async () => {
      const g = await cluster!.leaderGauges();
      return g.filter((x) => x.leader === 1).length === 1 && g.filter((x) => x.leader === 0).length === 2;
    }, 60_000);
    expect((await cluster.leaderGauges()).find((g) => g.leader === 1)?.pid).toBe(first.proc.pid);

    // The burst, paced so that it is still being produced while the leader is killed (three times, in its first,
    // second and third quarter), and a replacement process is started after each kill.
    const msgs = messagesOf(burst.items);
    const chunk = 50;
    const chunks = Math.ceil(msgs.length / chunk);
    const killAt = new Set([Math.floor(chunks * 0.2), Math.floor(chunks * 0.45), Math.floor(chunks * 0.7)]);
    let sent = 0;
    const sendNext = async () => {
      if (sent >= chunks) return;
      await cluster!.bus.send(TOPICS.scored, msgs.slice(sent * chunk, (sent + 1) * chunk));
      sent++;
    };
    const takeovers: Takeover[] = [];
    while (sent < chunks) {
      if (killAt.has(sent)) {
        killAt.delete(sent);
        // Keep producing while the standby takes over: the pace only pauses for the poll itself.
        let lastSend = Date.now();
        const t = await cluster.killLeader(60_000, async () => {
          if (Date.now() - lastSend >= 300) {
            lastSend = Date.now();
            await sendNext();
          }
        });
        takeovers.push(t);
        await cluster.start();
      } else {
        await sendNext();
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    await cluster.bus.send(
      TOPICS.scored,
      burst.markers.map((mk, p) => ({ key: mk.item.id, value: JSON.stringify(mk), partition: p })),
    );
    console.log(`alerter failover: ${burst.items.length} items, takeovers ${JSON.stringify(takeovers)}`);

    // Three takeovers, each by another process with a newer epoch, generously within 30 s (the real figure is logged).
    expect(takeovers).toHaveLength(3);
    for (const t of takeovers) {
      expect(t.newPid).not.toBe(t.killedPid);
      expect(t.toEpoch).toBeGreaterThan(t.fromEpoch);
      expect(t.leaseMs).toBeLessThan(30_000);
      expect(t.resumeMs).not.toBeNull();
      expect(t.resumeMs!).toBeLessThan(30_000);
    }

    // Everything counted once (the markers come last on every partition).
    const markerIds = burst.markers.map((mk) => mk.item.id);
    const all = await waitFor(async () => (await counted(cluster!.db, markerIds)) === markerIds.length, 180_000);
    if (!all) console.error(cluster.outputs());
    expect(all).toBe(true);
    expect(await counted(cluster.db)).toBe(burst.contributions + burst.markers.length);

    // Zero alerts lost or doubled: the same alerts (ids, fire and resolve times) and lifecycle events as the
    // undisturbed reference, one `alert.fired` per alert.
    const live = await waitFor(async () => {
      const a = await alertRecords(cluster!.db);
      return a.length === reference.alerts.length && a.every((x) => x.state === "resolved") ? a : null;
    }, 60_000);
    expect(live ?? (await alertRecords(cluster.db))).toEqual(reference.alerts);
    const events = await eventRecords(cluster.db);
    expect(events).toEqual(reference.events);
    expect(events.filter((e) => e.type === "alert.fired")).toHaveLength(reference.alerts.length);

    // The alerts topic carries every event (at least once; consumers dedupe on event_id).
    await waitFor(
      async () => (await cluster!.db.exec("select count(*)::int as n from alert_events where not published")).rows[0]!.n === 0,
      60_000,
    );
    const topic = await readEventIds(`${cluster.ns}${TOPICS.alerts}`, events.length);
    expect([...topic.ids].sort()).toEqual(events.map((e) => e.id));
    console.log(
      `alerter failover: ${live?.length} alerts, ${events.length} events, ${topic.messages} messages on the alerts topic (${topic.messages - topic.ids.size} re-sent)`,
    );

    // One leader at the end, visible in /metrics.
    await waitFor(async () => (await cluster!.leaderGauges()).filter((g) => g.leader === 1).length === 1, 30_000);
    const gauges = await cluster.leaderGauges();
    expect(gauges.filter((g) => g.leader === 1)).toHaveLength(1);
    expect(gauges).toHaveLength(3);
  }, 600_000);
});
