/**
 * Alert engine throughput: rule evaluations/s and items/s of the in-memory engine on a synthetic stream, and
 * optionally (--engine) of the durable engine (PGlite, or Postgres with DATABASE_URL) fed batch by batch.
 *
 *   tsx packages/alerts/src/bench.ts [--entities 500] [--hours 24] [--per-hour 20] [--engine]
 */
import { parseArgs } from "node:util";
import { createHash } from "node:crypto";
import { MemoryBus } from "@finsentry/bus";
import { createLogger } from "@finsentry/core";
import { openDb } from "@finsentry/db";
import { TOPIC_LABELS, type ScoredItem } from "@finsentry/schemas";
import { AlertCore } from "./engine/core.ts";
import { AlertEngine } from "./engine/live.ts";
import { compileRule } from "./rules/compile.ts";
import { loadRulesFile } from "./rules/file.ts";
import { seedRules } from "./rules/store.ts";
import { contributionsOf } from "./window/contribution.ts";

const { values: args } = parseArgs({
  options: {
    entities: { type: "string", default: "500" },
    hours: { type: "string", default: "24" },
    "per-hour": { type: "string", default: "20" },
    engine: { type: "boolean", default: false },
    "batch-size": { type: "string", default: "500" },
  },
});
const entities = Number(args.entities);
const hours = Number(args.hours);
const perHour = Number(args["per-hour"]);

/** A day of chatter over many entities (tickers the default watch rules cover among them), in event-time order. */
function stream(): ScoredItem[] {
  let seed = 7;
  const r = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const start = Date.parse("2025-03-03T00:00:00Z");
  const names = ["AAPL", "MSFT", "TSLA", ...Array.from({ length: Math.max(0, entities - 3) }, (_, i) => `T${i}`)].slice(0, entities);
  const total = Math.round(entities * perHour * hours);
  const out: ScoredItem[] = [];
  for (let i = 0; i < total; i++) {
    const t = start + Math.floor((i / total) * hours * 3_600_000);
    const score = r() * 2 - 1;
    const iso = new Date(t).toISOString();
    const topic = TOPIC_LABELS[Math.floor(r() * TOPIC_LABELS.length)]!;
    const name = names[Math.floor(r() * names.length)]!;
    out.push({
      v: 1,
      item: {
        v: 1,
        id: createHash("md5").update(String(i)).digest("hex"),
        external_id: null,
        source: "bench",
        stream: "news",
        published_at: iso,
        ingested_at: iso,
        text: "x",
        url: null,
        author: null,
        lang: "en",
      },
      model_version: "bench",
      scored_at: iso,
      output: {
        sentiment: {
          label: score < -0.3 ? "bearish" : score > 0.3 ? "bullish" : "neutral",
          score,
          confidence: 0.5 + r() * 0.5,
          probs: { bearish: 0.3, neutral: 0.4, bullish: 0.3 },
        },
        topic: { label: topic, index: TOPIC_LABELS.indexOf(topic), confidence: r() },
        entities: [],
      },
      mentions: [{ key: `TICKER:${name}`, type: "TICKER", text: name, start: 0, end: name.length }],
    });
  }
  return out;
}

const items = stream();
const rules = (await loadRulesFile()).map((r) => compileRule(r));

{
  const core = new AlertCore({ latenessMs: 120_000 });
  core.setRules(rules);
  const t0 = performance.now();
  let transitions = 0;
  for (let i = 0; i < items.length; i += 500) {
    for (const s of items.slice(i, i + 500)) {
      core.observe("p0", Date.parse(s.item.published_at));
      core.ingest(contributionsOf(s));
    }
    transitions += core.advance().length;
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      bench: "alerts.core",
      entities,
      rules: rules.length,
      items: items.length,
      evaluations: core.evaluations,
      transitions,
      seconds: +secs.toFixed(3),
      evaluations_per_s: Math.round(core.evaluations / secs),
      items_per_s: Math.round(items.length / secs),
    }),
  );
}

if (args.engine) {
  const handle = await openDb(process.env.DATABASE_URL);
  const log = createLogger("bench", "warn");
  await seedRules(handle.db, await loadRulesFile());
  const bus = new MemoryBus(1);
  const engine = await AlertEngine.open({ db: handle.db, bus, log, options: { expectedPartitions: 1, idlePartitionMs: 0 } });
  const size = Number(args["batch-size"]);
  const t0 = performance.now();
  for (let i = 0; i < items.length; i += size) {
    await engine.handleBatch({
      topic: "items.scored",
      partition: 0,
      messages: items.slice(i, i + size).map((s, j) => ({
        topic: "items.scored",
        partition: 0,
        offset: String(i + j),
        key: s.item.id,
        value: Buffer.from(JSON.stringify(s)),
        headers: {},
        timestamp: "0",
      })),
    });
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(
    JSON.stringify({
      bench: "alerts.engine",
      db: handle.kind,
      items: items.length,
      batch: size,
      seconds: +secs.toFixed(3),
      items_per_s: Math.round(items.length / secs),
      status: engine.status(),
    }),
  );
  await bus.close();
  await handle.close();
}
