import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Fastify, { type FastifyInstance } from "fastify";
import { asc, eq } from "drizzle-orm";
import { MemoryBus, type Batch } from "@finsentry/bus";
import { alerts } from "@finsentry/db";
import type { ScoredItem, SentimentLabel, TopicLabel } from "@finsentry/schemas";
import { alertRoutes } from "../src/api/routes.ts";
import { backtestRule } from "../src/backtest.ts";
import { AlertCore } from "../src/engine/core.ts";
import { AlertEngine } from "../src/engine/live.ts";
import type { Transition } from "../src/engine/transitions.ts";
import { compileRule } from "../src/rules/compile.ts";
import { evaluateRule } from "../src/rules/evaluate.ts";
import { parseRule, safeParseRule, type RuleInput } from "../src/rules/schema.ts";
import { seedRules } from "../src/rules/store.ts";
import { MODEL_STREAM_KEY, contributionsOf, modelStreamContribution, type Contribution } from "../src/window/contribution.ts";
import { jsDistance, psi } from "../src/window/drift.ts";
import { emptyBaseline } from "../src/window/ewma.ts";
import { computeFigures } from "../src/window/figures.ts";
import { H, MIN, T0, freshDb, log, rng, scoredItem, storeHistory } from "./helpers.ts";

const SHIFT_START = T0 + 8 * H;
const SHIFT_END = T0 + 9 * H;
const END = T0 + 12 * H;

/**
 * The model's output stream: one item every 30s for 12h, half of them without any entity. Normally a quarter
 * bearish, half neutral, a quarter bullish at confidence 0.7–0.9; with `shift`, from 8:00 to 9:00 the model calls
 * 80% of items bearish at confidence 0.35–0.55.
 */
function modelStream(shift: boolean, seed = 7): ScoredItem[] {
  const r = rng(seed);
  const topics: TopicLabel[] = ["Earnings", "Markets", "Macro", "Stock Commentary"];
  const out: ScoredItem[] = [];
  for (let t = T0; t < END; t += 30_000) {
    const drifting = shift && t >= SHIFT_START && t < SHIFT_END;
    const u = r();
    const label: SentimentLabel = drifting
      ? u < 0.8
        ? "bearish"
        : u < 0.9
          ? "neutral"
          : "bullish"
      : u < 0.25
        ? "bearish"
        : u < 0.75
          ? "neutral"
          : "bullish";
    const score = label === "bearish" ? -0.5 : label === "bullish" ? 0.5 : 0;
    const confidence = drifting ? 0.35 + 0.2 * r() : 0.7 + 0.2 * r();
    out.push(
      scoredItem({
        key: `m-${seed}-${t}`,
        t: t + Math.floor(r() * 20_000),
        score,
        label,
        confidence,
        topic: topics[Math.floor(r() * topics.length)]!,
        entities: r() < 0.5 ? ["TICKER:ACME"] : [],
      }),
    );
  }
  return out;
}

const DRIFT: RuleInput = {
  id: "drift-sentiment",
  name: "Sentiment drift",
  severity: "warning",
  type: "drift",
  task: "sentiment",
  window: { type: "sliding", size: "1h", step: "5m", baseline_half_life: "3h" },
  threshold: 0.25,
  confidence_drop: 0.15,
  min_samples: 60,
  baseline_min_windows: 12,
  for: "10m",
  resolve_after: "10m",
  // Short, so a second alert after the shift would not be hidden by the cooldown.
  cooldown: "30m",
};
/** A global entity rule that every item of the shift would satisfy: it must never see the model stream. */
const GLOBAL_LEVEL: RuleInput = {
  id: "global-level",
  name: "Bearish",
  severity: "info",
  type: "sentiment_level",
  op: "below",
  threshold: -0.3,
  min_samples: 10,
  window: { size: "1h", step: "5m" },
};

/** Feeds the core as the live engine does: model-stream contributions only while a drift rule wants them. */
function runCore(stream: ScoredItem[], rules: RuleInput[], batch = 40): Transition[] {
  const core = new AlertCore({ latenessMs: 2 * MIN });
  core.setRules(rules.map((r) => compileRule(parseRule(r))));
  const out: Transition[] = [];
  for (let i = 0; i < stream.length; i += batch) {
    for (const s of stream.slice(i, i + batch)) {
      core.observe("p0", Date.parse(s.item.published_at));
      core.ingest([...contributionsOf(s), ...(core.wantsModelStream ? [modelStreamContribution(s)] : [])]);
    }
    out.push(...core.advance());
  }
  return out;
}

const only = (ts: Transition[], ruleId: string) => ts.filter((t) => t.rule?.rule.id === ruleId);

describe("drift rule validation", () => {
  it("fills defaults and accepts a fixed reference", () => {
    const r = parseRule({ id: "d", name: "D", severity: "info", type: "drift", task: "topic", threshold: 0.3 });
    expect(r).toMatchObject({ type: "drift", measure: "js", min_samples: 100, baseline_min_windows: 12, enabled: true, cooldown: "1h" });
    const ref = parseRule({
      id: "d",
      name: "D",
      severity: "info",
      type: "drift",
      task: "sentiment",
      confidence_drop: 0.1,
      reference: { distribution: { bearish: 1, neutral: 2, bullish: 1 }, mean_confidence: 0.8 },
    });
    expect(compileRule(ref).reference).toEqual({ distribution: [0.25, 0.5, 0.25], confidence: 0.8 });
  });

  it("names the bad field", () => {
    const paths = (input: unknown) => {
      const r = safeParseRule(input);
      return r.ok ? [] : r.problems.map((p) => p.path);
    };
    const base = { id: "d", name: "D", severity: "info", type: "drift", task: "sentiment" };
    expect(paths(base)).toEqual(["threshold"]); // neither a divergence threshold nor a confidence drop
    expect(paths({ ...base, threshold: 1.5 })).toEqual(["threshold"]); // a JS distance is at most 1
    expect(paths({ ...base, measure: "psi", threshold: 1.5 })).toEqual([]);
    expect(paths({ ...base, threshold: 0.2, task: "entities" })).toEqual(["task"]);
    expect(paths({ ...base, threshold: 0.2, measure: "kl" })).toEqual(["measure"]);
    expect(paths({ ...base, threshold: 0.2, confidence_drop: 0 })).toEqual(["confidence_drop"]);
    expect(paths({ ...base, threshold: 0.2, scope: { tickers: ["ACME"] } })).toEqual(["scope"]);
    expect(paths({ ...base, threshold: 0.2, reference: { distribution: { bearish: 1, gloomy: 1 } } })).toEqual([
      "reference.distribution.gloomy",
    ]);
    expect(paths({ ...base, threshold: 0.2, reference: { distribution: { bearish: 0 } } })).toEqual(["reference.distribution"]);
    const scoped = safeParseRule({ ...base, threshold: 0.2, scope: {} });
    expect(!scoped.ok && scoped.problems[0]!.message).toMatch(/whole output stream/);
  });
});

describe("divergence measures", () => {
  it("JS distance is 0 for equal and 1 for disjoint distributions; PSI matches its definition", () => {
    expect(jsDistance([0.2, 0.5, 0.3], [0.2, 0.5, 0.3])).toBe(0);
    expect(jsDistance([1, 0, 0], [0, 0, 1])).toBeCloseTo(1, 10);
    expect(jsDistance([0.8, 0.1, 0.1], [0.25, 0.5, 0.25])).toBeGreaterThan(0.25);
    expect(psi([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.25 * Math.log(2) - 0.25 * Math.log(2 / 3), 10);
    expect(Number.isFinite(psi([1, 0], [0, 1]))).toBe(true); // empty classes are floored, not infinite
  });
});

describe("drift rule evaluation on one window", () => {
  const item = (id: string, topic: string, topicConfidence: number): Contribution => ({
    itemId: id,
    entityKey: MODEL_STREAM_KEY,
    t: 0,
    score: 0,
    confidence: 0.9,
    bearish: false,
    label: "neutral",
    topic,
    topicConfidence,
  });
  // 6 of 10 items on Legal | Regulation, against a reference where it is rare.
  const window = [
    ...Array.from({ length: 6 }, (_, i) => item(`legal${i}`, "Legal | Regulation", 0.5 + i / 20)),
    ...Array.from({ length: 4 }, (_, i) => item(`earn${i}`, "Earnings", 0.9)),
  ];
  const f = () => computeFigures(window, 0, 3_600_000);
  const rule = (extra: Partial<RuleInput> = {}) =>
    compileRule(
      parseRule({
        id: "t",
        name: "T",
        severity: "info",
        type: "drift",
        task: "topic",
        measure: "psi",
        threshold: 0.5,
        min_samples: 10,
        evidence_limit: 3,
        reference: { distribution: { Earnings: 0.9, "Legal | Regulation": 0.1 } },
        ...extra,
      } as RuleInput),
    );

  it("fires against a fixed reference without warm-up; evidence is the least confident items of the grown class", () => {
    const v = evaluateRule(rule(), f(), emptyBaseline());
    expect(v.met).toBe(true);
    expect(v.evidence).toEqual(["legal0", "legal1", "legal2"]);
    const { figures, summary } = v.detail();
    expect(figures).toMatchObject({
      "share:Legal | Regulation": 0.6,
      "baseline_share:Legal | Regulation": 0.1,
      "share:Earnings": 0.4,
      "baseline_share:Earnings": 0.9,
      divergence_threshold: 0.5,
      count: 10,
    });
    expect(figures.divergence).toBeCloseTo(0.5 * Math.log(6) - 0.5 * Math.log(0.4 / 0.9), 3);
    expect(figures["share:Markets"]).toBeUndefined(); // classes absent from both are left out
    expect(summary).toMatch(
      /^topic predictions over 1h \(10 items\): PSI 1\.30 from reference \(threshold 0\.5\), Legal \| Regulation 60% vs 10%/,
    );
  });

  it("needs min_samples, and a warm EWMA baseline for what the reference does not fix", () => {
    expect(evaluateRule(rule({ min_samples: 11 }), f(), emptyBaseline())).toMatchObject({ met: false, insufficient: "samples" });
    expect(evaluateRule(rule({ confidence_drop: 0.1 }), f(), emptyBaseline())).toMatchObject({ met: false, insufficient: "baseline" });
    expect(
      evaluateRule(rule({ reference: { distribution: { Earnings: 0.4, "Legal | Regulation": 0.6 } } }), f(), emptyBaseline()).met,
    ).toBe(false);
  });
});

describe("drift on the model's output stream (AlertCore)", () => {
  const stream = modelStream(true);
  const byId = new Map(stream.map((s) => [s.item.id, s]));
  const shifted = runCore(stream, [DRIFT, GLOBAL_LEVEL]);

  it("a shift to mostly-bearish, low-confidence predictions fires exactly one drift alert, resolved after the shift ends", () => {
    const drift = only(shifted, "drift-sentiment");
    const fires = drift.filter((t) => t.kind === "fire");
    expect(fires).toHaveLength(1);
    const fire = fires[0]!;
    expect(fire.entityKey).toBe(MODEL_STREAM_KEY);
    expect(fire.at).toBeGreaterThan(SHIFT_START);
    expect(fire.at).toBeLessThan(SHIFT_END);
    expect(fire.figures["share:bearish"]!).toBeGreaterThan(fire.figures["baseline_share:bearish"]! + 0.2);
    expect(fire.figures.divergence).toBeTypeOf("number");
    expect(fire.figures.mean_confidence!).toBeLessThan(fire.figures.baseline_mean_confidence!);
    expect(fire.summary).toMatch(/^sentiment predictions over 1h/);
    // Evidence: the least confident bearish calls, all from the shift.
    expect(fire.evidence).toHaveLength(5);
    for (const id of fire.evidence) {
      const s = byId.get(id)!;
      expect(s.output.sentiment.label).toBe("bearish");
      expect(Date.parse(s.item.published_at)).toBeGreaterThanOrEqual(SHIFT_START);
    }
    const resolves = drift.filter((t) => t.kind === "resolve");
    expect(resolves.map((t) => t.alertId)).toEqual([fire.alertId]);
    expect(resolves[0]!.at).toBeGreaterThan(SHIFT_END);
    expect(resolves[0]!.at).toBeLessThan(SHIFT_END + 2 * H);
  });

  it("entity rules never see the model stream, and drift rules see nothing else", () => {
    expect(shifted.some((t) => t.rule?.rule.id === "global-level" && t.entityKey === MODEL_STREAM_KEY)).toBe(false);
    expect(shifted.filter((t) => t.rule?.rule.id === "drift-sentiment").every((t) => t.entityKey === MODEL_STREAM_KEY)).toBe(true);
    // The entity rule still works on the entity (half the shifted items mention ACME).
    expect(shifted.some((t) => t.rule?.rule.id === "global-level" && t.kind === "fire" && t.entityKey === "TICKER:ACME")).toBe(true);
  });

  it("a stable stream fires none", () => {
    for (const seed of [7, 8, 9]) expect(only(runCore(modelStream(false, seed), [DRIFT]), "drift-sentiment")).toEqual([]);
  });

  it("a topic drift rule ignores a sentiment-only shift (topic mix and topic confidence unchanged)", () => {
    const topic: RuleInput = { ...DRIFT, id: "drift-topic", task: "topic", threshold: 0.2 };
    expect(runCore(stream, [topic]).filter((t) => t.kind === "fire")).toEqual([]);
  });
});

const storedSuite = (kind: "pglite" | "pg") =>
  describe(`drift through the live engine, the backtest and the rules API on ${kind}`, () => {
    const stream = modelStream(true);
    const expected = only(runCore(stream, [DRIFT]), "drift-sentiment");
    let db: Awaited<ReturnType<typeof freshDb>>;

    beforeAll(async () => {
      db = await freshDb(kind);
      await storeHistory(db.handle.db, stream);
    });
    afterAll(async () => {
      await db?.drop();
    });

    /** Hands the stream to a live engine in bus batches; `restartAt` reopens the engine from its checkpoint midway. */
    async function live(restartAt?: number) {
      const d = await freshDb(kind);
      try {
        await seedRules(d.handle.db, [parseRule(DRIFT)]);
        const bus = new MemoryBus(1);
        const open = () =>
          AlertEngine.open({ db: d.handle.db, bus, log, now: () => new Date(END), options: { expectedPartitions: 1, idlePartitionMs: 0 } });
        let engine = await open();
        let offset = 0;
        for (let i = 0; i < stream.length; i += 120) {
          if (restartAt !== undefined && i === restartAt) engine = await open();
          const batch: Batch = {
            topic: "items.scored",
            partition: 0,
            messages: stream.slice(i, i + 120).map((s) => ({
              topic: "items.scored",
              partition: 0,
              offset: String(offset++),
              key: s.item.id,
              value: Buffer.from(JSON.stringify(s)),
              headers: {},
              timestamp: "0",
            })),
          };
          await engine.handleBatch(batch);
        }
        await bus.close();
        return await d.handle.db.select().from(alerts).orderBy(asc(alerts.firedAt));
      } finally {
        await d.drop();
      }
    }

    it("the live engine stores the same single alert, also across a restart mid-shift (labels and baseline persist)", async () => {
      const fire = expected.find((t) => t.kind === "fire")!;
      const resolve = expected.find((t) => t.kind === "resolve")!;
      // 960 items = 8:00: the restart falls at the start of the shift, with the baseline warm.
      for (const restartAt of [undefined, 960]) {
        const rows = await live(restartAt);
        expect(
          rows.map((a) => [a.id, a.ruleType, a.entityKey, a.state, a.firedAt.getTime(), a.resolvedAt?.getTime()]),
          `restart at ${restartAt}`,
        ).toEqual([[fire.alertId, "drift", MODEL_STREAM_KEY, "resolved", fire.at, resolve.at]]);
        expect(rows[0]!.fireFigures).toEqual(fire.figures);
      }
    });

    it("the backtest replays stored scores into the same alert", async () => {
      const r = await backtestRule(db.handle.db, DRIFT, { from: new Date(T0).toISOString(), to: new Date(END).toISOString() });
      const fire = expected.find((t) => t.kind === "fire")!;
      expect(r.items).toBe(stream.length);
      expect(r.alerts.map((a) => [a.alert_id, a.entity_key, a.fired_at, a.resolved_at])).toEqual([
        [
          fire.alertId,
          MODEL_STREAM_KEY,
          new Date(fire.at).toISOString(),
          new Date(expected.find((t) => t.kind === "resolve")!.at).toISOString(),
        ],
      ]);
      expect(r.alerts[0]!.figures).toEqual(fire.figures);
    });

    describe("rules API", () => {
      let app: FastifyInstance;
      beforeAll(async () => {
        app = Fastify();
        await app.register(alertRoutes, { db: db.handle.db, bus: new MemoryBus(1) });
        await app.ready();
      });
      afterAll(async () => {
        await app?.close();
      });

      it("creates a drift rule, refuses a scoped one naming the field, and backtests an unsaved one", async () => {
        const created = await app.inject({ method: "POST", url: "/api/v1/rules", payload: DRIFT as object });
        expect(created.statusCode).toBe(201);
        expect(created.json()).toMatchObject({ id: "drift-sentiment", type: "drift", task: "sentiment", measure: "js", version: 1 });
        const bad = await app.inject({
          method: "POST",
          url: "/api/v1/rules",
          payload: { ...DRIFT, id: "scoped", scope: { tickers: ["ACME"] } },
        });
        expect(bad.statusCode).toBe(400);
        expect(bad.json().problems.map((p: { path: string }) => p.path)).toEqual(["scope"]);
        const bt = await app.inject({
          method: "POST",
          url: "/api/v1/rules/backtest",
          payload: { rule: { ...DRIFT, id: "draft" }, from: new Date(T0).toISOString(), to: new Date(END).toISOString() },
        });
        expect(bt.statusCode).toBe(200);
        expect(bt.json().alerts).toHaveLength(1);
        const [stored] = await db.handle.db.select().from(alerts).where(eq(alerts.ruleId, "drift-sentiment"));
        expect(stored).toBeUndefined(); // a backtest writes no alerts
      });
    });
  });

storedSuite("pglite");
if (!process.env.DATABASE_URL) console.warn("drift: skipping the Postgres run (DATABASE_URL not set)");
describe.skipIf(!process.env.DATABASE_URL)("with Postgres", () => void storedSuite("pg"));
