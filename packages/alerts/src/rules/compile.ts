import { CANONICAL_PREFIX, entityTypesOfKey, instrumentIdOfTicker } from "@finsentry/schemas";
import { MODEL_STREAM_KEY } from "../window/contribution.ts";
import { TASK_LABELS, normalize } from "../window/drift.ts";
import { parseDuration } from "../window/duration.ts";
import { makeSpec, type WindowSpec } from "../window/spec.ts";
import type { Rule } from "./schema.ts";

/** A rule ready for evaluation: durations in ms, window spec resolved, scope as a predicate. */
export interface CompiledRule {
  rule: Rule;
  /** Bumped by the store on each change; part of the alert record. */
  version: number;
  spec: WindowSpec;
  forMs: number;
  cooldownMs: number;
  repeatMs: number;
  resolveAfterMs: number;
  /** Explicit entity keys the rule is limited to (null = no key list). */
  keys: Set<string> | null;
  appliesTo(entityKey: string): boolean;
  /** Drift rules: the fixed reference, in the task's class order (null parts come from the EWMA baseline). */
  reference?: { distribution: number[] | null; confidence: number | null };
}

const ms = (d: string) => parseDuration(d)!;

export function compileRule(rule: Rule, version = 1): CompiledRule {
  const w = rule.window;
  const spec = makeSpec(w.type, ms(w.size), w.step ? ms(w.step) : undefined, ms(w.baseline_half_life));
  const timing = {
    rule,
    version,
    spec,
    forMs: ms(rule.for),
    cooldownMs: ms(rule.cooldown),
    repeatMs: ms(rule.repeat_interval),
    resolveAfterMs: ms(rule.resolve_after),
  };
  if (rule.type === "drift") {
    const dist = rule.reference?.distribution;
    return {
      ...timing,
      keys: null,
      appliesTo: (entityKey) => entityKey === MODEL_STREAM_KEY,
      reference: {
        distribution: dist ? normalize(TASK_LABELS[rule.task].map((l) => dist[l] ?? 0)) : null,
        confidence: rule.reference?.mean_confidence ?? null,
      },
    };
  }
  const listed = [
    ...(rule.scope?.entities ?? []),
    ...(rule.scope?.tickers ?? []).map((t) => `TICKER:${t.replace(/^\$/, "").toUpperCase()}`),
    // A ticker also watches its resolved instrument, whose key is its registry id.
    ...(rule.scope?.tickers ?? []).map((t) => `${CANONICAL_PREFIX}${instrumentIdOfTicker(t)}`),
  ];
  const keys = listed.length ? new Set(listed) : null;
  const types = rule.scope?.entity_types ? new Set<string>(rule.scope.entity_types) : null;
  return {
    ...timing,
    keys,
    // The model stream is not an entity: entity rules (even global ones) never see it.
    appliesTo: (entityKey) =>
      entityKey !== MODEL_STREAM_KEY && (!keys || keys.has(entityKey)) && (!types || entityTypesOfKey(entityKey).some((t) => types.has(t))),
  };
}
