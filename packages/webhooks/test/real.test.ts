import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KafkaBus, MemoryBus } from "@finsentry/bus";
import { openDb, webhookNotices, webhookSubscriptions, type DbHandle } from "@finsentry/db";
import { enqueueEvents } from "../src/store.ts";
import { fromAlertEvent } from "../src/events.ts";
import { verifyWebhook } from "../src/verify-snippet.mjs";
import { alertEvent, freshPgDatabase, quietLog, Receiver, waitUntil } from "./helpers.ts";
import { api, createWebhook, deadLetterThenReplay, deliveriesOf, notifier, retryThenDeliver, type Env } from "./scenarios.ts";

// The same flows against real services; each part skips (saying why) when its service is not configured.
const DATABASE_URL = process.env.DATABASE_URL;
const KAFKA_BROKERS = process.env.KAFKA_BROKERS;
const pgUrl = DATABASE_URL && /^postgres(ql)?:\/\//.test(DATABASE_URL) ? DATABASE_URL : undefined;
if (!pgUrl) console.warn("webhooks real.test: skipping Postgres tests: DATABASE_URL is not a postgres:// URL");
if (!pgUrl || !KAFKA_BROKERS) console.warn("webhooks real.test: skipping Kafka + Postgres flow: needs DATABASE_URL and KAFKA_BROKERS");

let db: DbHandle;
let dropDb: (() => Promise<void>) | undefined;
let url: string;
let n = 0;

describe.skipIf(!pgUrl)("on real Postgres", () => {
  beforeAll(async () => {
    const fresh = await freshPgDatabase(pgUrl!);
    url = fresh.url;
    dropDb = fresh.drop;
    db = await openDb(url);
  });
  afterAll(async () => {
    await db?.close();
    await dropDb?.();
  });
  beforeEach(async () => {
    await db.db.delete(webhookNotices);
    await db.db.delete(webhookSubscriptions);
  });
  const memEnv = (): Env => ({ db, bus: new MemoryBus(2), groupId: `pg-${++n}` });

  it("retries and delivers on the 4th attempt (MemoryBus + Postgres)", async () => {
    await retryThenDeliver(memEnv());
  });

  it("dead-letters and replays (MemoryBus + Postgres)", async () => {
    await deadLetterThenReplay(memEnv());
  });

  it("two notifiers share the outbox without delivering anything twice (SKIP LOCKED)", async () => {
    const receiver = await new Receiver([], { status: 200, delayMs: 10 }).listen();
    const env = memEnv();
    const app = await api(env);
    const a = await notifier(env, { consume: false, concurrency: 4 });
    const b = await notifier(env, { consume: false, concurrency: 4 });
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      const events = Array.from({ length: 40 }, () => fromAlertEvent(alertEvent())!);
      expect(await enqueueEvents(db.db, events, new Date())).toBe(40);
      await waitUntil(async () => (await deliveriesOf(app, hook.id)).every((d) => d.status === "succeeded"), "all 40 delivered");
      const ids = receiver.requests.map((r) => r.headers["webhook-id"]);
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
      expect((await deliveriesOf(app, hook.id)).every((d) => d.attempt_count === 1)).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
      await app.close();
      await receiver.close();
    }
  });

  it("a notifier SIGKILLed mid-delivery loses nothing: another one delivers after the lease", async () => {
    const receiver = await new Receiver(["hang"], { status: 200 }).listen();
    const env = memEnv();
    const app = await api(env);
    let child: ChildProcess | undefined;
    try {
      const hook = await createWebhook(app, { url: receiver.url() });
      const ev = alertEvent();
      await enqueueEvents(db.db, [fromAlertEvent(ev)!], new Date());
      const script = fileURLToPath(new URL("./fixtures/child-notifier.ts", import.meta.url));
      child = spawn(process.execPath, ["--import", "tsx", script], {
        env: { ...process.env, DATABASE_URL: url },
        stdio: ["ignore", "pipe", "inherit"],
      });
      const first = (await receiver.waitFor(1))[0]!;
      child.kill("SIGKILL");
      await new Promise((r) => child!.once("exit", r));
      const [claimed] = await deliveriesOf(app, hook.id);
      expect(claimed).toMatchObject({ status: "delivering", attempt_count: 0 });

      const nt = await notifier(env, { consume: false });
      try {
        const reqs = await receiver.waitFor(2);
        const [done] = await waitUntil(async () => {
          const ds = await deliveriesOf(app, hook.id);
          return ds[0]?.status === "succeeded" ? ds : null;
        }, "redelivery after the lease");
        expect(reqs[1]!.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
        expect(reqs[1]!.headers["webhook-id"]).toBe(done!.id);
        expect(verifyWebhook(hook.secret, reqs[1]!.headers, reqs[1]!.body)).toMatchObject({ data: { event_id: ev.event_id } });
        expect(done!.attempts.at(-1)).toMatchObject({ outcome: "success", status_code: 200 });
      } finally {
        await nt.stop();
      }
    } finally {
      child?.kill("SIGKILL");
      await app.close();
      await receiver.close();
    }
  });

  describe.skipIf(!KAFKA_BROKERS)("with Kafka", () => {
    it("consumes alerts from Kafka and delivers through retries (Kafka + Postgres)", async () => {
      const bus = new KafkaBus({ brokers: KAFKA_BROKERS!.split(","), clientId: "webhooks-test", log: quietLog });
      try {
        // A unique entity key keeps other producers' alerts on the shared topic out of this test's subscriptions.
        await retryThenDeliver({ db, bus, groupId: `webhooks-test-${Date.now()}` }, `TICKER:WH${Date.now()}`);
      } finally {
        await bus.close();
      }
    });
  });
});
