import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { KafkaBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { seedRegistry } from "@finsentry/entities";
import { IngestWriter, StreamRegistry, StreamSupervisor } from "@finsentry/pipeline";
import { TOPICS } from "@finsentry/schemas";
import { createTestDatabase, KAFKA_BROKERS, skipReason, uniqueName, waitFor } from "./support/services.ts";
import { startService, stopProcess } from "./support/processes.ts";

const skip = skipReason(["kafka", "postgres"]);
if (skip) console.warn(`entity-resolution.kafka: ${skip}`);
const log = createLogger("test", "warn");
const MIN = 60_000;
const T0 = Date.parse("2025-05-05T09:00:00Z"); // event time far from the clock: only the items move the watermark

/** Bearish news about one company, written four ways in turn, every text distinct (identical texts are one item). */
const XYZ_FORMS = [
  (i: number) => `$XYZ shares plunge ${10 + i}% after profit warning`,
  (i: number) => `#XYZ tumbles as investors flee after a ${3 + i}% revenue miss`,
  (i: number) => `XYZ Corp recalls ${20 + i},000 vehicles over brake defect; stock sinks`,
  (i: number) => `Brokers downgrade XYZ to sell as recall costs mount (note ${i})`,
];
/** Two registered companies that share the word "Northwind": they must stay two entities. */
const NEIGHBOURS = [
  (i: number) => `Northwind Motors to present at industry conference on day ${i}`,
  (i: number) => `Northwind Bank schedules quarterly results call for week ${i}`,
];

const RULES = `
rules:
  - id: xyz-bearish
    name: Bearish on XYZ
    type: sentiment_level
    severity: warning
    scope: { tickers: [XYZ] }
    window: { type: sliding, size: 30m, step: 5m }
    op: below
    threshold: -0.3
    min_samples: 8
    for: 10m
    cooldown: 6h
    evidence_limit: 50
`;

describe.skipIf(!!skip)("entity resolution on real Kafka + Postgres (scorer and alerter processes)", () => {
  let db: DbHandle;
  let drop: () => Promise<void>;
  let bus: KafkaBus;
  let supervisor: StreamSupervisor;
  const procs: ReturnType<typeof startService>[] = [];

  beforeAll(async () => {
    const tdb = await createTestDatabase();
    drop = tdb.drop;
    db = await openDb(tdb.url);
    await seedRegistry(
      db.db,
      [
        { id: "xyz", kind: "instrument", name: "XYZ Corp", ticker: "XYZ", exchange: "NYSE", aliases: ["XYZ Corporation"] },
        { id: "nwm", kind: "instrument", name: "Northwind Motors", ticker: "NWM", aliases: [] },
        { id: "nwb", kind: "instrument", name: "Northwind Bank", ticker: "NWB", aliases: [] },
      ],
      "test",
    );
    const ns = `${uniqueName("er")}.`;
    bus = new KafkaBus({ brokers: KAFKA_BROKERS!, namespace: ns, log });
    await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 3 })));
    supervisor = new StreamSupervisor({ bus, log, writer: new IngestWriter(bus), registry: new StreamRegistry(db.db) });
    await supervisor.start();
    const dir = await mkdtemp(join(tmpdir(), "er-rules-"));
    await writeFile(join(dir, "rules.yaml"), RULES);
    const env = { KAFKA_BROKERS: KAFKA_BROKERS!.join(","), DATABASE_URL: tdb.url, KAFKA_NAMESPACE: ns, ENTITY_REFRESH_MS: "500" };
    procs.push(startService("scorer", env), startService("alerter", { ...env, ALERT_RULES_FILE: join(dir, "rules.yaml") }));

    // 48 bearish XYZ items a minute apart with the neighbours in between, then calm chatter two hours on, which
    // moves the watermark past every window of the burst.
    const msgs: string[] = [];
    const at = (t: number) => new Date(t).toISOString();
    for (let i = 0; i < 48; i++) {
      msgs.push(
        JSON.stringify({ source: "wire", published_at: at(T0 + i * MIN), text: XYZ_FORMS[i % 4]!(i), url: `https://n.example/x${i}` }),
      );
      msgs.push(
        JSON.stringify({
          source: "wire",
          published_at: at(T0 + i * MIN + 30_000),
          text: NEIGHBOURS[i % 2]!(i),
          url: `https://n.example/n${i}`,
        }),
      );
    }
    for (let i = 0; i < 6; i++) {
      msgs.push(
        JSON.stringify({
          source: "wire",
          published_at: at(T0 + 180 * MIN + i * MIN),
          text: NEIGHBOURS[i % 2]!(100 + i),
          url: `https://n.example/late${i}`,
        }),
      );
    }
    await bus.send(
      TOPICS.news,
      msgs.map((value, k) => ({ value, partition: k % 3 })),
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    await supervisor?.stop();
    await bus?.close();
    await db?.close();
    await drop?.();
  });

  const rows = async (sql: string) => (await db.exec(sql)).rows as Record<string, unknown>[];

  it("keys $XYZ, #XYZ, XYZ Corp and XYZ as one entity, and two Northwind companies as two", async () => {
    const scored = await waitFor(async () => ((await rows("select count(*)::int as n from scores"))[0]!.n as number) >= 102, 240_000, 500);
    const counts = await rows("select (select count(*)::int from items) as items, (select count(*)::int from scores) as scores");
    expect(scored, `${JSON.stringify(counts)}\n${procs.map((p) => p.output()).join("\n")}`).toBe(true);
    const forms = await rows(`select entity_key, array_agg(distinct text order by text) as forms from entity_mentions
      where entity_key like 'E:%' group by entity_key order by entity_key`);
    const byKey = Object.fromEntries(forms.map((r) => [r.entity_key as string, r.forms as string[]]));
    expect(Object.keys(byKey).sort()).toEqual(["E:nwb", "E:nwm", "E:xyz"]);
    expect(byKey["E:xyz"]).toEqual(expect.arrayContaining(["$XYZ", "#XYZ", "XYZ Corp", "XYZ"]));
    expect(byKey["E:nwm"]).toEqual(["Northwind Motors"]);
    expect(byKey["E:nwb"]).toEqual(["Northwind Bank"]);
    // Every XYZ item's mentions of the company are under the one key: no surface key of it survives.
    const stray = await rows(`select entity_key, text from entity_mentions where text ilike '%xyz%' and entity_key not like 'E:%'`);
    expect(stray).toEqual([]);
  }, 300_000);

  it("fires one alert on the one entity, with evidence in all four forms", async () => {
    const fired = await waitFor(async () => (await rows("select count(*)::int as n from alerts"))[0]!.n as number, 120_000, 500);
    expect(fired, procs.map((p) => p.output()).join("\n")).toBeTruthy();
    await new Promise((r) => setTimeout(r, 3000)); // a second alert, on another key, would have shown by now
    const alertRows = await rows("select id, rule_id, entity_key, evidence_item_ids from alerts");
    expect(alertRows.map((a) => [a.rule_id, a.entity_key])).toEqual([["xyz-bearish", "E:xyz"]]);
    const evidence = alertRows[0]!.evidence_item_ids as string[];
    const quoted = evidence.map((id) => `'${id.replace(/'/g, "''")}'`).join(",");
    const evForms = await rows(`select distinct text from entity_mentions where entity_key = 'E:xyz' and item_id in (${quoted})`);
    expect(evForms.map((r) => r.text).sort()).toEqual(["#XYZ", "$XYZ", "XYZ", "XYZ Corp"]);
  }, 180_000);
});
