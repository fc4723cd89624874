import * as tf from "@tensorflow/tfjs";
import { N_SENTIMENT, N_TAGS, N_TOPIC, ModelConfig } from "../nn/config.ts";
import { defaultEmbeddingGrad, type EmbeddingGrad } from "../nn/embedding.ts";
import { initRawWeights, mulberry32, weightSpecs, type RawWeights, type WeightMap } from "../nn/weights.ts";
import type { Example } from "../data/example.ts";
import { AdamW } from "./adamw.ts";
import { buildEntityPool } from "./augment.ts";
import { encodeExample, NO_LABEL, type Encoded } from "./encode.ts";
import { runEpochs, snapshot, type StepFn, type TrainRun } from "./epochs.ts";
import { classWeights } from "./losses.ts";
import { distillWeightText, TrainOptions, TASKS, type DistilledTask, type Task } from "./options.ts";
import { makeProgressBar } from "./progress.ts";
import type { TrainInput, TrainResult } from "./runTypes.ts";
import { featureDimOf, softTargets, type TeacherTargets } from "./teacher.ts";

export type { EpochRange, EpochRecord, TrainInput, TrainProgress, TrainResult } from "./runTypes.ts";

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
  const tok = input.tokenizer;
  const tasks = new Set(o.tasks);
  const model = buildModel(input, o, ++runCounter);
  const data = prepareData(input, o, tasks, model, log);
  const stepsPerEpoch = (n: number) => {
    const full = Math.ceil(n / o.batchSize);
    return o.maxStepsPerEpoch > 0 ? Math.min(full, o.maxStepsPerEpoch) : full;
  };
  const run: TrainRun = {
    input,
    o,
    log,
    rnd: mulberry32(o.seed),
    tok,
    config: model.config,
    tasks,
    embeddingGrad: model.embeddingGrad,
    specs: model.specs,
    params: model.params,
    w: model.params as unknown as WeightMap,
    logVar: model.logVar,
    step: makeStep(model),
    ...data,
    stepsPerEpoch,
    bar: makeProgressBar(input.progress ?? false),
    history: [],
    clock: {
      t0: performance.now(),
      examplesSeen: 0,
      trainSeconds: 0,
      // Planned steps over both phases, for structured progress (batches per epoch never exceed stepsPerEpoch).
      plannedSteps:
        o.mlmEpochs * stepsPerEpoch(data.train.length + (input.unlabelled?.length ?? 0)) + o.epochs * stepsPerEpoch(data.train.length),
      runStep: 0,
    },
  };
  if (o.mlmEpochs > 0) await runEpochs(run, "mlm", o.mlmEpochs);
  const best = o.epochs > 0 ? await runEpochs(run, "joint", o.epochs) : undefined;
  const { examplesSeen, trainSeconds } = run.clock;
  const result: TrainResult = {
    config: model.config,
    raw: best?.raw ?? snapshot(model.params, model.specs),
    best: best?.dev,
    bestEpoch: best?.epoch ?? 0,
    ...(best?.averaged ? { averaged: best.averaged } : {}),
    history: run.history,
    options: o,
    examplesPerSec: trainSeconds > 0 ? examplesSeen / trainSeconds : 0,
  };
  model.opt.dispose();
  tf.dispose(Object.values(model.allVars));
  return result;
}

/** The model being trained: its config, parameters (plus learned task log-variances) and the AdamW optimiser over them. */
interface TrainableModel {
  config: ModelConfig;
  featureDim: number | undefined;
  embeddingGrad: EmbeddingGrad;
  specs: ReturnType<typeof weightSpecs>;
  params: Record<string, tf.Variable>;
  logVar: Partial<Record<Task, tf.Variable>>;
  allVars: Record<string, tf.Variable>;
  opt: AdamW;
}

/** Builds the model's variables (names unique per `run`: tfjs registers variable names globally) and its optimiser. */
function buildModel(input: TrainInput, o: TrainOptions, run: number): TrainableModel {
  const tok = input.tokenizer;
  const config =
    input.init?.config ?? ModelConfig.parse({ vocabSize: tok.vocabSize, padId: tok.padId, ...o.sizes, ...(o.wide ? { wide: true } : {}) });
  if (config.vocabSize !== tok.vocabSize) throw new Error(`tokenizer has ${tok.vocabSize} tokens, model ${config.vocabSize}`);
  const embeddingGrad: EmbeddingGrad = defaultEmbeddingGrad(tf.getBackend());
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
  return { config, featureDim, embeddingGrad, specs, params, logVar, allVars, opt };
}

/** One AdamW step over all variables; the losses `lossFn` keeps are read back by name. */
function makeStep(m: TrainableModel): StepFn {
  const byVarName = new Map(Object.entries(m.allVars).map(([k, v]) => [v.name, k]));
  return (lossFn, lr) => {
    const kept: Record<string, tf.Scalar> = {};
    let empty = false;
    const { value, grads } = tf.variableGrads(() => {
      const l = lossFn(kept);
      if (l) return l;
      empty = true;
      return tf.scalar(0).mul(m.params["tok_emb"]!.sum()) as tf.Scalar;
    }, Object.values(m.allVars));
    const out: Record<string, number> = {};
    if (!empty) {
      const named: Record<string, tf.Tensor> = {};
      for (const [vn, g] of Object.entries(grads)) named[byVarName.get(vn) ?? vn] = g;
      m.opt.step(named, lr);
      out.total = value.dataSync()[0]!;
      for (const [k, t] of Object.entries(kept)) out[k] = t.dataSync()[0]!;
    }
    tf.dispose([value, ...Object.values(grads), ...Object.values(kept)]);
    return empty ? null : out;
  };
}

/**
 * Encodes dev and training examples for the trained tasks, with the teacher's softened targets looked up by the
 * original text (entity swapping changes it); logs what the teacher and transfer set add.
 */
function prepareData(input: TrainInput, o: TrainOptions, tasks: ReadonlySet<Task>, m: TrainableModel, log: (line: string) => void) {
  const { config } = m;
  const tok = input.tokenizer;
  const { softByText, featByText, transfer } = teacherTargetsByText(input, tasks, o, m.featureDim);
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
  const train = trainSrc.map((e) => enc(e));
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
  if (m.featureDim)
    log(`[train] feature term: ${featByText.size} texts with ${m.featureDim}-value teacher features; weight ${o.featureWeight}`);
  const pool = o.entitySwap > 0 ? buildEntityPool(trainSrc) : undefined;
  const cw = taskClassWeights(train, o);
  log(
    `[train] ${train.length} train / ${dev.length} dev examples; tasks ${o.tasks.join(",")}; params ${m.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0)}; embedding grad ${m.embeddingGrad}`,
  );
  return { dev, trainSrc, train, enc, pool, cw };
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

export { TASKS };
