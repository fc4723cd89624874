import { describe, expect, it } from "vitest";
import { AlertCore } from "../src/engine/core.ts";
import type { Transition } from "../src/engine/transitions.ts";
import { compileRule } from "../src/rules/compile.ts";
import { parseRule } from "../src/rules/schema.ts";
import { contributionsOf } from "../src/window/contribution.ts";
import type { ScoredItem } from "@finsentry/schemas";
import { FIRING_RULES, H, MIN, T0, acmeScenario, rng, scenarioRules, scoredItem } from "./helpers.ts";

const LATENESS = 2 * MIN;
const view = (ts: Transition[]) =>
  ts.map((t) => ({
    kind: t.kind,
    rule: t.rule?.rule.id,
    entity: t.entityKey,
    alert: t.alertId,
    at: t.at,
    figures: t.figures,
    evidence: t.evidence,
  }));

/** Feeds arrivals in batches, as the alerter does, and returns every transition plus the late arrivals. */
function run(arrivals: ScoredItem[], batch = 7, partitions = 1) {
  const core = new AlertCore({ latenessMs: LATENESS, expectedPartitions: partitions });
  core.setRules(scenarioRules().map((r) => compileRule(r)));
  const ts: Transition[] = [];
  const late: string[] = [];
  for (let i = 0; i < arrivals.length; i += batch) {
    arrivals.slice(i, i + batch).forEach((s, j) => {
      const t = Date.parse(s.item.published_at);
      if (core.classify(t) === "late") late.push(s.item.id);
      core.observe(`p${(i + j) % partitions}`, t);
      core.ingest(contributionsOf(s));
    });
    ts.push(...core.advance());
  }
  return { ts, late, core };
}

/** Arrival order when each item is delayed by a random amount below `maxDelay`. */
function delayed(items: ScoredItem[], maxDelay: number, seed: number): ScoredItem[] {
  const r = rng(seed);
  return items
    .map((s) => ({ s, at: Date.parse(s.item.published_at) + Math.floor(r() * maxDelay) }))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.s);
}

describe("AlertCore on the scripted stream", () => {
  const sc = acmeScenario();
  const inOrder = run(sc.items);

  it("fires exactly one alert per matching rule, all resolved after the burst, evidence from the burst", () => {
    const fires = inOrder.ts.filter((t) => t.kind === "fire");
    expect(fires.map((f) => f.rule!.rule.id).sort()).toEqual(FIRING_RULES);
    expect(fires.every((f) => f.entityKey === "TICKER:ACME")).toBe(true);
    for (const f of fires) {
      expect(f.at).toBeGreaterThan(sc.burstStart);
      expect(f.at).toBeLessThanOrEqual(sc.burstEnd + H);
      expect(f.evidence.length).toBeGreaterThan(0);
      expect(f.evidence.every((id) => sc.burstIds.has(id))).toBe(true);
      const resolve = inOrder.ts.find((t) => t.kind === "resolve" && t.alertId === f.alertId);
      expect(resolve, `${f.rule!.rule.id} resolves`).toBeDefined();
      expect(resolve!.at).toBeGreaterThan(sc.burstEnd - 10 * MIN);
    }
    expect(inOrder.late).toEqual([]);
  });

  it("tumbling windows are evaluated at their boundaries only", () => {
    const hourly = inOrder.ts.filter((t) => t.rule?.rule.id === "level-hourly");
    expect(hourly.map((t) => [t.kind, new Date(t.at).toISOString()])).toEqual([
      ["fire", "2025-03-03T09:00:00.000Z"],
      ["resolve", "2025-03-03T10:00:00.000Z"],
    ]);
    expect(hourly[0]!.figures).toMatchObject({ window_start_ms: T0 + 8 * H, window_end_ms: T0 + 9 * H });
  });

  it("items shuffled within the allowed lateness land in the same windows (identical transitions)", () => {
    for (const seed of [1, 2, 3]) {
      const shuffled = run(delayed(sc.items, LATENESS, seed), 5, 3);
      expect(shuffled.late).toEqual([]);
      expect(view(shuffled.ts)).toEqual(view(inOrder.ts));
    }
  });

  it("items later than the allowed lateness are reported late, not lost", () => {
    const items = [...sc.items];
    const straggler = items.splice(items.findIndex((s) => sc.burstIds.has(s.item.id)) + 5, 1)[0]!;
    const at = items.findIndex((s) => Date.parse(s.item.published_at) > Date.parse(straggler.item.published_at) + 30 * MIN);
    items.splice(at, 0, straggler);
    const r = run(items, 1);
    expect(r.late).toEqual([straggler.item.id]);
    // Still counted in the windows not yet evaluated (a 1h tumbling window is still open).
    const hourly = r.ts.find((t) => t.rule?.rule.id === "level-hourly" && t.kind === "fire")!;
    expect(hourly.figures.count).toBe(inOrder.ts.find((t) => t.rule?.rule.id === "level-hourly" && t.kind === "fire")!.figures.count);
  });

  it("counts an item once however often it is delivered", () => {
    const twice = run(sc.items.flatMap((s, i) => (i % 3 === 0 ? [s, s] : [s])));
    expect(view(twice.ts)).toEqual(view(inOrder.ts));
  });
});

describe("AlertCore rule changes", () => {
  it("closes an entity's alert when the rule's scope stops covering it", () => {
    const core = new AlertCore({ latenessMs: 0 });
    const def = {
      id: "lvl",
      name: "L",
      severity: "info",
      type: "sentiment_level",
      op: "below",
      threshold: -0.5,
      min_samples: 1,
      window: { size: "1h", step: "5m" },
    } as const;
    core.setRules([compileRule(parseRule(def))]);
    for (const t of [T0, T0 + 6 * MIN]) {
      core.observe("p", t);
      core.ingest(contributionsOf(scoredItem({ key: `s${t}`, t, score: -0.9 })));
    }
    const [fire] = core.advance();
    expect(fire).toMatchObject({ kind: "fire", entityKey: "TICKER:ACME" });
    expect(core.setRules([compileRule(parseRule({ ...def, scope: { tickers: ["ACME"] } }), 2)])).toEqual([]);
    expect(core.setRules([compileRule(parseRule({ ...def, scope: { tickers: ["OTHER"] } }), 3)])).toMatchObject([
      { kind: "resolve", alertId: fire!.alertId },
    ]);
    expect(core.openAlertIds().size).toBe(0);
  });

  it("resolves open alerts of a removed rule and starts a new spec at the watermark", () => {
    const core = new AlertCore({ latenessMs: 0 });
    const level = compileRule(
      parseRule({
        id: "lvl",
        name: "L",
        severity: "info",
        type: "sentiment_level",
        op: "below",
        threshold: -0.5,
        min_samples: 1,
        window: { size: "1h", step: "5m" },
      }),
    );
    core.setRules([level]);
    const feed = (t: number, score: number) => {
      const s = scoredItem({ key: `k${t}`, t, score });
      core.observe("p", t);
      core.ingest(contributionsOf(s));
      return core.advance();
    };
    feed(T0, -0.9);
    const fired = feed(T0 + 6 * MIN, -0.9);
    expect(fired.map((t) => t.kind)).toEqual(["fire"]);
    feed(T0 + 40 * MIN, -0.9);
    const other = compileRule(
      parseRule({
        id: "other",
        name: "O",
        severity: "info",
        type: "sentiment_level",
        op: "below",
        threshold: -0.5,
        min_samples: 1,
        window: { size: "1h", step: "10m" },
      }),
    );
    const out = core.setRules([other]);
    expect(out).toMatchObject([{ kind: "resolve", alertId: fired[0]!.alertId, reason: "rule_removed" }]);
    // The new spec's first window ends after the current watermark, not back at the first item.
    const next = feed(T0 + 55 * MIN, -0.9);
    expect(next.map((t) => [t.kind, t.at])).toEqual([["fire", T0 + 50 * MIN]]);
  });
});
