import { and, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { entityMentions, items as itemsTable, scores, type Db } from "@finsentry/db";
import { IsoDate, SentimentLabel } from "@finsentry/schemas";
import { AlertCore } from "./engine/core.ts";
import { compileRule } from "./rules/compile.ts";
import { parseRule, type Rule } from "./rules/schema.ts";
import { compareContribution, MODEL_STREAM_KEY, type Contribution } from "./window/contribution.ts";
import { parseDuration } from "./window/duration.ts";

export interface BacktestAlert {
  alert_id: string;
  entity_key: string;
  severity: string;
  fired_at: string;
  resolved_at: string | null;
  summary: string;
  figures: Record<string, number>;
  evidence_item_ids: string[];
  /** `alert.updated` events it would have published while open. */
  updates: number;
}

export interface BacktestResult {
  rule_id: string;
  from: string;
  to: string;
  /** Where replay started, so baselines are warm at `from`. */
  replay_from: string;
  items: number;
  entities: number;
  evaluations: number;
  alerts: BacktestAlert[];
}

/** Validated backtest request (API body, CLI flags). */
export const BacktestRequest = z
  .strictObject({
    from: IsoDate,
    to: IsoDate,
    /** History replayed before `from` to warm baselines; default 3 baseline half-lives (at least one window). */
    warmup: z
      .string()
      .refine((s) => parseDuration(s) !== null, "expected a duration like 2d")
      .optional(),
  })
  .refine((r) => Date.parse(r.to) > Date.parse(r.from), { message: "to must be after from", path: ["to"] })
  .refine((r) => Date.parse(r.to) - Date.parse(r.from) <= 366 * 86_400_000, { message: "range is limited to 366 days", path: ["to"] });
export type BacktestRequest = z.infer<typeof BacktestRequest>;

const DAY = 86_400_000;

/**
 * Replays stored history (items, scores, entity_mentions) through the same engine the alerter runs and returns
 * the alerts `rule` would have fired in [from, to). Uses each item's latest score.
 */
export async function backtestRule(
  db: Db,
  ruleInput: Rule | unknown,
  range: { from: Date | string; to: Date | string; warmup?: string },
): Promise<BacktestResult> {
  const rule = parseRule(ruleInput);
  const cr = compileRule({ ...rule, enabled: true });
  const from = new Date(range.from).getTime();
  const to = new Date(range.to).getTime();
  const halfLife = parseDuration(rule.window.baseline_half_life)!;
  const warmup = range.warmup ? parseDuration(range.warmup)! : Math.max(cr.spec.sizeMs, 3 * halfLife);
  const replayFrom = from - warmup;

  const core = new AlertCore({ latenessMs: 0 });
  core.setRules([cr]);
  const alerts = new Map<string, BacktestAlert>();
  const entities = new Set<string>();
  let items = 0;
  let evaluations = 0;

  const collect = (ts: ReturnType<AlertCore["advance"]>) => {
    for (const t of ts) {
      if (t.kind === "fire" && t.at >= from && t.at < to) {
        alerts.set(t.alertId, {
          alert_id: t.alertId,
          entity_key: t.entityKey,
          severity: rule.severity,
          fired_at: new Date(t.at).toISOString(),
          resolved_at: null,
          summary: t.summary,
          figures: t.figures,
          evidence_item_ids: t.evidence,
          updates: 0,
        });
      }
      const a = alerts.get(t.alertId);
      if (!a) continue;
      // Evidence grows while the alert is open, as the live alert row's does.
      a.evidence_item_ids = t.evidence;
      if (t.kind === "update") a.updates++;
      if (t.kind === "resolve") a.resolved_at = new Date(t.at).toISOString();
    }
    evaluations += core.evaluations;
    core.evaluations = 0;
  };

  for (let a = replayFrom; a < to; a += DAY) {
    const b = Math.min(a + DAY, to);
    const chunk = rule.type === "drift" ? await loadModelStream(db, a, b) : await loadContributions(db, a, b, cr.keys);
    for (const c of chunk) {
      if (!cr.appliesTo(c.entityKey)) continue;
      core.observe("backtest", c.t);
      items += core.ingest([c]);
      entities.add(c.entityKey);
    }
    collect(core.advance());
  }
  collect(core.advanceTo(to));

  return {
    rule_id: rule.id,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    replay_from: new Date(replayFrom).toISOString(),
    items,
    entities: entities.size,
    evaluations,
    alerts: [...alerts.values()].sort((x, y) => x.fired_at.localeCompare(y.fired_at) || x.entity_key.localeCompare(y.entity_key)),
  };
}

/** Contributions with event time in [a, b), one per (item, entity), from the item's most recent score. */
async function loadContributions(db: Db, a: number, b: number, keys: Set<string> | null): Promise<Contribution[]> {
  const rows = await db
    .select({
      itemId: entityMentions.itemId,
      entityKey: entityMentions.entityKey,
      t: sql<number>`(extract(epoch from ${entityMentions.publishedAt}) * 1000)::float8`,
      scoredAt: sql<number>`extract(epoch from ${scores.scoredAt})::float8`,
      score: scores.sentimentScore,
      confidence: scores.confidence,
      label: scores.sentiment,
      topic: scores.topic,
      topicConfidence: scores.topicConfidence,
    })
    .from(entityMentions)
    .innerJoin(scores, eq(scores.itemId, entityMentions.itemId))
    .where(
      and(
        gte(entityMentions.publishedAt, new Date(a).toISOString()),
        lt(entityMentions.publishedAt, new Date(b).toISOString()),
        keys ? inArray(entityMentions.entityKey, [...keys]) : undefined,
      ),
    );
  return newestScores(rows, (r) => `${r.itemId}\n${r.entityKey}`)
    .map(toContribution)
    .sort(compareContribution);
}

/** The model stream (drift rules): every item with event time in [a, b), from its most recent score. */
async function loadModelStream(db: Db, a: number, b: number): Promise<Contribution[]> {
  const rows = await db
    .select({
      itemId: scores.itemId,
      t: sql<number>`(extract(epoch from ${itemsTable.publishedAt}) * 1000)::float8`,
      scoredAt: sql<number>`extract(epoch from ${scores.scoredAt})::float8`,
      score: scores.sentimentScore,
      confidence: scores.confidence,
      label: scores.sentiment,
      topic: scores.topic,
      topicConfidence: scores.topicConfidence,
    })
    .from(scores)
    .innerJoin(itemsTable, eq(itemsTable.id, scores.itemId))
    .where(and(gte(itemsTable.publishedAt, new Date(a).toISOString()), lt(itemsTable.publishedAt, new Date(b).toISOString())));
  return newestScores(rows, (r) => r.itemId)
    .map((r) => toContribution({ ...r, entityKey: MODEL_STREAM_KEY }))
    .sort(compareContribution);
}

/** One row per key: the one from the most recent score (an item rescored by a later model version counts once). */
function newestScores<R extends { scoredAt: number }>(rows: R[], key: (r: R) => string): R[] {
  const best = new Map<string, R>();
  for (const r of rows) {
    const prev = best.get(key(r));
    if (!prev || Number(r.scoredAt) > Number(prev.scoredAt)) best.set(key(r), r);
  }
  return [...best.values()];
}

function toContribution(r: {
  itemId: string;
  entityKey: string;
  t: number;
  score: number;
  confidence: number;
  label: string;
  topic: string;
  topicConfidence: number;
}): Contribution {
  const label = SentimentLabel.safeParse(r.label);
  return {
    itemId: r.itemId,
    entityKey: r.entityKey,
    t: Number(r.t),
    score: r.score,
    confidence: r.confidence,
    bearish: r.label === "bearish",
    ...(label.success ? { label: label.data } : {}),
    topic: r.topic,
    topicConfidence: r.topicConfidence,
  };
}
