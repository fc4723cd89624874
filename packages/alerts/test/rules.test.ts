import { describe, expect, it } from "vitest";
import { RuleValidationError, parseRule, safeParseRule } from "../src/rules/schema.ts";
import { parseRulesText, loadRulesFile } from "../src/rules/file.ts";
import { compileRule } from "../src/rules/compile.ts";
import { evaluateRule, topContributors } from "../src/rules/evaluate.ts";
import { advanceState, alertIdFor, initialState } from "../src/engine/transitions.ts";
import { computeFigures } from "../src/window/figures.ts";
import { emptyBaseline, ewmaUpdate } from "../src/window/ewma.ts";
import type { Contribution } from "../src/window/contribution.ts";

const c = (itemId: string, score: number, extra: Partial<Contribution> = {}): Contribution => ({
  itemId,
  entityKey: "TICKER:ACME",
  t: 0,
  score,
  confidence: 0.9,
  bearish: score <= -0.3,
  topic: "Earnings",
  topicConfidence: 0.9,
  ...extra,
});
const fig = (xs: Contribution[]) => computeFigures(xs, 0, 3_600_000);
const base = { id: "r", name: "R", severity: "warning" } as const;

/** A baseline that has seen `n` windows of these values. */
function warmBaseline(n: number, v: { count: number; bearish: number; mean: number }, jitter = 0.02) {
  const b = emptyBaseline();
  for (let i = 0; i < n; i++) {
    const j = i % 2 ? jitter : -jitter;
    ewmaUpdate(b.count, v.count, 0.1);
    ewmaUpdate(b.bearish, v.bearish + (i % 2), 0.1);
    ewmaUpdate(b.mean, v.mean + j, 0.1);
    ewmaUpdate(b.weighted_mean, v.mean + j, 0.1);
  }
  return b;
}

describe("rule validation", () => {
  it("fills defaults", () => {
    const r = parseRule({ ...base, type: "sentiment_level", op: "below", threshold: -0.4 });
    expect(r).toMatchObject({
      enabled: true,
      min_samples: 5,
      for: "0s",
      cooldown: "1h",
      window: { type: "sliding", size: "1h" },
      metric: "weighted_mean",
    });
  });

  it("names the bad field", () => {
    const bad = safeParseRule({ ...base, type: "sentiment_level", op: "below", threshold: -2, window: { size: "5 minutes" } });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.problems.map((p) => p.path).sort()).toEqual(["threshold", "window.size"]);
    expect(bad.problems.find((p) => p.path === "window.size")!.message).toMatch(/duration/);
  });

  it("rejects unknown fields, unknown types and a stepped tumbling window", () => {
    expect(() => parseRule({ ...base, type: "sentiment_level", op: "below", threshold: 0, treshold: 1 })).toThrow(RuleValidationError);
    const t = safeParseRule({ ...base, type: "volatility" });
    expect(!t.ok && t.problems[0]!.path).toBe("type");
    const w = safeParseRule({
      ...base,
      type: "sentiment_level",
      op: "below",
      threshold: 0,
      window: { type: "tumbling", size: "1h", step: "5m" },
    });
    expect(!w.ok && w.problems[0]!.path).toBe("window.step");
    const topics = safeParseRule({ ...base, type: "watched_topics", topics: ["Lawsuits"] });
    expect(!topics.ok && topics.problems[0]!.path).toBe("topics.0");
  });

  it("parses the default rules file, and names rule index + field in a bad file", async () => {
    const rules = await loadRulesFile();
    expect(rules.length).toBeGreaterThanOrEqual(5);
    expect(new Set(rules.map((r) => r.type))).toEqual(
      new Set(["sentiment_level", "sentiment_shift", "negative_volume_spike", "watched_topics", "drift"]),
    );
    try {
      parseRulesText(
        `rules:\n  - { id: a, name: A, severity: loud, type: sentiment_level, op: below, threshold: 0 }\n  - { id: a, name: B, severity: info, type: sentiment_level, op: below, threshold: 0 }\n`,
      );
      expect.unreachable();
    } catch (err) {
      expect((err as RuleValidationError).problems.map((p) => p.path)).toEqual(["rules.0.severity"]);
    }
    expect(() =>
      parseRulesText(
        `- { id: a, name: A, severity: info, type: sentiment_level, op: below, threshold: 0 }\n- { id: a, name: B, severity: info, type: sentiment_level, op: below, threshold: 0 }`,
      ),
    ).toThrow(/rules.1.id: duplicate/);
  });

  it("scopes by entity key, ticker and entity type; no scope is global", () => {
    const scoped = compileRule(
      parseRule({ ...base, type: "sentiment_level", op: "below", threshold: 0, scope: { tickers: ["$tsla"], entities: ["ORG:tesla"] } }),
    );
    expect(["TICKER:TSLA", "ORG:tesla", "TICKER:AAPL"].map(scoped.appliesTo)).toEqual([true, true, false]);
    const typed = compileRule(parseRule({ ...base, type: "sentiment_level", op: "below", threshold: 0, scope: { entity_types: ["ORG"] } }));
    expect(["TICKER:TSLA", "ORG:tesla"].map(typed.appliesTo)).toEqual([false, true]);
    const global = compileRule(parseRule({ ...base, type: "sentiment_level", op: "below", threshold: 0 }));
    expect(global.appliesTo("PERSON:anyone")).toBe(true);
  });
});

describe("rule evaluation", () => {
  const bearish = [c("b1", -0.9), c("b2", -0.7, { confidence: 0.5 }), c("b3", -0.6), c("n1", 0.05), c("u1", 0.8)];

  it("sentiment_level: threshold on the (weighted) mean, min sample size, evidence pushes the same way", () => {
    const r = compileRule(parseRule({ ...base, type: "sentiment_level", op: "below", threshold: -0.2, min_samples: 5, evidence_limit: 2 }));
    const v = evaluateRule(r, fig(bearish), emptyBaseline());
    expect(v.met).toBe(true);
    expect(v.evidence).toEqual(["b1", "b3"]); // by |score|×confidence, bullish u1 excluded
    expect(v.detail().figures.value).toBeCloseTo(-0.935 / 4.1, 4);
    expect(evaluateRule(r, fig(bearish.slice(0, 4)), emptyBaseline())).toMatchObject({ met: false, insufficient: "samples" });
    const above = compileRule(parseRule({ ...base, type: "sentiment_level", op: "above", threshold: -0.2, min_samples: 1 }));
    expect(evaluateRule(above, fig(bearish), emptyBaseline()).met).toBe(false);
  });

  it("sentiment_shift: drop in std-devs against the entity's baseline, after warm-up", () => {
    const r = compileRule(
      parseRule({ ...base, type: "sentiment_shift", std_devs: 3, min_shift: 0.2, min_samples: 3, baseline_min_windows: 10 }),
    );
    const warm = warmBaseline(30, { count: 5, bearish: 0, mean: 0.05 });
    expect(evaluateRule(r, fig(bearish), warm)).toMatchObject({ met: true });
    expect(evaluateRule(r, fig(bearish), warmBaseline(5, { count: 5, bearish: 0, mean: 0.05 }))).toMatchObject({
      met: false,
      insufficient: "baseline",
    });
    // The same window is normal for an entity whose baseline is already that negative.
    expect(evaluateRule(r, fig(bearish), warmBaseline(30, { count: 5, bearish: 3, mean: -0.4 })).met).toBe(false);
    const up = compileRule(
      parseRule({ ...base, type: "sentiment_shift", direction: "up", std_devs: 3, min_samples: 3, baseline_min_windows: 10 }),
    );
    expect(evaluateRule(up, fig(bearish), warm).met).toBe(false);
  });

  it("negative_volume_spike: z-score of bearish mentions, with a minimum count", () => {
    const r = compileRule(
      parseRule({ ...base, type: "negative_volume_spike", z_score: 2, min_bearish: 3, min_samples: 1, baseline_min_windows: 10 }),
    );
    const quiet = warmBaseline(30, { count: 5, bearish: 0, mean: 0 });
    const v = evaluateRule(r, fig(bearish), quiet);
    expect(v.met).toBe(true);
    expect(v.evidence.every((id) => id.startsWith("b"))).toBe(true);
    expect(v.detail().figures.z).toBeCloseTo((3 - v.detail().figures.baseline_bearish_mean!) / 1, 1); // std floored at min_std 1
    expect(evaluateRule(r, fig(bearish.slice(0, 2)), quiet).met).toBe(false); // 2 < min_bearish
    expect(evaluateRule(r, fig(bearish), warmBaseline(30, { count: 5, bearish: 3, mean: 0 })).met).toBe(false);
  });

  it("watched_topics: count of watched-topic items, optional sentiment condition over them", () => {
    const items = [
      c("l1", -0.5, { topic: "Legal | Regulation" }),
      c("l2", -0.4, { topic: "Legal | Regulation" }),
      c("p1", 0.3, { topic: "Personnel Change", topicConfidence: 0.3 }),
      c("e1", 0.9),
    ];
    const legal = compileRule(
      parseRule({
        ...base,
        type: "watched_topics",
        topics: ["Legal | Regulation"],
        min_count: 2,
        sentiment: { op: "below", threshold: -0.2 },
      }),
    );
    const v = evaluateRule(legal, fig(items), emptyBaseline());
    expect(v).toMatchObject({ met: true, evidence: ["l1", "l2"] });
    expect(v.detail().figures.matched).toBe(2);
    const positive = compileRule(
      parseRule({
        ...base,
        type: "watched_topics",
        topics: ["Legal | Regulation"],
        min_count: 2,
        sentiment: { op: "above", threshold: 0 },
      }),
    );
    expect(evaluateRule(positive, fig(items), emptyBaseline()).met).toBe(false);
    const personnel = compileRule(parseRule({ ...base, type: "watched_topics", topics: ["Personnel Change"], min_topic_confidence: 0.5 }));
    expect(evaluateRule(personnel, fig(items), emptyBaseline()).met).toBe(false);
  });

  it("ranks evidence by |score|×confidence with a stable tie-break", () => {
    const xs = [c("a", -0.5, { confidence: 1 }), c("b", -1, { confidence: 0.5 }), c("c", -0.9, { confidence: 1 })];
    expect(topContributors(xs, -1, 3)).toEqual(["c", "a", "b"]);
    expect(topContributors([c("x", 0.2), c("y", 0.4)], -1, 1)).toEqual(["y"]); // nothing bearish: strongest overall
  });
});

describe("alert lifecycle per (rule, entity)", () => {
  const rule = compileRule(
    parseRule({
      ...base,
      type: "sentiment_level",
      op: "below",
      threshold: 0,
      for: "10m",
      cooldown: "1h",
      repeat_interval: "15m",
      resolve_after: "5m",
    }),
  );
  const yes = { met: true, evidence: ["i1"], detail: () => ({ figures: {}, summary: "" }) };
  const no = { met: false, evidence: [] as string[], detail: () => ({ figures: {}, summary: "" }) };
  const M = 60_000;

  it("fires after `for`, refreshes, updates per repeat interval, resolves after resolve_after, then cools down", () => {
    const s = initialState();
    const run = (t: number, v: typeof yes) => advanceState(s, rule, "TICKER:ACME", t * M, v)?.kind ?? null;
    expect(run(0, yes)).toBeNull(); // pending
    expect(run(5, yes)).toBeNull();
    expect(run(10, yes)).toBe("fire");
    expect(s.open!.alertId).toBe(alertIdFor("r", "TICKER:ACME", 10 * M));
    expect(run(15, yes)).toBe("refresh");
    expect(run(25, yes)).toBe("update");
    expect(run(30, no)).toBeNull(); // clearing, resolve_after not reached
    expect(run(35, yes)).toBe("refresh"); // back: still the same alert
    expect(run(40, no)).toBeNull();
    expect(run(45, no)).toBe("resolve");
    expect(s.open).toBeNull();
    expect(run(50, yes)).toBeNull(); // cooldown until 105
    expect(run(100, yes)).toBeNull();
    expect(run(105, yes)).toBe("fire");
  });

  it("resets the `for` timer when the condition drops", () => {
    const s = initialState();
    const run = (t: number, v: typeof yes) => advanceState(s, rule, "TICKER:ACME", t * M, v)?.kind ?? null;
    run(0, yes);
    run(5, no);
    expect(run(10, yes)).toBeNull();
    expect(run(20, yes)).toBe("fire");
  });
});
