import type { CompiledRule } from "../rules/compile.ts";
import { evaluateRule } from "../rules/evaluate.ts";
import { EntityBuffer } from "../window/buffer.ts";
import { MODEL_STREAM_KEY, type Contribution } from "../window/contribution.ts";
import { emptyDriftBaseline, updateDriftBaseline } from "../window/drift.ts";
import { emptyBaseline, ewmaUpdateRobust, ewmaZeros, type Baseline } from "../window/ewma.ts";
import { computeFigures, driftOf, type WindowFigures } from "../window/figures.ts";
import { alignDown, type WindowSpec } from "../window/spec.ts";
import { advanceState, initialState, isIdle, type RuleEntityState, type Transition } from "./transitions.ts";
import { Watermark } from "./watermark.ts";

/** Clipping floors for baseline updates: about one mention of count noise, 0.05 of sentiment noise. */
const COUNT_STD_FLOOR = 1;
const SENTIMENT_STD_FLOOR = 0.05;

export interface CoreOptions {
  latenessMs: number;
  expectedPartitions?: number;
  idlePartitionMs?: number;
  /** Items further than this ahead of `wallNow` do not move the watermark (a bad clock must not make everything late). */
  maxFutureMs?: number;
  wallNow?: () => number;
}

export type Arrival = "on_time" | "late" | "future";

/** Everything that changed since the last `takeDirty`, for the checkpoint. */
export interface DirtyState {
  baselines: { specKey: string; entityKey: string; state: Baseline }[];
  ruleStates: { ruleId: string; entityKey: string; state: RuleEntityState | null }[];
  meta: { partitions: Record<string, number>; watermark: number | null; specCursors: Record<string, number> };
}

interface SpecGroup {
  spec: WindowSpec;
  rules: CompiledRule[];
}

/**
 * The event-time alert engine, in memory and free of I/O: the live alerter and the backtest both drive it.
 * Windows are evaluated at step-aligned ends once the watermark has passed them, so results do not depend on
 * arrival order within the allowed lateness.
 */
export class AlertCore {
  readonly buffer = new EntityBuffer();
  readonly watermark: Watermark;
  private rules = new Map<string, CompiledRule>();
  private specs = new Map<string, SpecGroup>();
  private cursors = new Map<string, number>();
  private baselines = new Map<string, Map<string, Baseline>>();
  private states = new Map<string, Map<string, RuleEntityState>>();
  /** Per rule: entities whose state is not idle (pending, open or clearing) — evaluated even with an empty window. */
  private active = new Map<string, Set<string>>();
  private dirtyBaselines = new Set<string>();
  private dirtyStates = new Set<string>();
  private minSeen: number | null = null;
  private driftRules = false;
  private readonly maxFutureMs: number;
  private readonly wallNow: () => number;
  /** Rule × entity evaluations performed (for metrics and the bench). */
  evaluations = 0;

  constructor(private readonly opts: CoreOptions) {
    this.wallNow = opts.wallNow ?? Date.now;
    this.maxFutureMs = opts.maxFutureMs ?? Infinity;
    this.watermark = new Watermark(opts.latenessMs, {
      expectedPartitions: opts.expectedPartitions ?? 1,
      idleMs: opts.idlePartitionMs ?? 0,
      wallNow: this.wallNow,
    });
  }

  get currentWatermark(): number | null {
    return this.watermark.current;
  }

  ruleList(): CompiledRule[] {
    return [...this.rules.values()];
  }

  /** Whether an enabled drift rule needs the model-stream contributions (feeders skip them otherwise). */
  get wantsModelStream(): boolean {
    return this.driftRules;
  }

  /**
   * Swaps the rule set. Open alerts of rules that are gone or disabled are resolved; a new window spec starts
   * evaluating at the current watermark.
   */
  setRules(next: CompiledRule[]): Transition[] {
    const out: Transition[] = [];
    const enabled = new Map(next.filter((r) => r.rule.enabled).map((r) => [r.rule.id, r]));
    const at = this.watermark.current ?? this.wallNow();
    for (const [ruleId, byEntity] of this.states) {
      if (enabled.has(ruleId)) continue;
      const old = this.rules.get(ruleId);
      for (const [entityKey, s] of byEntity) {
        if (s.open) {
          out.push({
            kind: "resolve",
            alertId: s.open.alertId,
            rule: old ?? null,
            entityKey,
            at,
            figures: {},
            evidence: s.open.evidence,
            summary: "rule removed or disabled",
            reason: "rule_removed",
          });
        }
        this.dirtyStates.add(`${ruleId}\n${entityKey}`);
      }
      byEntity.clear();
      this.active.delete(ruleId);
    }
    // A rule whose scope no longer covers an entity closes that entity's alert.
    for (const [ruleId, r] of enabled) {
      for (const [entityKey, s] of this.states.get(ruleId) ?? []) {
        if (r.appliesTo(entityKey)) continue;
        if (s.open)
          out.push({
            kind: "resolve",
            alertId: s.open.alertId,
            rule: r,
            entityKey,
            at,
            figures: {},
            evidence: s.open.evidence,
            summary: "entity no longer in the rule's scope",
            reason: "rule_removed",
          });
        this.states.get(ruleId)!.delete(entityKey);
        this.active.get(ruleId)?.delete(entityKey);
        this.dirtyStates.add(`${ruleId}\n${entityKey}`);
      }
    }
    this.rules = enabled;
    this.driftRules = [...enabled.values()].some((r) => r.rule.type === "drift");
    this.specs.clear();
    for (const r of enabled.values()) {
      const g = this.specs.get(r.spec.key);
      if (g) g.rules.push(r);
      else this.specs.set(r.spec.key, { spec: r.spec, rules: [r] });
    }
    for (const key of [...this.cursors.keys()]) if (!this.specs.has(key)) this.cursors.delete(key);
    for (const key of [...this.baselines.keys()]) if (!this.specs.has(key)) this.baselines.delete(key);
    const w = this.watermark.current;
    for (const [key, g] of this.specs) if (!this.cursors.has(key) && w !== null) this.cursors.set(key, alignDown(w, g.spec.stepMs));
    return out;
  }

  /** Where an item with event time `t` falls relative to the watermark (before this batch advances it). */
  classify(t: number): Arrival {
    if (t > this.wallNow() + this.maxFutureMs) return "future";
    const w = this.watermark.current;
    return w !== null && t < w ? "late" : "on_time";
  }

  /** Notes an item's event time for the watermark; future items are kept out of it. */
  observe(partition: string, t: number): void {
    if (this.classify(t) !== "future") this.watermark.observe(partition, t);
  }

  /** Adds contributions to the windows; returns how many were new. */
  ingest(contribs: Contribution[]): number {
    let n = 0;
    for (const c of contribs) {
      if (!this.buffer.insert(c)) continue;
      n++;
      if (this.minSeen === null || c.t < this.minSeen) this.minSeen = c.t;
    }
    return n;
  }

  /** Recomputes the watermark and evaluates every window end it has passed. */
  advance(): Transition[] {
    this.watermark.recompute();
    return this.evaluateUpTo(this.watermark.current);
  }

  /** Forces the watermark to `t` (idle advance, end of a backtest) and evaluates up to it. */
  advanceTo(t: number): Transition[] {
    this.watermark.raiseTo(t);
    return this.evaluateUpTo(this.watermark.current);
  }

  /** Evaluates every window end the watermark `w` has passed, moves the cursors past them, then prunes the buffer. */
  private evaluateUpTo(w: number | null): Transition[] {
    const out: Transition[] = [];
    if (w === null) return out;
    for (const d of this.dueWindowEnds(w)) {
      this.evaluateStep(d.g, d.end, out);
      this.cursors.set(d.key, d.end);
    }
    this.prune();
    return out;
  }

  /**
   * All due window ends of all specs up to `w`, in time order (then spec key), so the order of transitions does not
   * depend on how input was split into batches.
   */
  private dueWindowEnds(w: number): { end: number; key: string; g: SpecGroup }[] {
    const due: { end: number; key: string; g: SpecGroup }[] = [];
    for (const [key, g] of this.specs) {
      const cursor = this.cursorFor(key, g);
      if (cursor === undefined) continue;
      for (let end = cursor + g.spec.stepMs; end <= w; end += g.spec.stepMs) due.push({ end, key, g });
    }
    due.sort((a, b) => a.end - b.end || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return due;
  }

  /**
   * The spec's last evaluated window end. A spec without one starts at the step before the earliest item seen (and
   * remembers it); with nothing seen yet there is nothing to evaluate.
   */
  private cursorFor(key: string, g: SpecGroup): number | undefined {
    let cursor = this.cursors.get(key);
    if (cursor === undefined) {
      if (this.minSeen === null) return undefined;
      cursor = alignDown(this.minSeen, g.spec.stepMs);
      this.cursors.set(key, cursor);
    }
    return cursor;
  }

  /** Evaluates one window end of a spec: every rule of it for every entity that has items or an active state. */
  private evaluateStep(g: SpecGroup, end: number, out: Transition[]): void {
    const { spec } = g;
    const start = end - spec.sizeMs;
    for (const entityKey of this.stepCandidates(g, start, end)) {
      const rules = g.rules.filter((r) => r.appliesTo(entityKey));
      if (rules.length === 0) continue;
      const f = computeFigures(this.buffer.range(entityKey, start, end), start, end);
      const b = this.baselineFor(spec, entityKey, end);
      for (const r of rules) this.evaluateEntityRule(r, entityKey, end, f, b, out);
      // The window is judged against the baseline before it, then folded in.
      this.foldIntoBaseline(spec, entityKey, end, f, b);
    }
  }

  /**
   * Entities to evaluate at a window end: those with items in [start, end), plus those with a non-idle state in one
   * of the spec's rules (an empty window must still be able to clear or resolve them).
   */
  private stepCandidates(g: SpecGroup, start: number, end: number): Set<string> {
    const candidates = new Set<string>();
    for (const e of this.buffer.entities()) if (this.buffer.hasAny(e, start, end)) candidates.add(e);
    for (const r of g.rules) for (const e of this.active.get(r.rule.id) ?? []) candidates.add(e);
    return candidates;
  }

  /** Runs one rule on one entity's window and steps its state machine, recording the transition and what changed. */
  private evaluateEntityRule(r: CompiledRule, entityKey: string, end: number, f: WindowFigures, b: Baseline, out: Transition[]): void {
    this.evaluations++;
    const v = evaluateRule(r, f, b);
    const s = this.stateFor(r.rule.id, entityKey);
    const wasIdle = isIdle(s);
    const t = advanceState(s, r, entityKey, end, v);
    if (t) out.push(t);
    // An idle state that stays idle has not changed (lastResolvedAt only moves on a resolve).
    if (!wasIdle || !isIdle(s)) this.dirtyStates.add(`${r.rule.id}\n${entityKey}`);
    this.markActivity(r.rule.id, entityKey, s);
  }

  /**
   * Folds the window's figures into the entity's baseline (after the rules were judged against it). Sentiment
   * baselines only learn from windows with mentions: an empty window has no sentiment, not a neutral one.
   */
  private foldIntoBaseline(spec: WindowSpec, entityKey: string, end: number, f: WindowFigures, b: Baseline): void {
    ewmaUpdateRobust(b.count, f.count, spec.alpha, COUNT_STD_FLOOR);
    ewmaUpdateRobust(b.bearish, f.bearish, spec.alpha, COUNT_STD_FLOOR);
    if (f.count > 0) {
      ewmaUpdateRobust(b.mean, f.mean, spec.alpha, SENTIMENT_STD_FLOOR);
      ewmaUpdateRobust(b.weighted_mean, f.weightedMean, spec.alpha, SENTIMENT_STD_FLOOR);
      if (entityKey === MODEL_STREAM_KEY) updateDriftBaseline((b.drift ??= emptyDriftBaseline()), driftOf(f), spec.alpha);
    }
    b.lastEnd = end;
    this.dirtyBaselines.add(`${spec.key}\n${entityKey}`);
  }

  /** The entity's baseline, with the empty windows it skipped since its last evaluation folded in as zero counts. */
  private baselineFor(spec: WindowSpec, entityKey: string, end: number): Baseline {
    let m = this.baselines.get(spec.key);
    if (!m) this.baselines.set(spec.key, (m = new Map()));
    let b = m.get(entityKey);
    if (!b) m.set(entityKey, (b = emptyBaseline()));
    if (b.lastEnd !== null) {
      const skipped = Math.round((end - b.lastEnd) / spec.stepMs) - 1;
      if (skipped > 0) {
        ewmaZeros(b.count, skipped, spec.alpha, COUNT_STD_FLOOR);
        ewmaZeros(b.bearish, skipped, spec.alpha, COUNT_STD_FLOOR);
      }
    }
    return b;
  }

  private stateFor(ruleId: string, entityKey: string): RuleEntityState {
    let m = this.states.get(ruleId);
    if (!m) this.states.set(ruleId, (m = new Map()));
    let s = m.get(entityKey);
    if (!s) m.set(entityKey, (s = initialState()));
    return s;
  }

  private markActivity(ruleId: string, entityKey: string, s: RuleEntityState): void {
    let a = this.active.get(ruleId);
    if (!a) this.active.set(ruleId, (a = new Set()));
    if (!isIdle(s)) a.add(entityKey);
    else {
      a.delete(entityKey);
      // Nothing to remember (no cooldown running): forget it, so memory follows active entities only.
      if (s.lastResolvedAt === null) this.states.get(ruleId)?.delete(entityKey);
    }
  }

  /** Keeps only what windows not yet evaluated can still need. */
  private prune(): void {
    let keepFrom = Infinity;
    for (const [key, g] of this.specs) {
      const c = this.cursors.get(key);
      if (c === undefined) return;
      keepFrom = Math.min(keepFrom, c + g.spec.stepMs - g.spec.sizeMs);
    }
    if (Number.isFinite(keepFrom)) this.buffer.prune(keepFrom);
  }

  /** Earliest event time windows still need (what a restart must reload). */
  retentionStart(): number | null {
    let keepFrom: number | null = null;
    for (const [key, g] of this.specs) {
      const c = this.cursors.get(key);
      if (c === undefined) return null;
      const k = c + g.spec.stepMs - g.spec.sizeMs;
      if (keepFrom === null || k < keepFrom) keepFrom = k;
    }
    return keepFrom;
  }

  /** Open alert of (rule, entity), if the engine believes one is open. */
  openAlert(ruleId: string, entityKey: string): string | null {
    return this.states.get(ruleId)?.get(entityKey)?.open?.alertId ?? null;
  }

  openAlertIds(): Map<string, { ruleId: string; entityKey: string }> {
    const out = new Map<string, { ruleId: string; entityKey: string }>();
    for (const [ruleId, m] of this.states) for (const [entityKey, s] of m) if (s.open) out.set(s.open.alertId, { ruleId, entityKey });
    return out;
  }

  /** An alert was resolved outside the engine (API): start its cooldown at the current watermark. */
  closedExternally(alertId: string): boolean {
    for (const [ruleId, m] of this.states) {
      for (const [entityKey, s] of m) {
        if (s.open?.alertId !== alertId) continue;
        s.open = null;
        s.falseSince = null;
        s.pendingSince = null;
        s.lastResolvedAt = this.watermark.current ?? s.lastResolvedAt;
        this.dirtyStates.add(`${ruleId}\n${entityKey}`);
        this.markActivity(ruleId, entityKey, s);
        return true;
      }
    }
    return false;
  }

  /** An alert open in the database that the checkpoint does not know: continue it instead of firing a second one. */
  adoptOpen(ruleId: string, entityKey: string, open: NonNullable<RuleEntityState["open"]>): void {
    if (!this.rules.has(ruleId)) return;
    const s = this.stateFor(ruleId, entityKey);
    if (s.open?.alertId === open.alertId) return;
    s.open = open;
    s.pendingSince = null;
    this.dirtyStates.add(`${ruleId}\n${entityKey}`);
    this.markActivity(ruleId, entityKey, s);
  }

  takeDirty(): DirtyState {
    const baselines: DirtyState["baselines"] = [];
    for (const k of this.dirtyBaselines) {
      const [specKey, entityKey] = k.split("\n") as [string, string];
      const state = this.baselines.get(specKey)?.get(entityKey);
      if (state) baselines.push({ specKey, entityKey, state });
    }
    const ruleStates: DirtyState["ruleStates"] = [];
    for (const k of this.dirtyStates) {
      const [ruleId, entityKey] = k.split("\n") as [string, string];
      const s = this.states.get(ruleId)?.get(entityKey);
      ruleStates.push({ ruleId, entityKey, state: s && (!isIdle(s) || s.lastResolvedAt !== null) ? s : null });
    }
    this.dirtyBaselines.clear();
    this.dirtyStates.clear();
    const wm = this.watermark.toJSON();
    return {
      baselines,
      ruleStates,
      meta: { partitions: wm.partitions, watermark: wm.value, specCursors: Object.fromEntries(this.cursors) },
    };
  }

  /** Restores a checkpoint (before `setRules`, so known specs keep their cursors). */
  restore(cp: {
    meta: DirtyState["meta"] | null;
    baselines: { specKey: string; entityKey: string; state: Baseline }[];
    ruleStates: { ruleId: string; entityKey: string; state: RuleEntityState }[];
    items: Contribution[];
  }): void {
    if (cp.meta) {
      this.watermark.load({ partitions: cp.meta.partitions, value: cp.meta.watermark });
      for (const [k, v] of Object.entries(cp.meta.specCursors)) this.cursors.set(k, v);
    }
    for (const b of cp.baselines) {
      let m = this.baselines.get(b.specKey);
      if (!m) this.baselines.set(b.specKey, (m = new Map()));
      m.set(b.entityKey, b.state);
    }
    for (const r of cp.ruleStates) {
      let m = this.states.get(r.ruleId);
      if (!m) this.states.set(r.ruleId, (m = new Map()));
      m.set(r.entityKey, r.state);
      this.markActivity(r.ruleId, r.entityKey, r.state);
    }
    this.ingest(cp.items);
  }
}
