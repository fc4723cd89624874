import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, desc, gt } from "drizzle-orm";
import type { Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import { items, labels, type Db } from "@finsentry/db";
import { labelledExamples } from "@finsentry/labels";
import { fineTune, loadScorer, type Example } from "@finsentry/model";
import { TOPIC_LABELS, TOPICS, type ModelEvent } from "@finsentry/schemas";
import { scoreModel, type LabelledText } from "./evaluate.ts";
import { decideGate } from "./gate.ts";
import { TrainingProgressPublisher } from "./progress.ts";
import type { ModelRegistry } from "./registry.ts";
import type { RunRow, RunStore } from "./runs.ts";
import type { ModelStore } from "./store.ts";

export interface TrainerOptions {
  /** Fixed golden set (never trained on): the gate's guard against forgetting. */
  golden: LabelledText[];
  /** Earlier training data replayed with new labels so fine-tuning does not forget. */
  replay?: LabelledText[];
  /** Replay examples per new label (default 2). */
  replayRatio?: number;
  /** Share of new labels held back to judge the challenger (default 0.2). */
  holdBack?: number;
  maxGoldenDrop?: number;
  /** Start a run when this many labels arrived since the last one (0 = off). */
  labelThreshold?: number;
  /** Start a run on this interval (0 = off). */
  scheduleMs?: number;
  pollMs?: number;
  epochs?: number;
  /**
   * Epochs of continued masked-token training on recent unlabelled stream text before fine-tuning (default 0 = off):
   * adapts the encoder to new vocabulary and style the labels do not cover yet.
   */
  mlmEpochs?: number;
  /** Most recent stored item texts used for that (default 2000). */
  unlabelledSample?: number;
  /** A run without a heartbeat for this long counts as abandoned (default: the RunStore's, TRAIN_STALE_MS or 60 s). */
  staleMs?: number;
  /** Least time between two progress messages of a run on `training.progress` (default 500 ms: ≤ 2/s). */
  progressIntervalMs?: number;
}

export interface TrainerDeps {
  db: Db;
  bus: Bus;
  log: Logger;
  store: ModelStore;
  registry: ModelRegistry;
  runs: RunStore;
}

function fnv1a(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Stable split of new labels into train / held-back, by text, so re-runs hold back the same ones. */
function heldBack(text: string, share: number): boolean {
  return (fnv1a(text) % 1000) / 1000 < share;
}

const toExample = (l: LabelledText): Example => ({
  text: l.text,
  source: "labels",
  ...(l.sentiment ? { sentiment: l.sentiment as Example["sentiment"] } : {}),
  ...(l.topic ? { topic: TOPIC_LABELS.indexOf(l.topic as (typeof TOPIC_LABELS)[number]) } : {}),
  ...(l.entities ? { entities: l.entities } : {}),
});

/**
 * The online-learning loop: triggers (label threshold, schedule, on demand) queue runs; one run at a time fine-tunes
 * the champion on new labels + replay, gates the challenger on the golden set and held-back recent labels, registers
 * it either way, and on promotion announces it on `model.events` so every scorer hot-swaps.
 */
export async function startTrainer(deps: TrainerDeps, opts: TrainerOptions): Promise<{ stop(): Promise<void>; tick(): Promise<void> }> {
  const { db, bus, log, runs, registry, store } = deps;
  const o = {
    replayRatio: 2,
    holdBack: 0.2,
    maxGoldenDrop: 0.01,
    labelThreshold: 0,
    scheduleMs: 0,
    pollMs: 2000,
    epochs: 3,
    mlmEpochs: 0,
    unlabelledSample: 2000,
    staleMs: runs.staleMs,
    replay: [],
    ...opts,
  };
  // Only runs whose trainer stopped heartbeating: a run that another live trainer holds is not ours to fail. (Each
  // tick's claim settles abandoned runs too, so a run of a trainer that died just before this start fails soon.)
  const stale = await runs.failStale(o.staleMs);
  if (stale) log.warn({ runs: stale }, "marked runs left running by a stopped trainer as failed");
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  let lastSchedule = Date.now();
  // Run lifecycle and throttled step progress on `training.progress`: every API process relays it to dashboards.
  const progress = new TrainingProgressPublisher({ bus, log, minIntervalMs: opts.progressIntervalMs ?? 500 });

  const newLabelCount = async () => {
    const since = await runs.lastFinishedStart();
    const [r] = await db
      .select({ n: count() })
      .from(labels)
      .where(since ? gt(labels.receivedAt, since) : undefined);
    return r?.n ?? 0;
  };

  const execute = async (run: RunRow, lease: { lost: boolean }) => {
    const champion = await registry.champion();
    if (!champion) throw new Error("no champion model registered");
    const championDir = await store.localDir(champion.uri);
    const since = await runs.lastFinishedStart();
    const fresh = await labelledExamples(db, since ? { since } : {});
    if (fresh.length === 0) throw new Error("no new labels since the last run");
    const train = fresh.filter((l) => !heldBack(l.text, o.holdBack));
    const recent = fresh.filter((l) => heldBack(l.text, o.holdBack));
    // A seeded sample (by run id): a run is reproducible from its id and the data.
    const replay = o.replay
      .map((ex) => ({ ex, k: fnv1a(`${run.id}\u0000${ex.text}`) }))
      .sort((a, b) => a.k - b.k)
      .slice(0, train.length * o.replayRatio)
      .map((x) => x.ex);
    const work = await mkdtemp(join(tmpdir(), "finsentry-train-"));
    try {
      let step = 0;
      const { manifest } = await fineTune(championDir, [...train, ...replay].map(toExample), {
        outDir: work,
        // One version per run: ids must never collide (versions are immutable).
        id: `${champion.id.replace(/-ft-.*$/, "")}-ft-${run.id.slice(0, 8)}`,
        train: { epochs: o.epochs, mlmEpochs: o.mlmEpochs },
        ...(o.mlmEpochs > 0 ? { unlabelled: await recentTexts(db, o.unlabelledSample) } : {}),
        onProgress: (p) => progress.progress(run.id, p),
        log: (line) => {
          const p = { step: ++step, message: line, at: new Date().toISOString() };
          void runs.heartbeat(run.id, p).then(
            (held) => void (held || (lease.lost = true)),
            () => undefined,
          );
          log.info({ run: run.id }, line);
        },
      });
      progress.progress(run.id, { phase: "evaluating" });
      const [champ, chall] = await Promise.all([loadScorer(championDir), loadScorer(work)]);
      const golden = { champion: await scoreModel(champ, o.golden), challenger: await scoreModel(chall, o.golden) };
      const recentScores = { champion: await scoreModel(champ, recent), challenger: await scoreModel(chall, recent) };
      await Promise.all([champ.close(), chall.close()]);
      const decision = decideGate({ golden, recent: recentScores, maxGoldenDrop: o.maxGoldenDrop });
      // Nothing is registered or promoted from a run that was settled as abandoned while it trained (this trainer
      // stalled past staleMs): the run is already failed, and another trainer may be running by now.
      if (lease.lost || !(await runs.heartbeat(run.id))) throw new LeaseLost(run.id);
      const uri = await store.put(manifest.id, work);
      await registry.register({
        id: manifest.id,
        parentId: champion.id,
        uri,
        metrics: { golden: golden.challenger, recent: recentScores.challenger },
        dataSummary: { new_labels: fresh.length, trained_on: train.length, held_back: recent.length, replay: replay.length },
        status: decision.promote ? "registered" : "rejected",
      });
      if (decision.promote) {
        const { previous } = await registry.promote(manifest.id, `trainer:${run.id}`);
        await announce(bus, "model.promoted", manifest.id, previous);
        if (!(await runs.finish(run.id, "promoted", { gate: decision as unknown as Record<string, unknown>, challengerId: manifest.id }))) {
          log.error({ run: run.id, model: manifest.id }, "challenger promoted, but its run had meanwhile been settled as abandoned");
        }
        progress.finished(run.id, "promoted", { modelId: manifest.id });
        log.info({ run: run.id, model: manifest.id, golden, recent: recentScores }, "challenger promoted");
      } else {
        await runs.finish(run.id, "rejected", {
          gate: decision as unknown as Record<string, unknown>,
          challengerId: manifest.id,
          reason: decision.reasons.join("; "),
        });
        progress.finished(run.id, "rejected", { modelId: manifest.id, reason: decision.reasons.join("; ") });
        log.warn({ run: run.id, reasons: decision.reasons }, "challenger rejected by the gate; champion keeps serving");
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  };

  const tick = async () => {
    if (o.labelThreshold > 0 && (await newLabelCount()) >= o.labelThreshold) await runs.request("threshold", "trainer");
    if (o.scheduleMs > 0 && Date.now() - lastSchedule >= o.scheduleMs) {
      lastSchedule = Date.now();
      await runs.request("schedule", "trainer");
    }
    const champion = await registry.champion();
    const run = await runs.claim(champion?.id ?? null);
    if (!run) return;
    log.info({ run: run.id, trigger: run.trigger }, "training run started");
    progress.started(run.id);
    // The lease: renewed well within staleMs (fineTune yields to the event loop every 200 ms, so this timer fires).
    const lease = { lost: false };
    const beat = setInterval(
      () =>
        void runs.heartbeat(run.id).then(
          (held) => void (held || (lease.lost = true)),
          (err) => log.warn({ run: run.id, err }, "training run heartbeat failed"),
        ),
      Math.max(1000, Math.min(o.staleMs, runs.staleMs) / 4),
    );
    try {
      await execute(run, lease);
    } catch (err) {
      progress.finished(run.id, "failed", { reason: (err as Error).message });
      if (err instanceof LeaseLost) log.error({ run: run.id }, err.message);
      else if (await runs.finish(run.id, "failed", { reason: (err as Error).message }))
        log.error({ run: run.id, err }, "training run failed");
      else log.error({ run: run.id, err }, "training run failed after it had been settled as abandoned");
    } finally {
      clearInterval(beat);
    }
  };

  const loop = async () => {
    while (!stopped) {
      current = tick().catch((err) => log.error({ err }, "trainer tick failed"));
      await current;
      await new Promise((r) => setTimeout(r, o.pollMs));
    }
  };
  void loop();
  return {
    tick,
    async stop() {
      stopped = true;
      await current;
      await progress.flush();
    },
  };
}

/** This trainer's run was settled as abandoned (no heartbeat for staleMs) while it trained; its result is dropped. */
class LeaseLost extends Error {
  constructor(runId: string) {
    super(`training run ${runId} was settled as abandoned (no heartbeat within staleMs) while it trained; its challenger is dropped`);
  }
}

/** The newest stored item texts: what the stream talks about now, for continued masked-token training. */
async function recentTexts(db: Db, n: number): Promise<string[]> {
  if (n <= 0) return [];
  const rows = await db.select({ text: items.text }).from(items).orderBy(desc(items.publishedAt)).limit(n);
  return rows.map((r) => r.text);
}

export async function announce(bus: Bus, type: ModelEvent["type"], version: string, previous: string | null): Promise<void> {
  const ev: ModelEvent = { v: 1, type, version, previous_version: previous, at: new Date().toISOString() };
  await bus.send(TOPICS.modelEvents, [{ key: "model", value: JSON.stringify(ev) }]);
}
