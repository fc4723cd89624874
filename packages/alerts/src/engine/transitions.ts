import { createHash } from "node:crypto";
import type { CompiledRule } from "../rules/compile.ts";
import type { Verdict } from "../rules/evaluate.ts";

/** Lifecycle of one (rule, entity) in event time; persisted so `for`, cooldown and open alerts survive restarts. */
export interface RuleEntityState {
  pendingSince: number | null;
  falseSince: number | null;
  open: { alertId: string; firedAt: number; lastNotifiedAt: number; evidence: string[] } | null;
  lastResolvedAt: number | null;
}

export const initialState = (): RuleEntityState => ({ pendingSince: null, falseSince: null, open: null, lastResolvedAt: null });

export const isIdle = (s: RuleEntityState) => s.pendingSince === null && s.falseSince === null && s.open === null;

/** What the engine asks the alert store to do. `refresh` updates the row only; the others also publish an event. */
export interface Transition {
  kind: "fire" | "refresh" | "update" | "resolve";
  alertId: string;
  /** Null only for resolving an alert whose rule no longer exists. */
  rule: CompiledRule | null;
  entityKey: string;
  /** Event time of the evaluation (window end). */
  at: number;
  figures: Record<string, number>;
  evidence: string[];
  summary: string;
  reason?: "cleared" | "rule_removed";
}

/** Deterministic, so a replayed fire (after a crash before commit) or a backtest yields the same id. */
export function alertIdFor(ruleId: string, entityKey: string, firedAt: number): string {
  return "al_" + createHash("sha256").update(`${ruleId}\n${entityKey}\n${firedAt}`).digest("hex").slice(0, 24);
}

const MAX_EVIDENCE = 50;

/**
 * Advances one (rule, entity) by one evaluation: pending → (after `for`, outside cooldown) fire; while true, refresh
 * every step and publish an update every repeat interval; once clear for `resolve_after`, resolve.
 */
export function advanceState(s: RuleEntityState, cr: CompiledRule, entityKey: string, at: number, v: Verdict): Transition | null {
  const base = () => ({ rule: cr, entityKey, at, ...v.detail() });
  if (v.met) {
    s.falseSince = null;
    if (s.open) {
      s.open.evidence = mergeEvidence(s.open.evidence, v.evidence);
      const due = at - s.open.lastNotifiedAt >= cr.repeatMs;
      if (due) s.open.lastNotifiedAt = at;
      return { ...base(), kind: due ? "update" : "refresh", alertId: s.open.alertId, evidence: s.open.evidence };
    }
    s.pendingSince ??= at;
    const held = at - s.pendingSince >= cr.forMs;
    const cooled = s.lastResolvedAt === null || at - s.lastResolvedAt >= cr.cooldownMs;
    if (!held || !cooled) return null;
    const alertId = alertIdFor(cr.rule.id, entityKey, at);
    s.open = { alertId, firedAt: at, lastNotifiedAt: at, evidence: v.evidence.slice(0, MAX_EVIDENCE) };
    s.pendingSince = null;
    return { ...base(), kind: "fire", alertId, evidence: s.open.evidence };
  }
  s.pendingSince = null;
  if (!s.open) return null;
  s.falseSince ??= at;
  if (at - s.falseSince < cr.resolveAfterMs) return null;
  const t: Transition = { ...base(), kind: "resolve", alertId: s.open.alertId, evidence: s.open.evidence, reason: "cleared" };
  s.open = null;
  s.falseSince = null;
  s.lastResolvedAt = at;
  return t;
}

/** Evidence keeps the fire-time contributors first and adds new ones while the alert stays open. */
function mergeEvidence(prev: string[], next: string[]): string[] {
  if (prev.length >= MAX_EVIDENCE) return prev;
  const seen = new Set(prev);
  const out = [...prev];
  for (const id of next) if (!seen.has(id) && out.length < MAX_EVIDENCE) out.push(id);
  return out;
}
