import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { count, gt } from "drizzle-orm";
import type { Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import { labels, type Db } from "@finsentry/db";
import { labelledExamples } from "@finsentry/labels";
import { fineTune, loadScorer, type Example } from "@finsentry/model";
import { TOPIC_LABELS, TOPICS, type ModelEvent } from "@finsentry/schemas";
import { scoreModel, type LabelledText } from "./evaluate.ts";
import { decideGate } from "./gate.ts";
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
  staleMs?: number;
}

export interface TrainerDeps {
  db: Db;
  bus: Bus;
  log: Logger;
  store: ModelStore;
  registry: ModelRegistry;
  runs: RunStore;
  /** Streams progress lines to the dashboard (socket.io) besides the run row. */
  onProgress?: (runId: string, p: Record<string, unknown>) => void;
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
  const o = { replayRatio: 2, holdBack: 0.2, maxGoldenDrop: 0.01, labelThreshold: 0, scheduleMs: 0, pollMs: 2000, epochs: 3, staleMs: 60_000, replay: [], ...opts };
  const stale = await runs.failStale(0);
  if (stale) log.warn({ runs: stale }, "marked runs left running by a stopped trainer as failed");
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  let lastSchedule = Date.now();

  const newLabelCount = async () => {
    const since = await runs.lastFinishedStart();
    const [r] = await db.select({ n: count() }).from(labels).where(since ? gt(labels.receivedAt, since) : undefined);
    return r?.n ?? 0;
  };

  const execute = async (run: RunRow) => {
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
        train: { epochs: o.epochs },
        log: (line) => {
          const p = { step: ++step, message: line, at: new Date().toISOString() };
          deps.onProgress?.(run.id, p);
          void runs.heartbeat(run.id, p).catch(() => undefined);
          log.info({ run: run.id }, line);
        },
      });
      const [champ, chall] = await Promise.all([loadScorer(championDir), loadScorer(work)]);
      const golden = { champion: await scoreModel(champ, o.golden), challenger: await scoreModel(chall, o.golden) };
      const recentScores = { champion: await scoreModel(champ, recent), challenger: await scoreModel(chall, recent) };
      await Promise.all([champ.close(), chall.close()]);
      const decision = decideGate({ golden, recent: recentScores, maxGoldenDrop: o.maxGoldenDrop });
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
        await runs.finish(run.id, "promoted", { gate: decision as unknown as Record<string, unknown>, challengerId: manifest.id });
        log.info({ run: run.id, model: manifest.id, golden, recent: recentScores }, "challenger promoted");
      } else {
        await runs.finish(run.id, "rejected", { gate: decision as unknown as Record<string, unknown>, challengerId: manifest.id, reason: decision.reasons.join("; ") });
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
    const beat = setInterval(() => void runs.heartbeat(run.id).catch(() => undefined), Math.max(1000, o.staleMs / 4));
    try {
      await execute(run);
    } catch (err) {
      await runs.finish(run.id, "failed", { reason: (err as Error).message });
      log.error({ run: run.id, err }, "training run failed");
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
    },
  };
}

export async function announce(bus: Bus, type: ModelEvent["type"], version: string, previous: string | null): Promise<void> {
  const ev: ModelEvent = { v: 1, type, version, previous_version: previous, at: new Date().toISOString() };
  await bus.send(TOPICS.modelEvents, [{ key: "model", value: JSON.stringify(ev) }]);
}
