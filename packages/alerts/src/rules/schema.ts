import { z } from "zod";
import { ENTITY_TYPES, Severity, TopicLabel, describeIssues } from "@finsentry/schemas";
import { DRIFT_TASKS, TASK_LABELS } from "../window/drift.ts";
import { parseDuration } from "../window/duration.ts";

/** A duration as text ("5m", "1h30m"); kept as text so stored rules read like the file they came from. */
const Duration = (min = 0, max = 90 * 86_400_000) =>
  z.string().refine(
    (s) => {
      const ms = parseDuration(s);
      return ms !== null && ms >= min && ms <= max;
    },
    { message: `expected a duration like 30s, 5m, 1h, 1d (between ${min / 1000}s and ${max / 86_400_000}d)` },
  );

const EntityKey = z.string().regex(/^[A-Z]+:.+$/, "expected an entity key like TICKER:TSLA or ORG:tesla");

/** Which entities a rule watches; absent or empty = every entity (a global rule). */
export const RuleScope = z.strictObject({
  entities: z.array(EntityKey).max(5000).optional(),
  tickers: z
    .array(z.string().regex(/^\$?[A-Za-z][A-Za-z0-9.]{0,9}$/, "expected a ticker symbol like TSLA"))
    .max(5000)
    .optional(),
  entity_types: z.array(z.enum(ENTITY_TYPES)).min(1).optional(),
});
export type RuleScope = z.infer<typeof RuleScope>;

export const WindowSpecInput = z
  .strictObject({
    type: z.enum(["sliding", "tumbling"]).default("sliding"),
    size: Duration(60_000, 30 * 86_400_000).default("1h"),
    /** How often a sliding window is evaluated; defaults to size/12 (at least 1m). Tumbling windows step by their size. */
    step: Duration(10_000, 86_400_000).optional(),
    /** Half-life of the entity's EWMA baseline for this window. */
    baseline_half_life: Duration(60_000, 90 * 86_400_000).default("1d"),
  })
  .superRefine((w, ctx) => {
    if (!w.step) return;
    const size = parseDuration(w.size)!;
    const step = parseDuration(w.step)!;
    if (w.type === "tumbling" && step !== size)
      ctx.addIssue({ code: "custom", path: ["step"], message: "a tumbling window steps by its size; omit step" });
    if (step > size) ctx.addIssue({ code: "custom", path: ["step"], message: "step must not exceed size" });
  });

const SentimentMetric = z.enum(["mean", "weighted_mean"]);
const SentimentCondition = z.strictObject({
  metric: SentimentMetric.default("weighted_mean"),
  op: z.enum(["below", "above"]),
  threshold: z.number().min(-1).max(1),
});

const common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "expected 1-64 chars of lowercase letters, digits, '.', '_' or '-'"),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  enabled: z.boolean().default(true),
  severity: Severity,
  scope: RuleScope.optional(),
  window: WindowSpecInput.default({ type: "sliding", size: "1h", baseline_half_life: "1d" }),
  /** Fewer items than this in the window and the condition counts as not met. */
  min_samples: z.int().min(1).max(100_000).default(5),
  /** The condition must hold this long (event time) before the alert fires. */
  for: Duration().default("0s"),
  /** After an alert resolves, the same (rule, entity) cannot fire again for this long. */
  cooldown: Duration().default("1h"),
  /** While firing, an `alert.updated` event is published at most this often. */
  repeat_interval: Duration(60_000).default("30m"),
  /** The condition must be clear this long before the alert resolves (damps flapping). */
  resolve_after: Duration().default("0s"),
  evidence_limit: z.int().min(1).max(50).default(5),
};

const baselineParams = {
  /** Baseline observations (window steps) needed before the rule may fire. */
  baseline_min_windows: z.int().min(1).max(100_000).default(12),
};

export const SentimentLevelRule = z.strictObject({
  ...common,
  type: z.literal("sentiment_level"),
  metric: SentimentMetric.default("weighted_mean"),
  op: z.enum(["below", "above"]),
  threshold: z.number().min(-1).max(1),
});

export const SentimentShiftRule = z.strictObject({
  ...common,
  ...baselineParams,
  type: z.literal("sentiment_shift"),
  metric: SentimentMetric.default("weighted_mean"),
  direction: z.enum(["down", "up"]).default("down"),
  /** How many baseline standard deviations the window must move. */
  std_devs: z.number().positive().max(100),
  /** And by at least this much in absolute score, so a near-constant baseline does not make noise significant. */
  min_shift: z.number().min(0).max(2).default(0.1),
  /** Floor for the baseline std-dev. */
  min_std: z.number().positive().max(2).default(0.05),
});

export const NegativeVolumeSpikeRule = z.strictObject({
  ...common,
  ...baselineParams,
  type: z.literal("negative_volume_spike"),
  /** z-score of the window's bearish mention count against the entity's baseline count. */
  z_score: z.number().positive().max(1000),
  min_bearish: z.int().min(1).default(3),
  /** Floor for the baseline std-dev of counts (1 ≈ Poisson noise for a quiet entity). */
  min_std: z.number().positive().default(1),
});

export const WatchedTopicsRule = z.strictObject({
  ...common,
  min_samples: z.int().min(1).max(100_000).default(1),
  type: z.literal("watched_topics"),
  topics: z.array(TopicLabel).min(1),
  /** Items on the watched topics needed in the window. */
  min_count: z.int().min(1).default(1),
  min_topic_confidence: z.number().min(0).max(1).default(0),
  /** Optional: the watched-topic items' sentiment must also meet this. */
  sentiment: SentimentCondition.optional(),
});

/**
 * Model drift: the window's predicted class distribution for one task (sentiment or topic) against a baseline — the
 * model stream's own EWMA, or a fixed `reference` — and/or its mean confidence against the baseline's.
 * Watches the model's whole output stream (every scored item), never an entity, so it takes no `scope`.
 */
export const DriftRule = z
  .strictObject({
    ...common,
    ...baselineParams,
    scope: z.undefined({ error: "a drift rule watches the model's whole output stream; remove scope" }).optional(),
    /** Small windows make a distribution noisy (more so with 20 topics): judge only windows with this many items. */
    min_samples: z.int().min(1).max(100_000).default(100),
    type: z.literal("drift"),
    task: z.enum(DRIFT_TASKS),
    /** js: Jensen–Shannon distance (0…1); psi: population stability index (0…∞, shares floored at 0.001). */
    measure: z.enum(["js", "psi"]).default("js"),
    /** Divergence from the baseline distribution at or above which the window counts as drifted. */
    threshold: z.number().positive().max(100).optional(),
    /** Mean confidence this far (absolute) below the baseline's at or above which the window counts as drifted. */
    confidence_drop: z.number().positive().max(1).optional(),
    /** A fixed baseline instead of the stream's EWMA: class shares (normalised; missing classes are 0) and/or a mean confidence. */
    reference: z
      .strictObject({
        distribution: z.record(z.string(), z.number().min(0).max(1_000_000)).optional(),
        mean_confidence: z.number().min(0).max(1).optional(),
      })
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.threshold === undefined && r.confidence_drop === undefined) {
      ctx.addIssue({ code: "custom", path: ["threshold"], message: "set threshold (divergence) and/or confidence_drop" });
    }
    if (r.measure === "js" && r.threshold !== undefined && r.threshold > 1) {
      ctx.addIssue({ code: "custom", path: ["threshold"], message: "a Jensen–Shannon distance is at most 1" });
    }
    const dist = r.reference?.distribution;
    if (dist) {
      const known = new Set(TASK_LABELS[r.task]);
      for (const k of Object.keys(dist)) {
        if (!known.has(k))
          ctx.addIssue({
            code: "custom",
            path: ["reference", "distribution", k],
            message: `not a ${r.task} class; expected one of ${TASK_LABELS[r.task].join(", ")}`,
          });
      }
      if (!Object.values(dist).some((v) => v > 0))
        ctx.addIssue({ code: "custom", path: ["reference", "distribution"], message: "needs at least one positive share" });
    }
  });

export const RULE_TYPES = ["sentiment_level", "sentiment_shift", "negative_volume_spike", "watched_topics", "drift"] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const Rule = z.discriminatedUnion("type", [
  SentimentLevelRule,
  SentimentShiftRule,
  NegativeVolumeSpikeRule,
  WatchedTopicsRule,
  DriftRule,
]);
/** A validated rule with defaults filled in, as stored in `alert_rules.definition`. */
export type Rule = z.infer<typeof Rule>;
export type RuleInput = z.input<typeof Rule>;

export class RuleValidationError extends Error {
  constructor(readonly problems: { path: string; message: string }[]) {
    super(`invalid rule: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
  }
}

/** Validates one rule; the error names each bad field (`window.size: expected a duration …`). */
export function parseRule(input: unknown): Rule {
  const r = Rule.safeParse(input);
  if (!r.success) throw new RuleValidationError(describeIssues(r.error));
  return r.data;
}

export function safeParseRule(input: unknown): { ok: true; rule: Rule } | { ok: false; problems: { path: string; message: string }[] } {
  const r = Rule.safeParse(input);
  return r.success ? { ok: true, rule: r.data } : { ok: false, problems: describeIssues(r.error) };
}
