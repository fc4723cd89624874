import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { asc, count, eq, inArray } from "drizzle-orm";
import { KafkaBus, MemoryBus, type Bus, type Subscription } from "@finsentry/bus";
import { alertEvents, alertItems, alerts, lateItems, type DbHandle } from "@finsentry/db";
import { AlertEventV1, type AlertEvent, type ScoredItem } from "@finsentry/schemas";
import { startAlerter, type Alerter } from "../src/alerter.ts";
import { backtestRule } from "../src/backtest.ts";
import {
  H,
  MIN,
  SCENARIO_RULES_YAML,
  FIRING_RULES,
  acmeScenario,
  freshDb,
  log,
  scenarioRules,
  scoredItem,
  storeHistory,
  waitFor,
} from "./helpers.ts";

const PARTITIONS = 3;

interface Services {
  bus: Bus;
  db: DbHandle;
  inputTopic: string;
  alertsTopic: string;
  close(): Promise<void>;
}

async function memoryServices(dbKind: "pglite" | "pg"): Promise<Services> {
  const bus = new MemoryBus(PARTITIONS);
  const db = await freshDb(dbKind);
  return { bus, db: db.handle, inputTopic: "items.scored", alertsTopic: "alerts", close: async () => (await bus.close(), await db.drop()) };
}

async function kafkaServices(): Promise<Services> {
  const bus = new KafkaBus({ brokers: process.env.KAFKA_BROKERS!.split(","), clientId: "alerts-test", log });
  const db = await freshDb("pg");
  // Private topics: other suites share the broker and their items must not move our watermark.
  const tag = randomBytes(4).toString("hex");
  const inputTopic = `t.${tag}.items.scored`;
  const alertsTopic = `t.${tag}.alerts`;
  await bus.ensureTopics([
    { name: inputTopic, partitions: PARTITIONS },
    { name: alertsTopic, partitions: PARTITIONS },
  ]);
  return { bus, db: db.handle, inputTopic, alertsTopic, close: async () => (await bus.close(), await db.drop()) };
}

/** The same database, except every `nth` batch transaction (one that counts items) fails after its writes, rolling them back. */
function flaky(handle: DbHandle, nth: number): { handle: DbHandle; failures: () => number } {
  let calls = 0;
  let failures = 0;
  const db = new Proxy(handle.db, {
    get(target, prop) {
      if (prop === "transaction") {
        return (fn: (tx: unknown) => Promise<unknown>) =>
          target.transaction(async (tx) => {
            let countsItems = false;
            const spy = new Proxy(tx, {
              get(t, p) {
                const v = Reflect.get(t, p);
                if (p !== "insert") return typeof v === "function" ? v.bind(t) : v;
                return (table: unknown) => {
                  if (table === alertItems) countsItems = true;
                  return t.insert(table as typeof alertItems);
                };
              },
            });
            const r = await fn(spy);
            if (countsItems && ++calls % nth === 0) {
              failures++;
              throw new Error("injected failure after writes");
            }
            return r;
          });
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { handle: { ...handle, db }, failures: () => failures };
}

function alerterSuite(name: string, make: () => Promise<Services>, opts: { injectFailures?: boolean } = {}) {
  describe(name, () => {
    const sc = acmeScenario();
    let rulesFile: string;
    let expected: { id: string; rule: string; fired: string; resolved: string | null; evidence: string[] }[];

    beforeAll(async () => {
      rulesFile = join(await mkdtemp(join(tmpdir(), "alerts-")), "rules.yaml");
      await writeFile(rulesFile, SCENARIO_RULES_YAML);
      // Reference: what each rule would fire over the same history, replayed by the backtest.
      const ref = await freshDb("pglite");
      await storeHistory(ref.handle.db, sc.items);
      expected = [];
      for (const rule of scenarioRules()) {
        const r = await backtestRule(ref.handle.db, rule, {
          from: new Date(sc.items[0]!.item.published_at),
          to: new Date(sc.end),
          warmup: "0s",
        });
        for (const a of r.alerts)
          expected.push({ id: a.alert_id, rule: rule.id, fired: a.fired_at, resolved: a.resolved_at, evidence: a.evidence_item_ids });
      }
      await ref.drop();
      expected.sort((a, b) => a.id.localeCompare(b.id));
    });

    const start = (s: Services, group: string, db: DbHandle = s.db, maxBatchSize = 500): Promise<Alerter> =>
      startAlerter({
        bus: s.bus,
        db,
        log,
        groupId: group,
        rulesFile,
        now: () => new Date(sc.end + H),
        options: {
          inputTopic: s.inputTopic,
          alertsTopic: s.alertsTopic,
          expectedPartitions: PARTITIONS,
          idlePartitionMs: 0,
          rulesPollMs: 0,
          tickMs: 0,
          latenessMs: 2 * MIN,
          maxBatchSize,
        },
      });

    let sentinel = 0;
    /** Sends items, then a marker per partition; once all markers are counted, everything before them was handled. */
    async function sendAndDrain(s: Services, items: ScoredItem[], extra: { value: string; partition: number }[] = []) {
      for (let i = 0; i < items.length; i += 40) {
        await s.bus.send(
          s.inputTopic,
          items.slice(i, i + 40).map((it) => ({ key: it.item.id, value: JSON.stringify(it) })),
        );
      }
      if (extra.length) await s.bus.send(s.inputTopic, extra);
      const t = Math.max(...items.map((it) => Date.parse(it.item.published_at)));
      const markers = Array.from({ length: PARTITIONS }, () =>
        scoredItem({ key: `sentinel-${sentinel++}`, t, score: 0, entities: ["TICKER:ZZSENTINEL"] }),
      );
      await s.bus.send(
        s.inputTopic,
        markers.map((mk, p) => ({ partition: p, key: mk.item.id, value: JSON.stringify(mk) })),
      );
      const ids = markers.map((mk) => mk.item.id);
      await waitFor("markers to be counted", async () => {
        const [r] = await s.db.db.select({ n: count() }).from(alertItems).where(inArray(alertItems.itemId, ids));
        return r!.n === ids.length;
      });
    }

    async function liveAlerts(s: Services) {
      const rows = await s.db.db.select().from(alerts).orderBy(asc(alerts.id));
      return rows.map((a) => ({
        id: a.id,
        rule: a.ruleId,
        fired: a.firedAt.toISOString(),
        resolved: a.resolvedAt?.toISOString() ?? null,
        evidence: a.evidenceItemIds,
      }));
    }

    function collect(s: Services): Promise<{ events: AlertEvent[]; sub: Subscription }> {
      const events: AlertEvent[] = [];
      return s.bus
        .subscribe({
          groupId: `collector-${randomBytes(4).toString("hex")}`,
          topics: [s.alertsTopic],
          fromBeginning: true,
          eachBatch: async (b) => {
            for (const msg of b.messages) events.push(AlertEventV1.parse(JSON.parse(msg.value.toString())));
          },
        })
        .then((sub) => ({ events, sub }));
    }

    it("fires one alert per matching rule on a bearish burst, resolves after it, publishes every transition", async () => {
      const s = await make();
      const alerter = await start(s, "alerter-a");
      const { events, sub } = await collect(s);
      try {
        await sendAndDrain(s, sc.items);
        const got = await liveAlerts(s);
        expect(got.map((a) => a.rule).sort()).toEqual(FIRING_RULES);
        expect(got).toEqual(expected);
        for (const a of got) {
          expect(a.resolved).not.toBeNull();
          expect(a.evidence.length).toBeGreaterThan(0);
          expect(a.evidence.every((id) => sc.burstIds.has(id))).toBe(true);
        }
        const rows = await s.db.db.select().from(alertEvents).orderBy(asc(alertEvents.alertId), asc(alertEvents.seq));
        for (const a of got) {
          const types = rows.filter((e) => e.alertId === a.id).map((e) => e.type);
          expect(types[0]).toBe("alert.fired");
          expect(types.at(-1)).toBe("alert.resolved");
          expect(types.filter((t) => t === "alert.fired" || t === "alert.resolved")).toHaveLength(2);
        }
        await waitFor("events on the alerts topic", () => events.length >= rows.length);
        expect(new Set(events.map((e) => e.event_id))).toEqual(new Set(rows.map((e) => e.id)));
        expect(events.filter((e) => e.type === "alert.fired").every((e) => e.alert.state === "firing")).toBe(true);
        const [late] = await s.db.db.select({ n: count() }).from(lateItems);
        expect(late!.n).toBe(0);
      } finally {
        await sub.stop();
        await alerter.stop();
        await s.close();
      }
    });

    it("a restart mid-burst, with redelivered items, neither loses nor duplicates alerts", async () => {
      const s = await make();
      const { events, sub } = await collect(s);
      const cut = sc.items.findIndex((it) => Date.parse(it.item.published_at) >= sc.burstStart + 20 * MIN);
      let alerter = await start(s, "alerter-r");
      try {
        await sendAndDrain(s, sc.items.slice(0, cut));
        const open = (await liveAlerts(s)).filter((a) => a.resolved === null);
        expect(open.length).toBeGreaterThan(0); // the restart happens while alerts are firing
        await alerter.stop();
        alerter = await start(s, "alerter-r");
        // At-least-once: the tail of the first half is delivered again, plus a message that is not a scored item.
        const again = sc.items.slice(cut - 30, cut);
        await sendAndDrain(
          s,
          [...again, ...sc.items.slice(cut)],
          [
            { value: "{not json", partition: 0 },
            { value: JSON.stringify({ v: 1, item: { id: "x" } }), partition: 1 },
          ],
        );
        expect(await liveAlerts(s)).toEqual(expected);
        const [n] = await s.db.db.select({ n: count() }).from(alertItems).where(eq(alertItems.entityKey, "TICKER:ACME"));
        expect(n!.n).toBe(sc.items.filter((it) => it.mentions[0]!.key === "TICKER:ACME").length);
        const rows = await s.db.db.select().from(alertEvents);
        await waitFor("events on the alerts topic", () => new Set(events.map((e) => e.event_id)).size >= rows.length);
        expect(rows.filter((e) => e.type === "alert.fired")).toHaveLength(expected.length);
      } finally {
        await sub.stop();
        await alerter.stop();
        await s.close();
      }
    });

    // Failure injection wraps the MemoryBus suites' database; the Kafka suite does not register this case at all.
    if (opts.injectFailures)
      it("a batch whose database write fails is redelivered without double counting", async () => {
        const s = await make();
        const bad = flaky(s.db, 2);
        const alerter = await start(s, "alerter-f", bad.handle, 25);
        try {
          await sendAndDrain(s, sc.items);
          expect(bad.failures()).toBeGreaterThanOrEqual(5);
          expect(await liveAlerts(s)).toEqual(expected);
          const fired = await s.db.db.select().from(alertEvents).where(eq(alertEvents.type, "alert.fired"));
          expect(fired).toHaveLength(expected.length);
        } finally {
          await alerter.stop();
          await s.close();
        }
      });

    it("records items later than the allowed lateness instead of dropping them", async () => {
      const s = await make();
      const alerter = await start(s, "alerter-l");
      try {
        const first = sc.items.slice(0, 100);
        await sendAndDrain(s, first);
        const straggler = scoredItem({ key: "straggler", t: Date.parse(first[10]!.item.published_at), score: -0.5 });
        await sendAndDrain(s, [straggler]);
        // (The per-partition markers carry the same old timestamp, so they are late too.)
        const late = (await s.db.db.select().from(lateItems)).filter((l) => !l.entityKeys.includes("TICKER:ZZSENTINEL"));
        expect(late.map((l) => [l.itemId, l.reason, l.entityKeys])).toEqual([[straggler.item.id, "late", ["TICKER:ACME"]]]);
        expect(late[0]!.latenessMs).toBeGreaterThan(2 * MIN);
        const [counted] = await s.db.db.select({ n: count() }).from(alertItems).where(eq(alertItems.itemId, straggler.item.id));
        expect(counted!.n).toBe(1);
      } finally {
        await alerter.stop();
        await s.close();
      }
    });
  });
}

alerterSuite("alerter on MemoryBus + PGlite", () => memoryServices("pglite"), { injectFailures: true });

if (!process.env.DATABASE_URL) console.warn("alerter: skipping MemoryBus + Postgres suite (DATABASE_URL not set)");
describe.skipIf(!process.env.DATABASE_URL)("with Postgres", () => {
  alerterSuite("alerter on MemoryBus + Postgres", () => memoryServices("pg"), { injectFailures: true });
});

if (!process.env.KAFKA_BROKERS || !process.env.DATABASE_URL)
  console.warn("alerter: skipping Kafka + Postgres suite (KAFKA_BROKERS and DATABASE_URL required)");
describe.skipIf(!process.env.KAFKA_BROKERS || !process.env.DATABASE_URL)("with Kafka", () => {
  alerterSuite("alerter on Kafka + Postgres", kafkaServices);
});
