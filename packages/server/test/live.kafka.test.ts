import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io as connect, type Socket } from "socket.io-client";
import { createLogger } from "@finsentry/core";
import { KafkaBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { TrainingProgressPublisher } from "@finsentry/learning";
import { TOPICS, type AlertEvent, type TrainingProgress } from "@finsentry/schemas";
import { buildServer, createApiKey, startLiveGateway, type BuiltServer } from "../src/index.ts";

const log = createLogger("test", "silent");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BROKERS = process.env.KAFKA_BROKERS?.split(",").filter(Boolean) ?? [];
if (BROKERS.length === 0) console.warn("skipped: live events on real Kafka need KAFKA_BROKERS (.ci/run starts a broker)");

/** One API process: its own bus connection, database handle, HTTP + socket.io server and live gateway. */
interface Api {
  bus: KafkaBus;
  db: DbHandle;
  server: BuiltServer;
  live: { stop(): Promise<void> };
  url: string;
  key: string;
}

describe.skipIf(BROKERS.length === 0)("live events (training progress, alerts) on real Kafka reach every API process", () => {
  const namespace = `t-progress-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}.`;
  const apis: Api[] = [];
  let trainerBus: KafkaBus;

  beforeAll(async () => {
    trainerBus = new KafkaBus({ brokers: BROKERS, namespace, log });
    await trainerBus.ensureTopics([
      { name: TOPICS.trainingProgress, partitions: 3 },
      { name: TOPICS.alerts, partitions: 3 },
      { name: TOPICS.scored, partitions: 3 },
    ]);
    for (let i = 0; i < 2; i++) {
      const bus = new KafkaBus({ brokers: BROKERS, namespace, log });
      const db = await openDb("memory://");
      const server = await buildServer({ db, log, plugins: [] });
      const live = await startLiveGateway({ io: server.io, bus, db, log });
      const url = await server.listen(0, "127.0.0.1");
      const key = (await createApiKey(db.db, { name: "viewer", role: "viewer", createdBy: "test" })).key;
      apis.push({ bus, db, server, live, url, key });
    }
  });
  afterAll(async () => {
    for (const a of apis) {
      await a.live.stop();
      await a.server.close();
      await a.bus.close();
      await a.db.close();
    }
    await trainerBus?.close();
  });

  it("two API servers (two gateways, each with its own consumer groups) both relay one run's progress in order", async () => {
    const clients = await Promise.all(
      apis.map(async (a) => {
        const s: Socket = connect(a.url, {
          path: "/socket.io",
          transports: ["websocket"],
          auth: { token: a.key },
          reconnection: false,
          forceNew: true,
        });
        const got: TrainingProgress[] = [];
        s.on("training", (e: TrainingProgress) => got.push(e));
        await new Promise<void>((r) => s.once("connect", () => r()));
        expect(await s.emitWithAck("subscribe", { rooms: ["training"] })).toMatchObject({ ok: true });
        return { s, got };
      }),
    );
    const pub = new TrainingProgressPublisher({ bus: trainerBus, log, minIntervalMs: 0 });
    const runId = `run-${randomBytes(4).toString("hex")}`;
    pub.started(runId);
    // The gateways join their groups at the log end: report steps until both have relayed a good run of them.
    const total = 400;
    let step = 0;
    const enough = () => clients.every((c) => c.got.filter((e) => e.type === "run.progress").length >= 8);
    const deadline = Date.now() + 90_000;
    while (step < total && Date.now() < deadline && !enough()) {
      step++;
      pub.progress(runId, {
        phase: "joint",
        epoch: 1 + Math.floor(step / 100),
        epochs: 4,
        step,
        totalSteps: total,
        losses: { total: 3 / step, sentiment: 1 / step },
        examplesPerSec: 120,
        etaSec: total - step,
        lr: 1e-4,
      });
      await sleep(150);
    }
    pub.finished(runId, "promoted", { modelId: "model-ft-kafka" });
    await pub.flush();
    for (let i = 0; i < 300 && !clients.every((c) => c.got.some((e) => e.type === "run.finished")); i++) await sleep(100);

    for (const [i, c] of clients.entries()) {
      const progress = c.got.filter((e) => e.type === "run.progress");
      console.log(
        `API ${i + 1}: ${c.got.length} training events, steps ${progress[0]?.step}…${progress.at(-1)?.step}, then ${c.got.at(-1)?.type}`,
      );
      expect(progress.length, `API ${i + 1} relayed progress`).toBeGreaterThanOrEqual(8);
      for (let k = 1; k < progress.length; k++) expect(progress[k]!.step).toBeGreaterThan(progress[k - 1]!.step);
      expect(c.got.every((e) => e.run_id === runId)).toBe(true);
      expect(c.got.at(-1)).toMatchObject({ type: "run.finished", status: "promoted", model_id: "model-ft-kafka", step, total_steps: step });
      c.s.close();
    }
    // The same messages reached both: the last steps relayed coincide.
    expect(clients[0]!.got.at(-2)!.step).toBe(clients[1]!.got.at(-2)!.step);
  }, 180_000);

  it("two API servers both push every alert event to their alert rooms, each exactly once", async () => {
    const clients = await Promise.all(
      apis.map(async (a) => {
        const s: Socket = connect(a.url, {
          path: "/socket.io",
          transports: ["websocket"],
          auth: { token: a.key },
          reconnection: false,
          forceNew: true,
        });
        const got: AlertEvent[] = [];
        s.on("alert", (e: AlertEvent) => got.push(e));
        await new Promise<void>((r) => s.once("connect", () => r()));
        expect(await s.emitWithAck("subscribe", { rooms: ["alerts"] })).toMatchObject({ ok: true });
        return { s, got };
      }),
    );
    const event = (n: number, tag: string): AlertEvent => {
      const at = new Date().toISOString();
      return {
        v: 1,
        event_id: `${tag}-${n}:1`,
        type: "alert.fired",
        at,
        alert: {
          id: `${tag}-${n}`,
          rule_id: "r",
          rule_name: "Rule",
          rule_type: "sentiment_level",
          entity_key: `TICKER:K${n}`,
          severity: "warning",
          state: "firing",
          title: `K${n} turned bearish`,
          summary: "test",
          fired_at: at,
          updated_at: at,
          resolved_at: null,
          figures: { mean: -0.5 },
          evidence_item_ids: [],
        },
      };
    };
    const send = (e: AlertEvent) => trainerBus.send(TOPICS.alerts, [{ key: e.alert.entity_key, value: JSON.stringify(e) }]);
    // The gateways' groups start at the log end: warm up until both relay, then count a known batch.
    const deadline = Date.now() + 90_000;
    for (let n = 0; Date.now() < deadline && !clients.every((c) => c.got.some((e) => e.event_id.startsWith("warm-"))); n++) {
      await send(event(n, "warm"));
      await sleep(300);
    }
    const batch = Array.from({ length: 6 }, (_, n) => event(n, `burst-${randomBytes(2).toString("hex")}`));
    for (const e of batch) await send(e);
    const ids = batch.map((e) => e.event_id).sort();
    const burstOf = (c: { got: AlertEvent[] }) =>
      c.got
        .filter((e) => ids.includes(e.event_id))
        .map((e) => e.event_id)
        .sort();
    for (let i = 0; i < 300 && !clients.every((c) => burstOf(c).length >= ids.length); i++) await sleep(100);
    for (const [i, c] of clients.entries()) {
      console.log(`API ${i + 1}: relayed ${burstOf(c).length}/${ids.length} alert events of the batch (keys over 3 partitions)`);
      expect(burstOf(c), `API ${i + 1}`).toEqual(ids);
      c.s.close();
    }
  }, 180_000);
});
