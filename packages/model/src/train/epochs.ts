import { appendFile } from "node:fs/promises";
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../nn/config.ts";
import type { EmbeddingGrad } from "../nn/embedding.ts";
import type { RawWeights, WeightMap, weightSpecs } from "../nn/weights.ts";
import { toWeightMap } from "../nn/tfWeights.ts";
import type { Example } from "../data/example.ts";
import { SPECIAL_TOKENS, type Tokenizer } from "../tokenizer/index.ts";
import { swapEntities, tokenDropout, type EntityPool } from "./augment.ts";
import { bucketBatches, packBatch, type PackedBatch } from "./batches.ts";
import { encodeExample, type Encoded } from "./encode.ts";
import { evaluate, type DevMetrics } from "./evaluate.ts";
import { jointLoss, type ClassWeights } from "./jointLoss.ts";
import { maskTokens, mlmLoss } from "./mlm.ts";
import type { Task, TrainOptions } from "./options.ts";
import type { makeProgressBar } from "./progress.ts";
import type { EpochRange, EpochRecord, TrainInput } from "./runTypes.ts";
import { learningRate } from "./schedule.ts";

type Phase = "mlm" | "joint";
type WeightSpecs = ReturnType<typeof weightSpecs>;

/** One optimiser step on a loss; returns the named scalar losses read back to JS, or null when the batch had none. */
export type StepFn = (lossFn: (keep: Record<string, tf.Scalar>) => tf.Scalar | null, lr: number) => Record<string, number> | null;

/** Everything the epoch loop shares with `trainModel`: the model, its optimiser step, the data and run-wide counters. */
export interface TrainRun {
  input: TrainInput;
  o: TrainOptions;
  log: (line: string) => void;
  /** The run's one random stream: every draw happens in a fixed order, so a seed reproduces a run exactly. */
  rnd: () => number;
  tok: Tokenizer;
  config: ModelConfig;
  tasks: ReadonlySet<Task>;
  embeddingGrad: EmbeddingGrad;
  specs: WeightSpecs;
  params: Record<string, tf.Variable>;
  w: WeightMap;
  logVar: Partial<Record<Task, tf.Variable>>;
  cw: ClassWeights;
  step: StepFn;
  dev: Encoded[];
  /** Source examples of the joint phase; re-encoded every epoch when entity swapping is on. */
  trainSrc: Example[];
  train: Encoded[];
  enc: (e: Example, original?: Example) => Encoded;
  pool: EntityPool | undefined;
  stepsPerEpoch: (n: number) => number;
  bar: ReturnType<typeof makeProgressBar>;
  history: EpochRecord[];
  /** Run-wide counters: start time, examples and seconds trained, planned and done optimiser steps. */
  clock: { t0: number; examplesSeen: number; trainSeconds: number; plannedSteps: number; runStep: number };
}

/** The best dev result so far: its weights, and the averaged range when they are a weight average. */
export interface BestEpoch {
  score: number;
  epoch: number;
  raw: RawWeights;
  dev: DevMetrics;
  averaged?: EpochRange;
}

/** Early-stopping state of the joint phase. */
interface DevTrack {
  best?: BestEpoch;
  /** Running mean of the weights after each joint epoch from `averageFrom` on (stochastic weight averaging). */
  avg?: { raw: RawWeights; n: number };
  stale: number;
  /** The best changed since the last `onBest` call. */
  changed: boolean;
}

/** The learning-rate schedule's position over one phase. */
interface Schedule {
  total: number;
  warmup: number;
  globalStep: number;
}

/** What one pass over an epoch's batches measured. */
interface EpochPass {
  sums: Record<string, number>;
  counts: Record<string, number>;
  seen: number;
  lr: number;
  secs: number;
}

/**
 * Runs a phase (masked-LM pre-training or joint multitask training) for up to `epochs` epochs; the joint phase tracks
 * the best dev score (with weight averaging) and stops early after `patience` epochs without improvement.
 */
export async function runEpochs(r: TrainRun, phase: Phase, epochs: number): Promise<BestEpoch | undefined> {
  const { o, input } = r;
  const n = phase === "mlm" ? r.train.length + (input.unlabelled?.length ?? 0) : r.train.length;
  const total = epochs * r.stepsPerEpoch(n);
  const sched: Schedule = { total, warmup: Math.round(total * o.warmupFrac), globalStep: 0 };
  const track: DevTrack = { stale: 0, changed: false };
  const mlmItems =
    phase === "mlm"
      ? [...r.train, ...(input.unlabelled ?? []).map((text) => encodeExample({ text, source: "unlabelled" }, r.tok, r.config.maxLen))]
      : [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    if (phase === "joint" && r.pool) r.train = r.trainSrc.map((e) => r.enc(swapEntities(e, r.pool!, o.entitySwap, r.rnd), e));
    const items = phase === "mlm" ? mlmItems : r.train;
    const batches = bucketBatches(items, o.batchSize, r.rnd).slice(0, r.stepsPerEpoch(items.length));
    const pass = await trainEpoch(r, phase, `${phase} ${epoch}/${epochs}`, { epoch, epochs }, batches, sched);
    r.clock.examplesSeen += pass.seen;
    r.clock.trainSeconds += pass.secs;
    const rec = epochRecord(r, phase, epoch, batches.length, pass);
    if (phase === "joint") trackDev(r, track, rec, epoch);
    r.history.push(rec);
    await reportBest(r, track);
    r.log(
      `[train] ${phase} epoch ${epoch}: ${JSON.stringify({ loss: rec.loss, dev: rec.dev, ...(rec.devAveraged ? { devAveraged: rec.devAveraged } : {}), w: rec.taskWeights, eps: Math.round(rec.examplesPerSec) })}`,
    );
    if (input.metricsLog) await appendFile(input.metricsLog, JSON.stringify(rec) + "\n");
    if (phase === "joint" && o.patience > 0 && track.stale >= o.patience) {
      r.log(`[train] early stop: no dev improvement for ${o.patience} epochs (best epoch ${track.best!.epoch})`);
      break;
    }
  }
  return track.best;
}

/** One pass over an epoch's batches: an optimiser step each, progress after each, the event loop let in regularly. */
async function trainEpoch(
  r: TrainRun,
  phase: Phase,
  label: string,
  at: { epoch: number; epochs: number },
  batches: Encoded[][],
  sched: Schedule,
): Promise<EpochPass> {
  const { o } = r;
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const e0 = performance.now();
  let seen = 0;
  let lr = 0;
  let lastYield = performance.now();
  r.bar.start(batches.length, { epoch: label, loss: "-", eps: "-" });
  for (const [bi, raw] of batches.entries()) {
    lr = learningRate(sched.globalStep++, sched.total, { peak: o.lr, warmupSteps: sched.warmup, decay: o.decay });
    const bItems = o.tokenDropout > 0 ? raw.map((x) => tokenDropout(x, o.tokenDropout, r.rnd)) : raw;
    const p = packBatch(bItems, r.config.padId);
    const res = r.step(batchLoss(r, phase, p), lr);
    seen += p.B;
    if (res) {
      for (const [k, v] of Object.entries(res)) {
        sums[k] = (sums[k] ?? 0) + v;
        counts[k] = (counts[k] ?? 0) + 1;
      }
    }
    r.clock.runStep++;
    const eps = seen / Math.max(1e-9, (performance.now() - e0) / 1000);
    r.input.onProgress?.(progressReport(r, phase, at, meanLosses(phase, sums, counts), lr, eps));
    if (bi % 5 === 0 || bi === batches.length - 1) {
      const avg = (k: string) => (counts[k] ? (sums[k]! / counts[k]!).toFixed(3) : "-");
      const loss = phase === "mlm" ? `mlm=${avg("total")}` : o.tasks.map((t) => `${t.slice(0, 4)}=${avg(t)}`).join(" ");
      r.bar.update(bi + 1, { loss, eps: (seen / ((performance.now() - e0) / 1000)).toFixed(0) });
    }
    // Let the event loop breathe (signals, logs, a trainer's heartbeat timer) at least every 200 ms: a fixed batch
    // count blocked it for many seconds on slow backends, long enough to look like a dead trainer.
    if (performance.now() - lastYield >= 200) {
      await new Promise((res) => setImmediate(res));
      lastYield = performance.now();
    }
  }
  r.bar.stop();
  return { sums, counts, seen, lr, secs: (performance.now() - e0) / 1000 };
}

/**
 * The loss of one batch for the phase. Random draws (the MLM mask, the joint pass's dropout seed) happen inside the
 * step's gradient tape, in the same order as always.
 */
function batchLoss(r: TrainRun, phase: Phase, p: PackedBatch): (kept: Record<string, tf.Scalar>) => tf.Scalar | null {
  const { o, config, tok } = r;
  if (phase === "mlm") {
    return () => {
      const m = maskTokens(
        p,
        { maskProb: o.mlmMaskProb, maskId: tok.maskId, firstRegularId: SPECIAL_TOKENS.length, vocabSize: config.vocabSize },
        r.rnd,
      );
      return m.positions.length ? mlmLoss(r.w, config, p, m, o.dropout, r.embeddingGrad) : null;
    };
  }
  return (kept) => jointLoss(r.w, config, p, o, r.tasks, r.logVar, r.cw, r.embeddingGrad, kept, Math.floor(r.rnd() * 1e9));
}

/** The structured progress report after one optimiser step. */
function progressReport(
  r: TrainRun,
  phase: Phase,
  at: { epoch: number; epochs: number },
  losses: Record<string, number>,
  lr: number,
  examplesPerSec: number,
) {
  const { runStep, plannedSteps, t0 } = r.clock;
  const elapsed = (performance.now() - t0) / 1000;
  return {
    phase,
    epoch: at.epoch,
    epochs: at.epochs,
    step: runStep,
    totalSteps: Math.max(plannedSteps, runStep),
    losses,
    lr,
    examplesPerSec,
    etaSec: (elapsed / runStep) * Math.max(0, plannedSteps - runStep),
  };
}

function epochRecord(r: TrainRun, phase: Phase, epoch: number, steps: number, pass: EpochPass): EpochRecord {
  const rec: EpochRecord = {
    epoch,
    phase,
    steps,
    lr: pass.lr,
    loss: meanLosses(phase, pass.sums, pass.counts),
    examplesPerSec: pass.seen / pass.secs,
    elapsedSec: (performance.now() - r.clock.t0) / 1000,
  };
  if (r.o.taskWeights === "uncertainty")
    rec.taskWeights = Object.fromEntries(Object.entries(r.logVar).map(([t, v]) => [t, Math.exp(-v!.dataSync()[0]!)]));
  return rec;
}

/**
 * Scores the epoch on dev (`rec.dev`, and `rec.devAveraged` for the running weight average) and keeps the best
 * weights: the epoch's own, or the average when that scores higher.
 */
function trackDev(r: TrainRun, t: DevTrack, rec: EpochRecord, epoch: number): void {
  const { o, config, dev } = r;
  rec.dev = evaluate(r.w, config, dev, o.tasks, r.embeddingGrad);
  let improved = false;
  if (!t.best || rec.dev.score > t.best.score || dev.length === 0) {
    t.best = { score: rec.dev.score, epoch, raw: snapshot(r.params, r.specs), dev: rec.dev };
    improved = true;
  }
  if (o.averageFrom > 0 && epoch >= o.averageFrom) {
    t.avg = foldIntoAverage(t.avg, snapshot(r.params, r.specs));
    const { raw, n } = t.avg;
    if (n >= 2 && dev.length > 0) {
      const wm = toWeightMap(raw);
      rec.devAveraged = evaluate(wm, config, dev, o.tasks, r.embeddingGrad);
      tf.dispose(Object.values(wm));
      if (rec.devAveraged.score > t.best.score) {
        t.best = { score: rec.devAveraged.score, epoch, raw, dev: rec.devAveraged, averaged: { from: o.averageFrom, to: epoch } };
        improved = true;
      }
    }
  }
  t.stale = improved ? 0 : t.stale + 1;
  t.changed ||= improved;
}

/** Hands a new best to `onBest` (e.g. a checkpoint writer), once per change. */
async function reportBest(r: TrainRun, t: DevTrack): Promise<void> {
  if (!t.changed || !t.best || !r.input.onBest) return;
  t.changed = false;
  const { best } = t;
  await r.input.onBest({
    config: r.config,
    raw: best.raw,
    best: best.dev,
    bestEpoch: best.epoch,
    ...(best.averaged ? { averaged: best.averaged } : {}),
    history: [...r.history],
    options: r.o,
    examplesPerSec: r.clock.examplesSeen / r.clock.trainSeconds,
  });
}

/**
 * Adds one epoch's weights to the running mean (stochastic weight averaging). A fresh object every time, never updated
 * in place, so a `best` that refers to an earlier average keeps it.
 */
function foldIntoAverage(avg: { raw: RawWeights; n: number } | undefined, cur: RawWeights): { raw: RawWeights; n: number } {
  const n = (avg?.n ?? 0) + 1;
  const prev = avg?.raw;
  const raw: RawWeights = prev
    ? Object.fromEntries(
        Object.entries(prev).map(([k, t]) => [k, { shape: t.shape, data: t.data.map((a, i) => a + (cur[k]!.data[i]! - a) / n) }]),
      )
    : cur;
  return { raw, n };
}

/** Mean of each named loss over the batches that had it; the MLM phase's total is reported as "mlm". */
function meanLosses(phase: Phase, sums: Record<string, number>, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(sums).map((k) => [k === "total" && phase === "mlm" ? "mlm" : k, sums[k]! / counts[k]!]));
}

/** The model's current weights as plain arrays, training-only tensors left out. */
export function snapshot(params: Record<string, tf.Variable>, specs: WeightSpecs): RawWeights {
  const out: RawWeights = {};
  for (const sp of specs)
    if (!sp.trainOnly) out[sp.name] = { shape: sp.shape.slice(), data: params[sp.name]!.dataSync().slice() as Float32Array };
  return out;
}
