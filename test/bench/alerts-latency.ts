/**
 * Alert fire latency end to end: item published on `news` → ingest → scorer (bundled ONNX model) → alerter →
 * `alerts` → notifier → signed webhook received by a local HTTP endpoint, all in one process, at a fixed input rate.
 * MemoryBus + in-memory PGlite by default; real Kafka + Postgres when KAFKA_BROKERS and DATABASE_URL are both set
 * (a private topic namespace and a fresh database, dropped afterwards).
 *
 *   tsx test/bench/alerts-latency.ts [--rate 20] [--seconds 60] [--entities 20] [--burst 10] [--lateness-ms 1000]
 *
 * Input: `--rate` items/s for `--seconds`. Mostly market chatter that names no watched ticker, plus neutral/bullish
 * items about the watched tickers ($BAA, $BAB, …; about one per ticker every 10 s), and once per ticker a burst of
 * `--burst` consecutive bearish items, bursts staggered over the run. Every item's `published_at` is the wall time
 * it was published, so event time and wall time agree.
 *
 * The bench rule (created for the run; the default rules are not seeded): sentiment_level, sliding window 1m
 * (the schema's minimum size) stepping every 10s (its minimum step), weighted mean below -0.3, min_samples 5,
 * `for` 0s, cooldown 1h, scoped to the watched tickers; alerter lateness 1 s.
 *
 * Latency of one alert = wall time the webhook request was received − wall time the trigger item was published.
 * The trigger item is the burst item after which the condition first held over the entity's scored items: the first
 * item (at or after the burst's start) whose trailing window (t − 1m, t] holds ≥ min_samples items with a
 * confidence-weighted mean score below the threshold. It is computed from what the scorer actually published (a
 * side consumer on items.scored), so model misreads move the trigger rather than skew the figure. The engine judges
 * step-aligned windows [end − 1m, end) once the watermark (newest event time − lateness) passes `end`, so the
 * latency includes waiting for the window to close (0–10 s with a 10 s step), the lateness, and the pipeline; the
 * `after_window_close` figures subtract the window wait (receive time − window end).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { createRule, startAlerter } from "@finsentry/alerts";
import { KafkaBus, MemoryBus, type Bus } from "@finsentry/bus";
import { createLogger } from "@finsentry/core";
import { openDb } from "@finsentry/db";
import { IngestWriter, loadTextScorer, mulberry32, startScorer, StreamRegistry, StreamSupervisor } from "@finsentry/pipeline";
import { TOPICS, type ScoredItem } from "@finsentry/schemas";
import { startNotifier, webhookRoutes } from "@finsentry/webhooks";
import { verifyWebhook } from "../../packages/webhooks/src/verify-snippet.mjs";
import { createTestDatabase, haveKafka, havePostgres, KAFKA_BROKERS, uniqueName } from "../support/services.ts";

const { values: args } = parseArgs({
  options: {
    rate: { type: "string", default: "20" },
    seconds: { type: "string", default: "60" },
    entities: { type: "string", default: "20" },
    burst: { type: "string", default: "10" },
    "lateness-ms": { type: "string", default: "1000" },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const N = Number(args.entities);
const BURST = Number(args.burst);
const LATENESS_MS = Number(args["lateness-ms"]);
const WINDOW_MS = 60_000;
const STEP_MS = 10_000;
const THRESHOLD = -0.3;
const MIN_SAMPLES = 5;
/** After the input stops: how long to wait for the last alerts (window step + lateness + idle advance + margin). */
const DRAIN_MS = STEP_MS + LATENESS_MS + 15_000;
const RULE_ID = "bench-fire-latency";
const PARTITIONS = 3;

if (!(RATE > 0 && SECONDS >= 20 && N >= 1 && BURST >= 1 && LATENESS_MS >= 0)) {
  console.error("need --rate > 0, --seconds >= 20, --entities >= 1, --burst >= 1, --lateness-ms >= 0");
  process.exit(2);
}

// ---- input -------------------------------------------------------------------------------------------------------

/** Invented sentences; the bundled model tags "$XYZ shares …" openings reliably as tickers. */
const BEARISH = [
  "${T} shares plunge {p}% after a profit warning",
  "${T} shares tumble as earnings miss and outlook is cut",
  "${T} shares drop {p}% after dividend is suspended",
  "${T} shares sink on accounting probe",
  "${T} shares fall {p}% on weak orders",
  "${T} shares slump after quarterly loss",
];
const NEUTRAL = [
  "${T} trading flat in early deals",
  "${T} shares unchanged ahead of board meeting",
  "${T} shares steady ahead of investor day",
];
const BULLISH = [
  "${T} shares rise {p}% after guidance is lifted",
  "${T} shares gain {p}% on new supply contract",
  "${T} shares climb after results beat estimates",
];
const CHATTER = [
  "Treasury yields edge higher ahead of jobs data",
  "Index futures little changed before the open",
  "Dollar flat against major currencies in thin trade",
  "Investors await central bank minutes later this week",
  "Gold holds near its recent range in quiet trade",
  "Regional stock markets mixed at midday",
];
const tickerOf = (i: number) => `B${String.fromCharCode(65 + (Math.floor(i / 26) % 26))}${String.fromCharCode(65 + (i % 26))}`;
const tickers = Array.from({ length: N }, (_, i) => tickerOf(i));

type Slot = { kind: "burst"; entity: number; k: number } | { kind: "mention"; entity: number; bullish: boolean } | { kind: "chatter" };
const rnd = mulberry32(11);
const total = Math.round(RATE * SECONDS);
const slots: (Slot | null)[] = Array.from({ length: total }, () => null);
// Bursts start between 5 s and (end − 20 s), so each closes its window while input still flows.
const firstStart = 5;
const lastStart = Math.max(firstStart, SECONDS - 20 - BURST / RATE);
const burstStartSlot: number[] = [];
for (let e = 0; e < N; e++) {
  let s = Math.round((firstStart + (N === 1 ? 0 : (e * (lastStart - firstStart)) / (N - 1))) * RATE);
  burstStartSlot.push(s);
  for (let k = 0; k < BURST; k++) {
    while (s < total && slots[s]) s++;
    if (s < total) slots[s] = { kind: "burst", entity: e, k };
  }
}
/** Background mentions: about one per watched ticker every 10 s, 30 % bullish; the rest is chatter. */
const mentionShare = Math.min(0.5, N / (10 * RATE));
for (let s = 0; s < total; s++) {
  if (slots[s]) continue;
  slots[s] = rnd() < mentionShare ? { kind: "mention", entity: Math.floor(rnd() * N), bullish: rnd() < 0.3 } : { kind: "chatter" };
}
const pick = <T>(a: readonly T[]) => a[Math.floor(rnd() * a.length)]!;
function textOf(slot: Slot, seq: number): string {
  const t =
    slot.kind === "chatter"
      ? pick(CHATTER)
      : slot.kind === "burst"
        ? BEARISH[slot.k % BEARISH.length]!
        : pick(slot.bullish ? BULLISH : NEUTRAL);
  const ticker = slot.kind === "chatter" ? "" : tickers[slot.entity]!;
  return `${t.replaceAll("{T}", ticker).replaceAll("{p}", String(2 + Math.floor(rnd() * 12)))} (${seq})`;
}

// ---- services ----------------------------------------------------------------------------------------------------

const log = createLogger("bench", "warn");
const real = haveKafka && havePostgres;
const tdb = real ? await createTestDatabase() : null;
const db = await openDb(tdb ? tdb.url : "memory://");
const bus: Bus = real
  ? new KafkaBus({ brokers: KAFKA_BROKERS!, namespace: `${uniqueName("bench-alerts")}.`, log, defaultPartitions: PARTITIONS })
  : new MemoryBus(PARTITIONS);
await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: PARTITIONS })));

await createRule(
  db.db,
  {
    id: RULE_ID,
    name: "Bench: bearish burst",
    type: "sentiment_level",
    severity: "warning",
    scope: { tickers },
    window: { type: "sliding", size: "1m", step: "10s" },
    metric: "weighted_mean",
    op: "below",
    threshold: THRESHOLD,
    min_samples: MIN_SAMPLES,
    for: "0s",
    cooldown: "1h",
    repeat_interval: "1h",
  },
  "bench",
);

// Webhook receiver on loopback: verify each delivery, note when it arrived.
interface Received {
  at: number;
  entityKey: string;
  firedAt: number;
}
const received: Received[] = [];
const seenIds = new Set<string>();
let badSignatures = 0;
let secret = "";
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const at = Date.now();
    const body = Buffer.concat(chunks);
    try {
      const ev = verifyWebhook(secret, req.headers, body) as { type: string; data: { alert?: { entity_key: string; fired_at: string } } };
      const id = String(req.headers["webhook-id"]);
      if (ev.type === "alert.fired" && ev.data.alert && !seenIds.has(id)) {
        seenIds.add(id);
        received.push({ at, entityKey: ev.data.alert.entity_key, firedAt: Date.parse(ev.data.alert.fired_at) });
      }
      res.writeHead(200).end("ok");
    } catch {
      badSignatures++;
      res.writeHead(401).end("bad signature");
    }
  });
});
await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

// Subscribe through the admin API (loopback targets explicitly allowed).
const api = Fastify();
await webhookRoutes(api, { db: db.db, log, allowPrivate: "loopback" });
const created = await api.inject({
  method: "POST",
  url: "/api/v1/webhooks",
  payload: { url: hookUrl, event_types: ["alert.fired"], rule_ids: [RULE_ID] },
});
if (created.statusCode !== 201) throw new Error(`webhook subscription failed: ${created.statusCode} ${created.body}`);
secret = (created.json() as { secret: string }).secret;

// What the scorer published, per watched ticker (for the trigger items).
interface Seen {
  seq: number;
  t: number;
  score: number;
  confidence: number;
}
const scoredByEntity = new Map<string, Seen[]>();
let scoredCount = 0;
const watched = new Set(tickers.map((t) => `TICKER:${t}`));
const observer = await bus.subscribe({
  groupId: "bench-observer",
  topics: [TOPICS.scored],
  fromBeginning: true,
  eachBatch: async ({ messages }) => {
    for (const msg of messages) {
      const s = JSON.parse(msg.value.toString()) as ScoredItem;
      scoredCount++;
      const seq = /^bench-(\d+)$/.exec(s.item.external_id ?? "")?.[1];
      if (seq === undefined) continue;
      for (const key of new Set(s.mentions.map((m) => m.key))) {
        if (!watched.has(key)) continue;
        let list = scoredByEntity.get(key);
        if (!list) scoredByEntity.set(key, (list = []));
        list.push({
          seq: Number(seq),
          t: Date.parse(s.item.published_at),
          score: s.output.sentiment.score,
          confidence: s.output.sentiment.confidence,
        });
      }
    }
  },
});

const supervisor = new StreamSupervisor({ bus, log, writer: new IngestWriter(bus), registry: new StreamRegistry(db.db) });
await supervisor.start();
const model = await loadTextScorer(log);
const scorer = await startScorer({ bus, db, log, model });
const alerter = await startAlerter({
  bus,
  db,
  log,
  options: { seed: "off", latenessMs: LATENESS_MS, expectedPartitions: PARTITIONS, idleAdvanceMs: 5_000, tickMs: 1_000 },
});
const notifier = await startNotifier({ bus, db, log, allowPrivate: "loopback" });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
async function until(fn: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!fn() && Date.now() < deadline) await sleep(50);
  return fn();
}

// Warm-up: one item per partition through the whole chain (consumer groups joined, model session warm).
const send = (seq: string, text: string) =>
  bus.send(TOPICS.news, [
    { value: JSON.stringify({ id: seq, source: "bench", published_at: new Date().toISOString(), text, lang: "en" }) },
  ]);
for (let i = 0; i < 6; i++) await send(`warmup-${i}`, `${CHATTER[i % CHATTER.length]} (warm-up ${i})`);
const warm = await until(() => scoredCount >= 6 && alerter.engine.status().maxEventTime !== null, 90_000);
if (!warm) console.warn("warm-up items did not reach the alerter within 90 s; measuring anyway");

// ---- run ---------------------------------------------------------------------------------------------------------

const publishedAt: number[] = new Array(total).fill(0);
const t0 = Date.now();
for (let seq = 0; seq < total; seq++) {
  await sleep(t0 + (seq * 1000) / RATE - Date.now());
  publishedAt[seq] = Date.now();
  await send(`bench-${seq}`, textOf(slots[seq]!, seq));
}
const publishSecs = (Date.now() - t0) / 1000;

/** The trigger per entity: first item at/after its burst start whose trailing window meets the rule. */
function triggerOf(entity: number): Seen | null {
  const list = [...(scoredByEntity.get(`TICKER:${tickers[entity]}`) ?? [])].sort((a, b) => a.t - b.t || a.seq - b.seq);
  const from = burstStartSlot[entity]!;
  for (let i = 0; i < list.length; i++) {
    const cur = list[i]!;
    if (cur.seq < from) continue;
    let n = 0;
    let ws = 0;
    let wt = 0;
    let sum = 0;
    for (let j = i; j >= 0 && list[j]!.t > cur.t - WINDOW_MS; j--) {
      n++;
      sum += list[j]!.score;
      ws += list[j]!.score * list[j]!.confidence;
      wt += list[j]!.confidence;
    }
    const wmean = wt > 0 ? ws / wt : sum / n;
    if (n >= MIN_SAMPLES && wmean < THRESHOLD) return cur;
  }
  return null;
}
const firstFired = () => {
  const m = new Map<string, Received>();
  for (const r of received) if (!m.has(r.entityKey)) m.set(r.entityKey, r);
  return m;
};
// Drain: wait (bounded) until every burst whose condition held has its alert.
await until(() => {
  const fired = firstFired();
  return tickers.every((t, e) => fired.has(`TICKER:${t}`) || (scoredCount >= total + 6 && triggerOf(e) === null));
}, DRAIN_MS);

// ---- results -----------------------------------------------------------------------------------------------------

const fired = firstFired();
const latencies: number[] = [];
const afterClose: number[] = [];
let noTrigger = 0;
let noAlert = 0;
let early = 0;
/** Which bearish item of its burst the trigger was (1-based). */
const triggerK: number[] = [];
for (let e = 0; e < N; e++) {
  const key = `TICKER:${tickers[e]}`;
  const trig = triggerOf(e);
  const got = fired.get(key);
  if (!trig) {
    noTrigger++;
    continue;
  }
  if (!got) {
    noAlert++;
    continue;
  }
  // An alert on a window that closed before the trigger was published came from something else (background misread).
  if (got.firedAt <= trig.t) {
    early++;
    continue;
  }
  latencies.push(got.at - publishedAt[trig.seq]!);
  const slot = slots[trig.seq]!;
  if (slot.kind === "burst") triggerK.push(slot.k + 1);
  afterClose.push(got.at - got.firedAt);
}
const q = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const unexpected = [...fired.keys()].filter((k) => !watched.has(k)).length;
console.log(
  JSON.stringify({
    bench: "alerts.fire_latency",
    bus: bus.kind,
    db: db.kind,
    model: model.version,
    input_rate: RATE,
    achieved_rate: +(total / publishSecs).toFixed(2),
    seconds: SECONDS,
    items: total,
    entities: N,
    burst: BURST,
    rule: { window: "1m", step: "10s", threshold: THRESHOLD, min_samples: MIN_SAMPLES, lateness_ms: LATENESS_MS },
    alerts: latencies.length,
    trigger_burst_item: triggerK.length ? { min: Math.min(...triggerK), max: Math.max(...triggerK) } : null,
    latency_ms: { p50: q(latencies, 50), p99: q(latencies, 99), max: latencies.length ? Math.max(...latencies) : null },
    after_window_close_ms: { p50: q(afterClose, 50), p99: q(afterClose, 99), max: afterClose.length ? Math.max(...afterClose) : null },
    bursts_without_alert: noAlert,
    bursts_condition_never_met: noTrigger,
    alerts_before_trigger: early,
    unexpected_alerts: unexpected,
    bad_signatures: badSignatures,
  }),
);
if (noAlert || noTrigger)
  console.log(`NOTE: ${noAlert} burst(s) got no alert within the run; ${noTrigger} burst(s) never met the condition in the scored stream`);
else console.log(`all ${N} bursts fired; fire latency p50 ${q(latencies, 50)} ms, p99 ${q(latencies, 99)} ms at ${RATE} items/s`);

// ---- cleanup -----------------------------------------------------------------------------------------------------

await supervisor.stop();
await scorer.stop();
await alerter.stop();
await notifier.stop();
await observer.stop();
await api.close();
receiver.closeAllConnections();
await new Promise<void>((r) => receiver.close(() => r()));
await model.close();
await bus.close();
await db.close();
await tdb?.drop();
process.exit(0);
