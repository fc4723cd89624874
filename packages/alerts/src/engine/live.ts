import { lateItems, type Db } from "@finsentry/db";
import type { Batch, Bus } from "@finsentry/bus";
import type { Logger } from "@finsentry/core";
import { ScoredItemV1, TOPICS, describeIssues, type ScoredItem } from "@finsentry/schemas";
import { m } from "../metrics.ts";
import { loadCompiledRules, ruleSignature } from "../rules/store.ts";
import { contributionsOf, modelStreamContribution, type Contribution } from "../window/contribution.ts";
import { applyTransitions, flushOutbox, openAlerts, resolvedAmong } from "./alert-store.ts";
import { insertContributions, loadCheckpoint, pruneContributions, saveCheckpoint } from "./checkpoint.ts";
import { AlertCore } from "./core.ts";
import type { Transition } from "./transitions.ts";

export interface EngineOptions {
  /** How far behind the newest event time an item may arrive and still land in its windows. */
  latenessMs: number;
  /** Input partitions to hear from before the watermark first moves (see Watermark). */
  expectedPartitions: number;
  /** A partition silent this long stops holding the watermark back. */
  idlePartitionMs: number;
  /** Items dated further than this after `now` are recorded as `future` and do not move the watermark. */
  maxFutureMs: number;
  /**
   * With no input for this long while the stream is live (newest event within `liveHorizonMs` of now), the
   * watermark follows the clock so quiet periods still resolve alerts. 0 = off.
   */
  idleAdvanceMs: number;
  liveHorizonMs: number;
  alertsTopic: string;
  /** Counted items are kept this long past the oldest open window (idempotency across late redeliveries). */
  retainItemsMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: EngineOptions = {
  latenessMs: 2 * 60_000,
  expectedPartitions: 3,
  idlePartitionMs: 30_000,
  maxFutureMs: 10 * 60_000,
  idleAdvanceMs: 60_000,
  liveHorizonMs: 60 * 60_000,
  alertsTopic: TOPICS.alerts,
  retainItemsMs: 7 * 86_400_000,
};

export interface EngineStatus {
  watermark: string | null;
  maxEventTime: string | null;
  rules: number;
  entities: number;
  openAlerts: number;
}

/**
 * Called first inside every transaction that writes engine state; throws (LeadershipLost) when this process may no
 * longer write — the fencing half of alerter high availability (src/ha/lease.ts).
 */
export type Fence = (tx: Db) => Promise<void>;

/** Thrown by a fence: another alerter holds the lease now. The batch is not retried by this engine. */
export class LeadershipLost extends Error {
  constructor(message = "alerter leadership lost") {
    super(message);
    this.name = "LeadershipLost";
  }
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/**
 * The live alert engine: AlertCore plus durability. Each batch is one transaction — counted items (the idempotency
 * set), late-item records, alert rows/events and the engine checkpoint — and events are published from the outbox
 * after commit. Batches, reloads and ticks run one at a time.
 */
export class AlertEngine {
  private core!: AlertCore;
  private signature = "";
  private chain: Promise<unknown> = Promise.resolve();
  private lastArrival: number | null = null;
  private lastPrune = 0;
  /** Set when a write failed after memory changed: the next operation first reloads committed state. */
  private broken = true;
  /** Set once a fence refused a write: another alerter leads, this engine is finished. */
  private retired = false;

  private constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly log: Logger,
    private readonly now: () => Date,
    readonly options: EngineOptions,
    private readonly fence: Fence,
  ) {}

  static async open(deps: {
    db: Db;
    bus: Bus;
    log: Logger;
    now?: () => Date;
    options?: Partial<EngineOptions>;
    fence?: Fence;
  }): Promise<AlertEngine> {
    const e = new AlertEngine(
      deps.db,
      deps.bus,
      deps.log,
      deps.now ?? (() => new Date()),
      { ...DEFAULT_ENGINE_OPTIONS, ...deps.options },
      deps.fence ?? (async () => {}),
    );
    await e.rebuild();
    await e.publish();
    return e;
  }

  private wallNow = () => this.now().getTime();

  /** Runs `fn` after everything queued before it (batches, reloads, ticks never interleave), on healthy state. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const guarded = async () => {
      if (this.retired) throw new LeadershipLost();
      try {
        if (this.broken) await this.rebuild();
        return await fn();
      } catch (err) {
        // Fenced out: this engine never writes again (its owner starts a fresh one if it leads again).
        if (err instanceof LeadershipLost) this.retired = true;
        throw err;
      }
    };
    const run = this.chain.then(guarded, guarded);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Waits for queued work to finish. */
  async idle(): Promise<void> {
    await this.chain;
  }

  /** (Re)builds the in-memory engine from committed state: rules, checkpoint, retained items, open alerts. */
  private async rebuild(): Promise<void> {
    this.broken = true;
    const { rules, invalid, signature } = await loadCompiledRules(this.db);
    for (const i of invalid) this.log.error({ rule: i.id, problems: i.problems }, "stored rule is invalid; skipped");
    const maxSpan = Math.max(0, ...rules.map((r) => r.spec.sizeMs + r.spec.stepMs));
    const core = new AlertCore({
      latenessMs: this.options.latenessMs,
      expectedPartitions: this.options.expectedPartitions,
      idlePartitionMs: this.options.idlePartitionMs,
      maxFutureMs: this.options.maxFutureMs,
      wallNow: this.wallNow,
    });
    const cp = await loadCheckpoint(this.db, (meta) => (meta?.watermark == null ? null : meta.watermark - maxSpan));
    core.restore(cp);
    const ts = core.setRules(rules);
    const running = new Set(core.ruleList().map((r) => r.rule.id));
    const resolving = new Set(ts.map((t) => t.alertId));
    for (const a of await openAlerts(this.db)) {
      if (running.has(a.ruleId)) {
        core.adoptOpen(a.ruleId, a.entityKey, {
          alertId: a.id,
          firedAt: a.firedAt.getTime(),
          lastNotifiedAt: a.updatedAt.getTime(),
          evidence: a.evidenceItemIds,
        });
      } else if (!resolving.has(a.id)) {
        // Its rule was deleted or disabled while we were down and the checkpoint did not know the alert.
        ts.push({
          kind: "resolve",
          alertId: a.id,
          rule: null,
          entityKey: a.entityKey,
          at: core.currentWatermark ?? this.wallNow(),
          figures: {},
          evidence: a.evidenceItemIds,
          summary: "rule removed or disabled",
          reason: "rule_removed",
        });
      }
    }
    this.core = core;
    this.signature = signature;
    this.lastArrival ??= this.wallNow();
    m.rules.set(rules.filter((r) => r.rule.enabled).length);
    await this.syncExternal();
    await this.commit(ts);
    this.broken = false;
    this.log.info({ rules: rules.length, items: cp.items.length, watermark: iso(core.currentWatermark) }, "alert engine state loaded");
  }

  /** Applies transitions and saves the checkpoint in one transaction. */
  private async commit(ts: Transition[]): Promise<void> {
    try {
      await this.db.transaction(async (tx) => {
        await this.fence(tx);
        const { closedExternally } = await applyTransitions(tx, ts);
        for (const id of closedExternally) this.core.closedExternally(id);
        await saveCheckpoint(tx, this.core.takeDirty());
      });
    } catch (err) {
      this.broken = true;
      throw err;
    }
    const w = this.core.currentWatermark;
    if (w !== null) m.watermark.set(w / 1000);
  }

  /** Alerts resolved through the API since we last looked start their cooldown now. */
  private async syncExternal(): Promise<void> {
    for (const id of await resolvedAmong(this.db, [...this.core.openAlertIds().keys()])) this.core.closedExternally(id);
  }

  private async publish(): Promise<void> {
    try {
      await flushOutbox(this.db, this.bus, this.options.alertsTopic);
    } catch (err) {
      // Events stay in the outbox and go out on the next flush.
      this.log.warn({ err }, "publishing alert events failed; will retry");
    }
  }

  /** One bus batch of `items.scored`. Throws (so the batch is redelivered) only when the database write fails. */
  handleBatch(batch: Batch): Promise<void> {
    return this.exclusive(async () => {
      const stop = m.batchSeconds.startTimer();
      const scored: ScoredItem[] = [];
      for (const msg of batch.messages) {
        const s = parseScored(msg.value);
        if (s.ok) scored.push(s.item);
        else {
          m.items.inc({ outcome: "invalid" });
          this.log.warn(
            { topic: msg.topic, partition: msg.partition, offset: msg.offset, problems: s.problems },
            "invalid scored item skipped",
          );
        }
      }
      const partition = `${batch.topic}/${batch.partition}`;
      let lateCount = 0;
      try {
        await this.syncExternal();
        // Every item also feeds the model-stream windows, but only while a drift rule needs them.
        const stream = this.core.wantsModelStream;
        const byItem = scored.map((s) => {
          const cs = contributionsOf(s);
          return { s, t: Date.parse(s.item.published_at), cs, all: stream ? [...cs, modelStreamContribution(s)] : cs };
        });
        await this.db.transaction(async (tx) => {
          await this.fence(tx);
          const fresh = await insertContributions(
            tx,
            byItem.flatMap((x) => x.all),
          );
          const late: (typeof lateItems.$inferInsert)[] = [];
          for (const { s, t, cs, all } of byItem) {
            const mine: Contribution[] = all.filter((c) => fresh.has(`${c.itemId}\n${c.entityKey}`));
            const arrival = this.core.classify(t);
            this.core.observe(partition, t);
            if (cs.length === 0) m.items.inc({ outcome: "no_entities" });
            else if (mine.length === 0) m.items.inc({ outcome: "duplicate" });
            else m.items.inc({ outcome: "counted" });
            if (mine.length > 0) {
              this.core.ingest(mine);
              if (arrival !== "on_time") {
                const w = this.core.currentWatermark ?? t;
                late.push({
                  itemId: s.item.id,
                  entityKeys: mine.map((c) => c.entityKey),
                  eventTime: t,
                  watermark: w,
                  latenessMs: w - t,
                  reason: arrival,
                });
                m.late.inc({ reason: arrival });
              }
            }
          }
          if (late.length) await tx.insert(lateItems).values(late).onConflictDoNothing();
          lateCount = late.length;
          const ts = this.core.advance();
          m.evaluations.inc(this.core.evaluations);
          this.core.evaluations = 0;
          const { closedExternally } = await applyTransitions(tx, ts);
          for (const id of closedExternally) this.core.closedExternally(id);
          await saveCheckpoint(tx, this.core.takeDirty());
        });
        if (lateCount) this.log.info({ n: lateCount }, "late items recorded");
      } catch (err) {
        if (err instanceof LeadershipLost) {
          // Another alerter leads now: nothing was written; our state is stale and is dropped with this engine.
          this.broken = true;
          throw err;
        }
        // Memory may hold changes that were rolled back: reload what was committed; the bus redelivers the batch.
        this.log.error({ err, partition }, "alert batch failed; rebuilding engine state");
        this.broken = true;
        await this.rebuild().catch((e) => this.log.error({ err: e }, "rebuild failed; will retry before the next batch"));
        throw err;
      } finally {
        stop();
      }
      this.lastArrival = this.wallNow();
      const w = this.core.currentWatermark;
      if (w !== null) m.watermark.set(w / 1000);
      await this.publish();
    });
  }

  /** Reloads rules when the stored set changed; returns whether it did. */
  reloadRules(): Promise<boolean> {
    return this.exclusive(async () => {
      if ((await ruleSignature(this.db)) === this.signature) return false;
      const { rules, invalid, signature } = await loadCompiledRules(this.db);
      for (const i of invalid) {
        m.reloadErrors.inc();
        this.log.error({ rule: i.id, problems: i.problems }, "stored rule is invalid; skipped");
      }
      await this.commit(this.core.setRules(rules));
      this.signature = signature;
      m.rules.set(rules.filter((r) => r.rule.enabled).length);
      this.log.info({ rules: rules.length }, "alert rules reloaded");
      await this.publish();
      return true;
    });
  }

  /** Periodic upkeep: notice API resolutions, follow the clock through quiet periods, retry the outbox. */
  tick(): Promise<void> {
    return this.exclusive(async () => {
      await this.syncExternal();
      const { idleAdvanceMs, liveHorizonMs, latenessMs } = this.options;
      const now = this.wallNow();
      const maxT = this.core.watermark.maxEventTime;
      let ts: Transition[] = [];
      const quiet = this.lastArrival !== null && now - this.lastArrival >= idleAdvanceMs;
      if (idleAdvanceMs > 0 && quiet && maxT !== null && now - maxT <= liveHorizonMs) {
        ts = this.core.advanceTo(now - latenessMs - idleAdvanceMs);
      }
      await this.commit(ts);
      await this.publish();
      const keepFrom = this.core.retentionStart();
      if (keepFrom !== null && now - this.lastPrune >= 3_600_000) {
        this.lastPrune = now;
        const n = await this.db.transaction(async (tx) => {
          await this.fence(tx);
          return pruneContributions(tx, keepFrom - this.options.retainItemsMs);
        });
        if (n) this.log.info({ n }, "pruned counted items past retention");
      }
    });
  }

  flushOutbox(): Promise<number> {
    return flushOutbox(this.db, this.bus, this.options.alertsTopic);
  }

  status(): EngineStatus {
    return {
      watermark: iso(this.core.currentWatermark),
      maxEventTime: iso(this.core.watermark.maxEventTime),
      rules: this.core.ruleList().length,
      entities: this.core.buffer.entityCount,
      openAlerts: this.core.openAlertIds().size,
    };
  }
}

function parseScored(value: Buffer): { ok: true; item: ScoredItem } | { ok: false; problems: { path: string; message: string }[] } {
  let json: unknown;
  try {
    json = JSON.parse(value.toString("utf8"));
  } catch {
    return { ok: false, problems: [{ path: "(root)", message: "not JSON" }] };
  }
  const r = ScoredItemV1.safeParse(json);
  return r.success ? { ok: true, item: r.data } : { ok: false, problems: describeIssues(r.error) };
}
