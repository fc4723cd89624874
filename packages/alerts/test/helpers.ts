import { createHash, randomBytes } from "node:crypto";
import { openDb, type Db, type DbHandle } from "@finsentry/db";
import { persistScored } from "@finsentry/pipeline";
import { createLogger, sleep } from "@finsentry/core";
import type { ScoredItem, SentimentLabel, TopicLabel } from "@finsentry/schemas";
import { parseRulesText } from "../src/rules/file.ts";

export const log = createLogger("alerts-test", process.env.LOG_LEVEL ?? "silent");

export const idFor = (s: string) => createHash("md5").update(s).digest("hex");

export interface ItemSpec {
  key: string;
  t: number;
  score: number;
  confidence?: number;
  label?: SentimentLabel;
  topic?: TopicLabel;
  entities?: string[];
}

/** A ScoredItemV1 for one entity mention (or several), with the fields the engine reads. */
export function scoredItem(s: ItemSpec): ScoredItem {
  const iso = new Date(s.t).toISOString();
  const label = s.label ?? (s.score <= -0.3 ? "bearish" : s.score >= 0.3 ? "bullish" : "neutral");
  const entities = s.entities ?? ["TICKER:ACME"];
  return {
    v: 1,
    item: {
      v: 1,
      id: idFor(s.key),
      external_id: null,
      source: "test",
      stream: "news",
      published_at: iso,
      ingested_at: iso,
      text: `item ${s.key}`,
      url: null,
      author: null,
      lang: "en",
    },
    model_version: "test-1",
    scored_at: iso,
    output: {
      sentiment: { label, score: s.score, confidence: s.confidence ?? 0.8, probs: { bearish: 0.2, neutral: 0.6, bullish: 0.2 } },
      topic: { label: s.topic ?? "Stock Commentary", index: 18, confidence: 0.9 },
      entities: [],
    },
    mentions: entities.map((key, i) => ({
      key,
      type: key.startsWith("TICKER:") ? "TICKER" : "ORG",
      text: key.split(":")[1]!,
      start: i * 10,
      end: i * 10 + 4,
    })),
  };
}

/** Deterministic pseudo-random numbers in [0, 1). */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

export const T0 = Date.parse("2025-03-03T00:00:00Z");
export const H = 3_600_000;
export const MIN = 60_000;

export interface Scenario {
  items: ScoredItem[];
  burstIds: Set<string>;
  burstStart: number;
  burstEnd: number;
  end: number;
}

/**
 * One entity (TICKER:ACME): neutral chatter every 3 minutes for 12h, with a bearish legal-news burst (every 30s)
 * from 8:00 to 8:40; plus a quiet neutral bystander (TICKER:ZZZ). Sorted by event time.
 */
export function acmeScenario(): Scenario {
  const r = rng(42);
  const out: ScoredItem[] = [];
  const burstIds = new Set<string>();
  const burstStart = T0 + 8 * H;
  const burstEnd = burstStart + 40 * MIN;
  const end = T0 + 12 * H;
  for (let t = T0; t < end; t += 3 * MIN) {
    const rare = r() < 0.05;
    out.push(
      scoredItem({
        key: `acme-n-${t}`,
        t: t + Math.floor(r() * 60_000),
        score: rare ? -0.3 : -0.1 + r() * 0.25,
        label: rare ? "bearish" : "neutral",
        confidence: 0.6 + r() * 0.3,
      }),
    );
    if (t % (12 * MIN) === 0) out.push(scoredItem({ key: `zzz-${t}`, t: t + 1000, score: r() * 0.2, entities: ["TICKER:ZZZ"] }));
  }
  for (let t = burstStart; t < burstEnd; t += 30_000) {
    const s = scoredItem({
      key: `acme-b-${t}`,
      t: t + Math.floor(r() * 20_000),
      score: -0.6 - r() * 0.3,
      label: "bearish",
      confidence: 0.8 + r() * 0.15,
      topic: "Legal | Regulation",
    });
    burstIds.add(s.item.id);
    out.push(s);
  }
  out.sort((a, b) => Date.parse(a.item.published_at) - Date.parse(b.item.published_at) || a.item.id.localeCompare(b.item.id));
  return { items: out, burstIds, burstStart, burstEnd, end };
}

/** Rules the scenario should trigger once each (plus one scoped to another ticker that must stay silent). */
export const SCENARIO_RULES_YAML = `
rules:
  - id: level
    name: Bearish level
    type: sentiment_level
    severity: warning
    window: { type: sliding, size: 30m, step: 5m }
    op: below
    threshold: -0.4
    min_samples: 5
    for: 10m
    cooldown: 6h
  - id: level-hourly
    name: Bearish hour
    type: sentiment_level
    severity: info
    window: { type: tumbling, size: 1h }
    metric: mean
    op: below
    threshold: -0.3
    min_samples: 10
    cooldown: 6h
  - id: shift
    name: Sentiment drop
    type: sentiment_shift
    severity: warning
    window: { type: sliding, size: 30m, step: 5m, baseline_half_life: 2h }
    std_devs: 3
    min_shift: 0.3
    baseline_min_windows: 12
    cooldown: 6h
  - id: spike
    name: Bearish volume spike
    type: negative_volume_spike
    severity: critical
    window: { type: sliding, size: 30m, step: 5m, baseline_half_life: 2h }
    z_score: 4
    min_bearish: 5
    baseline_min_windows: 12
    cooldown: 6h
  - id: legal-acme
    name: Legal news
    type: watched_topics
    severity: warning
    scope: { tickers: [ACME] }
    window: { type: sliding, size: 30m, step: 5m }
    topics: ["Legal | Regulation"]
    min_count: 3
    sentiment: { op: below, threshold: -0.3 }
    cooldown: 6h
  - id: legal-other
    name: Legal news elsewhere
    type: watched_topics
    severity: warning
    scope: { tickers: [OTHER] }
    window: { type: sliding, size: 30m, step: 5m }
    topics: ["Legal | Regulation"]
`;
export const scenarioRules = () => parseRulesText(SCENARIO_RULES_YAML);
export const FIRING_RULES = ["legal-acme", "level", "level-hourly", "shift", "spike"];

/** Stores items, scores and mentions with the scorer's own persistence (for backtests and evidence lookups). */
export async function storeHistory(db: Db, scored: ScoredItem[]): Promise<void> {
  for (let i = 0; i < scored.length; i += 500) await persistScored(db, scored.slice(i, i + 500), new Map());
}

/** A database for one test file: a fresh Postgres database when DATABASE_URL is set, else in-memory PGlite. */
export async function freshDb(kind: "pglite" | "pg"): Promise<{ handle: DbHandle; drop(): Promise<void> }> {
  if (kind === "pglite") {
    const handle = await openDb();
    return { handle, drop: () => handle.close() };
  }
  const base = process.env.DATABASE_URL!;
  const name = `finsentry_t_${randomBytes(6).toString("hex")}`;
  const admin = await openDb(base, { migrate: false, poolSize: 1 });
  await admin.exec(`CREATE DATABASE ${name}`);
  await admin.close();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const handle = await openDb(u.toString());
  return {
    handle,
    async drop() {
      await handle.close();
      const a = await openDb(base, { migrate: false, poolSize: 1 });
      await a.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.close();
    },
  };
}

/** Polls until `cond` holds (for asynchronous consumers); fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
