import { appendFile } from "node:fs/promises";
import * as tf from "@tensorflow/tfjs";
import { N_SENTIMENT, N_TAGS, N_TOPIC, ModelConfig } from "../nn/config.ts";
import { defaultEmbeddingGrad, type EmbeddingGrad } from "../nn/embedding.ts";
import { dense, forward } from "../nn/forward.ts";
import { initRawWeights, mulberry32, weightSpecs, type RawWeights, type WeightMap } from "../nn/weights.ts";
import { toWeightMap } from "../nn/tfWeights.ts";
import type { Example } from "../data/example.ts";
import { SPECIAL_TOKENS, type Tokenizer } from "../tokenizer/index.ts";
import { AdamW } from "./adamw.ts";
import { buildEntityPool, swapEntities, tokenDropout } from "./augment.ts";
import { bucketBatches, packBatch, type PackedBatch } from "./batches.ts";
import { encodeExample, NO_LABEL, type Encoded } from "./encode.ts";
import { evaluate, type DevMetrics } from "./evaluate.ts";
import { classWeights, distillationLoss, featureLoss, maskedCrossEntropy } from "./losses.ts";
import { maskTokens, mlmLoss } from "./mlm.ts";
import {
  distillWeightOf,
  distillWeightText,
  TrainOptions,
  TASKS,
  type DistilledTask,
  type Task,
  type TrainOptionsInput,
} from "./options.ts";
import { makeProgressBar } from "./progress.ts";
import { learningRate } from "./schedule.ts";
import { featureDimOf, softTargets, type TeacherLogits, type TeacherTargets } from "./teacher.ts";

export interface TrainInput {
  train: readonly Example[];
  dev: readonly Example[];
  tokenizer: Tokenizer;
  options?: TrainOptionsInput;
  /** Start from these weights (fine-tuning); their config wins over options.sizes. */
  init?: { config: ModelConfig; raw: RawWeights };
  /** Tensors that replace the random initialisation by name (e.g. pre-trained `tok_emb`); shapes must match. */
  seedWeights?: RawWeights;
  /**
   * A teacher's sentiment/topic logits by text (knowledge distillation, `teacher.ts`): covered training texts also
   * learn the teacher's softened distribution, for tasks they have no gold label for too.
   */
  teacher?: TeacherLogits;
  /**
   * Extra texts known only through a teacher's logits (a transfer set, e.g. augmented copies of the training texts
   * scored by the teacher): they join training with the teacher's soft targets as their only targets. Texts that
   * are training texts already are skipped (those keep their gold labels and `teacher` targets).
   */
  transfer?: TeacherLogits;
  /** Extra unlabelled texts for masked-token pre-training. */
  unlabelled?: readonly string[];
  /** Per-epoch JSONL metrics log. */
  metricsLog?: string;
  progress?: boolean;
  log?: (line: string) => void;
  /** Structured progress after every optimiser step (the progress bar's data), e.g. to stream it to a dashboard. */
  onProgress?: (p: TrainProgress) => void;
  /** Called after each epoch that improves the dev score (e.g. to write a checkpoint model directory). */
  onBest?: (r: TrainResult) => Promise<void>;
}

/** One progress report: where the run is, the current epoch's mean losses so far, throughput and time left. */
export interface TrainProgress {
  phase: "mlm" | "joint";
  /** 1-based epoch within the phase, and the phase's planned epochs. */
  epoch: number;
  epochs: number;
  /** Optimiser steps done over the whole run (all phases), and the planned total (early stopping may end sooner). */
  step: number;
  totalSteps: number;
  /** Mean losses of the current epoch so far: per task and `total` (joint), or `mlm`. */
  losses: Record<string, number>;
  examplesPerSec: number;
  /** Seconds left at the run's average pace so far (null before the first step). */
  etaSec: number | null;
  lr: number;
}

export interface EpochRecord {
  epoch: number;
  phase: "mlm" | "joint";
  steps: number;
  lr: number;
  loss: Partial<Record<Task | "mlm" | "total" | "features", number>>;
  taskWeights?: Partial<Record<Task, number>>;
  dev?: DevMetrics;
  /** Dev metrics of the running weight average (`averageFrom`), from its second epoch on. */
  devAveraged?: DevMetrics;
  examplesPerSec: number;
  elapsedSec: number;
}

export interface TrainResult {
  config: ModelConfig;
  /** Weights of the best dev epoch (training-only tensors removed). */
  raw: RawWeights;
  best: DevMetrics | undefined;
  bestEpoch: number;
  /** Set when the kept weights are the average of the joint epochs `from`..`to` (`averageFrom`), not one epoch's. */
  averaged?: EpochRange;
  history: EpochRecord[];
  options: TrainOptions;
  examplesPerSec: number;
}

export interface EpochRange {
  from: number;
  to: number;
}

let runCounter = 0;

/** Masks labels of tasks not being trained, so the joint code path also serves single-task runs. */
function restrictTasks(x: Encoded, tasks: ReadonlySet<Task>): Encoded {
  return {
    ids: x.ids,
    sentiment: tasks.has("sentiment") ? x.sentiment : NO_LABEL,
    topic: tasks.has("topic") ? x.topic : NO_LABEL,
    tags: tasks.has("entities") ? x.tags : null,
    ...(x.soft ? { soft: x.soft } : {}), // restricted to the trained tasks when softened (trainModel)
    ...(x.feat ? { feat: x.feat } : {}),
  };
}

/**
 * Joint multitask training: per-task cross-entropies masked where labels are missing, combined with static or
 * learned (uncertainty) weights, AdamW + warm-up/decay, dropout, early stopping on dev score (mean of the tasks'
 * macro-F1 / span-F1), optional masked-LM pre-training and augmentation.
 */
export async function trainModel(input: TrainInput): Promise<TrainResult> {
  const o = TrainOptions.parse(input.options ?? {});
  const log = input.log ?? ((l: string) => console.error(l));
  const rnd = mulberry32(o.seed);
  const tok = input.tokenizer;
  const config =
    input.init?.config ?? ModelConfig.parse({ vocabSize: tok.vocabSize, padId: tok.padId, ...o.sizes, ...(o.wide ? { wide: true } : {}) });
  if (config.vocabSize !== tok.vocabSize) throw new Error(`tokenizer has ${tok.vocabSize} tokens, model ${config.vocabSize}`);
  const tasks = new Set(o.tasks);
  const embeddingGrad: EmbeddingGrad = defaultEmbeddingGrad(tf.getBackend());
  const run = ++runCounter;

  // Parameters as tf.Variables (names unique per run: tfjs registers variable names globally).
  const withMlm = o.mlmEpochs > 0;
  const featureDim = o.featureWeight > 0 ? featureDimOf(input.teacher, input.transfer) : undefined;
  if (o.featureWeight > 0 && featureDim === undefined) throw new Error("featureWeight > 0 needs teacher or transfer rows with features");
  const specs = weightSpecs(config, { mlm: withMlm, ...(featureDim ? { featureDim } : {}) });
  const init = initRawWeights(config, o.seed, { mlm: withMlm, ...(featureDim ? { featureDim } : {}) });
  checkSeedWeights(specs, input.seedWeights);
  const params = createParams(specs, input.init?.raw, input.seedWeights, init, run);
  const logVar = createLogVars(o, run);
  const allVars: Record<string, tf.Variable> = { ...params };
  for (const [t, v] of Object.entries(logVar)) allVars[`logvar.${t}`] = v!;
  const decay = new Set(specs.filter((s) => !s.noDecay).map((s) => s.name));
  const opt = new AdamW(allVars, decay, {
    weightDecay: o.weightDecay,
    clipNorm: o.clipNorm,
    lrScale: config.wide ? { "wide.w": o.wideLrScale } : {},
  });
  const byVarName = new Map(Object.entries(allVars).map(([k, v]) => [v.name, k]));
  const w = params as unknown as WeightMap;

  // Teacher targets for the trained tasks, softened once; looked up by the original text (entity swapping changes it).
  const { softByText, featByText, transfer } = teacherTargetsByText(input, tasks, o, featureDim);
  const enc = (e: Example, original = e) => {
    const x = encodeExample(e, tok, config.maxLen);
    const soft = softByText.get(original.text);
    const feat = featByText.get(original.text);
    return restrictTasks({ ...x, ...(soft ? { soft } : {}), ...(feat ? { feat } : {}) }, tasks);
  };
  // Examples with no label for any trained task would only cost time (single-task runs).
  const useful = (e: Example) =>
    (tasks.has("sentiment") && e.sentiment !== undefined) ||
    (tasks.has("topic") && e.topic !== undefined) ||
    (tasks.has("entities") && e.entities !== undefined);
  const dev = input.dev.filter(useful).map((e) => restrictTasks(encodeExample(e, tok, config.maxLen), tasks));
  const own = input.train.filter((e) => useful(e) || softByText.has(e.text));
  const trainSrc = [...own, ...transfer];
  let train = trainSrc.map((e) => enc(e));
  if (input.transfer) {
    if (transfer.length === 0)
      throw new Error(`transfer set: none of its ${input.transfer.size} texts adds a new text with targets for a trained task`);
    log(
      `[train] transfer set: ${transfer.length} texts with teacher targets only (${input.transfer.size - transfer.length} skipped: training texts or no trained task)`,
    );
  }
  if (input.teacher) {
    // The training texts only: the transfer set has its own line above.
    const covered = (k: DistilledTask) => own.filter((e) => softByText.get(e.text)?.[k]).length;
    if (covered("sentiment") + covered("topic") === 0)
      throw new Error(`teacher: none of its ${input.teacher.size} texts is a training text of a trained task`);
    log(
      `[train] teacher: soft targets for ${covered("sentiment")} (sentiment) and ${covered("topic")} (topic) of ${own.length} train texts; weight ${distillWeightText(o)}, T ${o.distillTemperature}`,
    );
  }
  if (featureDim)
    log(`[train] feature term: ${featByText.size} texts with ${featureDim}-value teacher features; weight ${o.featureWeight}`);
  const pool = o.entitySwap > 0 ? buildEntityPool(trainSrc) : undefined;
  const cw = taskClassWeights(train, o);
  log(
    `[train] ${train.length} train / ${dev.length} dev examples; tasks ${o.tasks.join(",")}; params ${specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0)}; embedding grad ${embeddingGrad}`,
  );

  const stepsPerEpoch = (n: number) => {
    const full = Math.ceil(n / o.batchSize);
    return o.maxStepsPerEpoch > 0 ? Math.min(full, o.maxStepsPerEpoch) : full;
  };
  const history: EpochRecord[] = [];
  const bar = makeProgressBar(input.progress ?? false);
  const t0 = performance.now();
  let examplesSeen = 0;
  let trainSeconds = 0;
  // Planned steps over both phases, for structured progress (batches per epoch never exceed stepsPerEpoch).
  const plannedSteps = o.mlmEpochs * stepsPerEpoch(train.length + (input.unlabelled?.length ?? 0)) + o.epochs * stepsPerEpoch(train.length);
  let runStep = 0;

  /** One optimiser step on `lossFn`; returns named scalar losses read back to JS. */
  const step = (lossFn: (keep: Record<string, tf.Scalar>) => tf.Scalar | null, lr: number): Record<string, number> | null => {
    const kept: Record<string, tf.Scalar> = {};
    let empty = false;
    const { value, grads } = tf.variableGrads(() => {
      const l = lossFn(kept);
      if (l) return l;
      empty = true;
      return tf.scalar(0).mul(params["tok_emb"]!.sum()) as tf.Scalar;
    }, Object.values(allVars));
    const out: Record<string, number> = {};
    if (!empty) {
      const named: Record<string, tf.Tensor> = {};
      for (const [vn, g] of Object.entries(grads)) named[byVarName.get(vn) ?? vn] = g;
      opt.step(named, lr);
      out.total = value.dataSync()[0]!;
      for (const [k, t] of Object.entries(kept)) out[k] = t.dataSync()[0]!;
    }
    tf.dispose([value, ...Object.values(grads), ...Object.values(kept)]);
    return empty ? null : out;
  };

  const runEpochs = async (phase: "mlm" | "joint", epochs: number) => {
    const n = phase === "mlm" ? train.length + (input.unlabelled?.length ?? 0) : train.length;
    const total = epochs * stepsPerEpoch(n);
    const warmup = Math.round(total * o.warmupFrac);
    let globalStep = 0;
    let best: { score: number; epoch: number; raw: RawWeights; dev: DevMetrics; averaged?: EpochRange } | undefined;
    // Running mean of the weights after each joint epoch from `averageFrom` on (stochastic weight averaging).
    let avg: { raw: RawWeights; n: number } | undefined;
    let stale = 0;
    let bestChanged = false;
    const mlmItems =
      phase === "mlm"
        ? [...train, ...(input.unlabelled ?? []).map((text) => encodeExample({ text, source: "unlabelled" }, tok, config.maxLen))]
        : [];
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (phase === "joint" && pool) train = trainSrc.map((e) => enc(swapEntities(e, pool, o.entitySwap, rnd), e));
      const items = phase === "mlm" ? mlmItems : train;
      const batches = bucketBatches(items, o.batchSize, rnd).slice(0, stepsPerEpoch(items.length));
      const sums: Record<string, number> = {};
      const counts: Record<string, number> = {};
      const e0 = performance.now();
      let seen = 0;
      let lr = 0;
      let lastYield = performance.now();
      bar.start(batches.length, { epoch: `${phase} ${epoch}/${epochs}`, loss: "-", eps: "-" });
      for (const [bi, raw] of batches.entries()) {
        lr = learningRate(globalStep++, total, { peak: o.lr, warmupSteps: warmup, decay: o.decay });
        const bItems = o.tokenDropout > 0 ? raw.map((x) => tokenDropout(x, o.tokenDropout, rnd)) : raw;
        const p = packBatch(bItems, config.padId);
        const res =
          phase === "mlm"
            ? step(() => {
                const m = maskTokens(
                  p,
                  { maskProb: o.mlmMaskProb, maskId: tok.maskId, firstRegularId: SPECIAL_TOKENS.length, vocabSize: config.vocabSize },
                  rnd,
                );
                return m.positions.length ? mlmLoss(w, config, p, m, o.dropout, embeddingGrad) : null;
              }, lr)
            : step((kept) => jointLoss(w, config, p, o, tasks, logVar, cw, embeddingGrad, kept, Math.floor(rnd() * 1e9)), lr);
        seen += p.B;
        if (res) {
          for (const [k, v] of Object.entries(res)) {
            sums[k] = (sums[k] ?? 0) + v;
            counts[k] = (counts[k] ?? 0) + 1;
          }
        }
        runStep++;
        if (input.onProgress) {
          const elapsed = (performance.now() - t0) / 1000;
          const losses = meanLosses(phase, sums, counts);
          input.onProgress({
            phase,
            epoch,
            epochs,
            step: runStep,
            totalSteps: Math.max(plannedSteps, runStep),
            losses,
            lr,
            examplesPerSec: seen / Math.max(1e-9, (performance.now() - e0) / 1000),
            etaSec: (elapsed / runStep) * Math.max(0, plannedSteps - runStep),
          });
        }
        if (bi % 5 === 0 || bi === batches.length - 1) {
          const avg = (k: string) => (counts[k] ? (sums[k]! / counts[k]!).toFixed(3) : "-");
          const loss = phase === "mlm" ? `mlm=${avg("total")}` : o.tasks.map((t) => `${t.slice(0, 4)}=${avg(t)}`).join(" ");
          bar.update(bi + 1, { loss, eps: (seen / ((performance.now() - e0) / 1000)).toFixed(0) });
        }
        // Let the event loop breathe (signals, logs, a trainer's heartbeat timer) at least every 200 ms: a fixed batch
        // count blocked it for many seconds on slow backends, long enough to look like a dead trainer.
        if (performance.now() - lastYield >= 200) {
          await new Promise((r) => setImmediate(r));
          lastYield = performance.now();
        }
      }
      bar.stop();
      const secs = (performance.now() - e0) / 1000;
      examplesSeen += seen;
      trainSeconds += secs;
      const rec: EpochRecord = {
        epoch,
        phase,
        steps: batches.length,
        lr,
        loss: meanLosses(phase, sums, counts),
        examplesPerSec: seen / secs,
        elapsedSec: (performance.now() - t0) / 1000,
      };
      if (o.taskWeights === "uncertainty")
        rec.taskWeights = Object.fromEntries(Object.entries(logVar).map(([t, v]) => [t, Math.exp(-v!.dataSync()[0]!)]));
      if (phase === "joint") {
        rec.dev = evaluate(w, config, dev, o.tasks, embeddingGrad);
        let improved = false;
        if (!best || rec.dev.score > best.score || dev.length === 0) {
          best = { score: rec.dev.score, epoch, raw: snapshot(params, specs), dev: rec.dev };
          improved = true;
        }
        if (o.averageFrom > 0 && epoch >= o.averageFrom) {
          // Stochastic weight averaging from `averageFrom` on.
          avg = foldIntoAverage(avg, snapshot(params, specs));
          const { raw, n } = avg;
          if (n >= 2 && dev.length > 0) {
            const wm = toWeightMap(raw);
            rec.devAveraged = evaluate(wm, config, dev, o.tasks, embeddingGrad);
            tf.dispose(Object.values(wm));
            if (rec.devAveraged.score > best!.score) {
              best = { score: rec.devAveraged.score, epoch, raw, dev: rec.devAveraged, averaged: { from: o.averageFrom, to: epoch } };
              improved = true;
            }
          }
        }
        stale = improved ? 0 : stale + 1;
        bestChanged ||= improved;
      }
      history.push(rec);
      if (bestChanged && best && input.onBest) {
        bestChanged = false;
        await input.onBest({
          config,
          raw: best.raw,
          best: best.dev,
          bestEpoch: best.epoch,
          ...(best.averaged ? { averaged: best.averaged } : {}),
          history: [...history],
          options: o,
          examplesPerSec: examplesSeen / trainSeconds,
        });
      }
      log(
        `[train] ${phase} epoch ${epoch}: ${JSON.stringify({ loss: rec.loss, dev: rec.dev, ...(rec.devAveraged ? { devAveraged: rec.devAveraged } : {}), w: rec.taskWeights, eps: Math.round(rec.examplesPerSec) })}`,
      );
      if (input.metricsLog) await appendFile(input.metricsLog, JSON.stringify(rec) + "\n");
      if (phase === "joint" && o.patience > 0 && stale >= o.patience) {
        log(`[train] early stop: no dev improvement for ${o.patience} epochs (best epoch ${best!.epoch})`);
        break;
      }
    }
    return best;
  };

  if (o.mlmEpochs > 0) await runEpochs("mlm", o.mlmEpochs);
  const best = o.epochs > 0 ? await runEpochs("joint", o.epochs) : undefined;
  const result: TrainResult = {
    config,
    raw: best?.raw ?? snapshot(params, specs),
    best: best?.dev,
    bestEpoch: best?.epoch ?? 0,
    ...(best?.averaged ? { averaged: best.averaged } : {}),
    history,
    options: o,
    examplesPerSec: trainSeconds > 0 ? examplesSeen / trainSeconds : 0,
  };
  opt.dispose();
  tf.dispose(Object.values(allVars));
  return result;
}

/**
 * Softens the teacher's (and transfer set's) targets once, for the trained tasks only, keyed by text. Transfer texts
 * that are training texts or carry no target for a trained task are left out; the rest become extra examples.
 */
function teacherTargetsByText(input: TrainInput, tasks: ReadonlySet<Task>, o: TrainOptions, featureDim: number | undefined) {
  const softByText = new Map<string, NonNullable<Encoded["soft"]>>();
  const featByText = new Map<string, Float32Array>();
  const addSoft = (text: string, t: TeacherTargets): boolean => {
    const at = (task: DistilledTask) => (tasks.has(task) && t[task] ? softTargets(t[task], o.distillTemperature) : null);
    const soft = { sentiment: at("sentiment"), topic: at("topic") };
    const any = soft.sentiment !== null || soft.topic !== null;
    if (any) softByText.set(text, soft);
    if (any && featureDim && t.features) featByText.set(text, t.features);
    return any;
  };
  for (const [text, t] of input.teacher ?? []) addSoft(text, t);
  const trainTexts = new Set(input.train.map((e) => e.text));
  const transfer: Example[] = [];
  for (const [text, t] of input.transfer ?? []) if (!trainTexts.has(text) && addSoft(text, t)) transfer.push({ text, source: "transfer" });
  return { softByText, featByText, transfer };
}

/** Seed weights must name tensors the model has, with their exact shapes: a silent mismatch would train garbage. */
function checkSeedWeights(specs: ReturnType<typeof weightSpecs>, seedWeights: TrainInput["seedWeights"]): void {
  for (const [name, t] of Object.entries(seedWeights ?? {})) {
    const sp = specs.find((x) => x.name === name);
    if (!sp) throw new Error(`seed weight ${name}: the model has no such tensor`);
    if (t.shape.join(",") !== sp.shape.join(",") || t.data.length !== sp.shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`seed weight ${name}: shape [${t.shape}] (${t.data.length} values), the model needs [${sp.shape}]`);
    }
  }
}

/**
 * The model's parameters as tf.Variables, from the resumed model, else the seed weights, else a fresh init. Names are
 * unique per run because tfjs registers variable names globally.
 */
function createParams(
  specs: ReturnType<typeof weightSpecs>,
  resumed: RawWeights | undefined,
  seedWeights: TrainInput["seedWeights"],
  init: RawWeights,
  run: number,
): Record<string, tf.Variable> {
  const params: Record<string, tf.Variable> = {};
  for (const sp of specs) {
    const src = resumed?.[sp.name] ?? seedWeights?.[sp.name] ?? init[sp.name]!;
    params[sp.name] = tf.variable(tf.tensor(src.data, src.shape), true, `r${run}/${sp.name}`);
  }
  return params;
}

/** Learned per-task log-variances (uncertainty weighting only), starting at 0 so every task starts at weight 1. */
function createLogVars(o: TrainOptions, run: number): Partial<Record<Task, tf.Variable>> {
  const logVar: Partial<Record<Task, tf.Variable>> = {};
  if (o.taskWeights === "uncertainty") for (const t of o.tasks) logVar[t] = tf.variable(tf.scalar(0), true, `r${run}/logvar.${t}`);
  return logVar;
}

/** Class weights per head from the training labels, so rare classes are not drowned out. */
function taskClassWeights(train: Encoded[], o: TrainOptions) {
  return {
    sentiment: classWeights(
      train.map((x) => x.sentiment),
      N_SENTIMENT,
      o.classWeightPower,
    ),
    topic: classWeights(
      train.map((x) => x.topic),
      N_TOPIC,
      o.classWeightPower,
    ),
    tags: classWeights(
      train.flatMap((x) => (x.tags ? Array.from(x.tags) : [])),
      N_TAGS,
      o.tagClassWeightPower,
    ),
  };
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
function meanLosses(phase: "mlm" | "joint", sums: Record<string, number>, counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(sums).map((k) => [k === "total" && phase === "mlm" ? "mlm" : k, sums[k]! / counts[k]!]));
}

function snapshot(params: Record<string, tf.Variable>, specs: ReturnType<typeof weightSpecs>): RawWeights {
  const out: RawWeights = {};
  for (const sp of specs)
    if (!sp.trainOnly) out[sp.name] = { shape: sp.shape.slice(), data: params[sp.name]!.dataSync().slice() as Float32Array };
  return out;
}

/** Σ_task weight·CE, skipping tasks with no labels in the batch; uncertainty: w·(exp(−s)·L + s) with learned s = log σ². */
function jointLoss(
  w: WeightMap,
  c: ModelConfig,
  p: PackedBatch,
  o: TrainOptions,
  tasks: ReadonlySet<Task>,
  logVar: Partial<Record<Task, tf.Variable>>,
  cw: { sentiment: Float32Array; topic: Float32Array; tags: Float32Array },
  embeddingGrad: EmbeddingGrad,
  kept: Record<string, tf.Scalar>,
  seed: number,
): tf.Scalar | null {
  const out = forward(w, tf.tensor2d(p.ids, [p.B, p.T], "int32"), c, { dropout: o.dropout, embeddingGrad, seed });
  // With a teacher, a task's loss is (1 − α)·gold CE + α·distillation, each term present only where it has targets.
  const withTeacher = (task: DistilledTask, gold: tf.Scalar | null, soft: tf.Scalar | null): tf.Scalar | null => {
    if (!p.soft) return gold;
    const a = distillWeightOf(o, task);
    const parts = [gold ? tf.mul(gold, 1 - a) : null, soft ? tf.mul(soft, a) : null].filter((x): x is tf.Tensor => x !== null);
    return parts.length ? (tf.addN(parts) as tf.Scalar) : null;
  };
  const T = o.distillTemperature;
  const losses: [Task, tf.Scalar | null][] = [
    [
      "sentiment",
      tasks.has("sentiment")
        ? withTeacher(
            "sentiment",
            maskedCrossEntropy(out.sentimentLogits, p.sentiment, cw.sentiment),
            p.soft && distillationLoss(out.sentimentLogits, p.soft.sentiment, p.soft.sentimentRows, T),
          )
        : null,
    ],
    [
      "topic",
      tasks.has("topic")
        ? withTeacher(
            "topic",
            maskedCrossEntropy(out.topicLogits, p.topic, cw.topic),
            p.soft && distillationLoss(out.topicLogits, p.soft.topic, p.soft.topicRows, T),
          )
        : null,
    ],
    ["entities", tasks.has("entities") ? maskedCrossEntropy(out.tagLogits, p.tags, cw.tags) : null],
  ];
  const parts: tf.Scalar[] = [];
  for (const [t, l] of losses) {
    if (!l) continue;
    kept[t] = tf.keep(l);
    const s = logVar[t];
    // Under uncertainty weighting the static weight scales the task's whole term, w·(exp(−s)·L + s): s still settles at
    // log L, so the task's effective weight becomes w/L — a prior that survives the learned balance (scaling L alone
    // would be absorbed by s). All 1 (the default) is plain uncertainty weighting.
    const ws = o.staticWeights[t];
    parts.push(s ? (tf.mul(tf.add(tf.mul(tf.exp(tf.neg(s)), l), s), ws) as tf.Scalar) : (tf.mul(l, ws) as tf.Scalar));
  }
  if (p.feat && o.featureWeight > 0) {
    const fl = featureLoss(dense(out.pooled, w["feat.w"]!, w["feat.b"]!), p.feat.q, p.feat.mask, p.feat.rows);
    if (fl) {
      kept.features = tf.keep(fl);
      parts.push(tf.mul(fl, o.featureWeight) as tf.Scalar);
    }
  }
  if (out.wideLogits && o.wideAuxWeight > 0) {
    const wl = out.wideLogits;
    const aux = [
      tasks.has("sentiment") ? maskedCrossEntropy(tf.slice(wl, [0, 0], [p.B, N_SENTIMENT]), p.sentiment, cw.sentiment) : null,
      tasks.has("topic") ? maskedCrossEntropy(tf.slice(wl, [0, N_SENTIMENT], [p.B, N_TOPIC]), p.topic, cw.topic) : null,
    ];
    for (const l of aux) if (l) parts.push(tf.mul(l, o.wideAuxWeight) as tf.Scalar);
  }
  return parts.length ? (tf.addN(parts) as tf.Scalar) : null;
}

export { TASKS };
