#!/usr/bin/env tsx
/**
 * Trains the multitask model and writes a complete model directory.
 *   tsx packages/model/src/cli/train.ts --data-dir ../shared/data --out models/default --epochs 12
 */
import { mkdir, rm } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { selectBackend } from "../backend/index.ts";
import type { RawWeights } from "../nn/weights.ts";
import { embeddingInit, loadPretrainedEmbeddings } from "../pretrained/index.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { loadLabelledCorpus } from "../train/labelledCorpus.ts";
import { saveTrained } from "../train/save.ts";
import { loadTeacher } from "../train/teacher.ts";
import { distillWeightText, TASKS, TrainOptions, type Task } from "../train/options.ts";
import { trainModel, type TrainResult } from "../train/trainer.ts";

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError("not an integer");
  return n;
};
const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError("not a number");
  return n;
};
const taskList = (v: string): Task[] => {
  const ts = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const t of ts)
    if (!(TASKS as readonly string[]).includes(t)) throw new InvalidArgumentError(`unknown task ${t} (${TASKS.join(", ")})`);
  return ts as Task[];
};
/** "task=x,task=y" over the given task names. */
const perTask = (v: string, names: readonly string[], usage: string): Record<string, number> => {
  const o: Record<string, number> = {};
  for (const kv of v.split(",")) {
    const [k, x] = kv.split("=");
    if (!k || !names.includes(k) || !Number.isFinite(Number(x))) throw new InvalidArgumentError(`bad weight ${kv} (use ${usage})`);
    o[k] = Number(x);
  }
  return o;
};
const weights = (v: string) => ({ sentiment: 1, topic: 1, entities: 1, ...perTask(v, TASKS, "sentiment=1,topic=1,entities=1") });
/** "0.5" for both tasks, or "sentiment=0.8,topic=0.5". */
const distillWeight = (v: string): number | { sentiment: number; topic: number } => {
  if (!v.includes("=")) return num(v);
  const { sentiment, topic } = perTask(v, ["sentiment", "topic"], "0.5 or sentiment=0.8,topic=0.5");
  if (sentiment === undefined || topic === undefined) throw new InvalidArgumentError("give both sentiment= and topic=");
  return { sentiment, topic };
};

const cmd = new Command("train")
  .description("train the finsentry multitask encoder and write a model directory")
  .requiredOption("--data-dir <dir>", "folder of training sources (e.g. ../shared/data)")
  .requiredOption("--out <dir>", "model directory to write")
  .option("--id <id>", "model version id (default: basename of --out + date)")
  .option("--sources <list>", "comma-separated sources (default: all found)")
  .option("--no-weak", "do not add weak entity labels (gazetteer, patterns)")
  .option("--tasks <list>", "tasks to train", taskList, [...TASKS])
  .option("--epochs <n>", "joint epochs", int, 12)
  .option("--batch-size <n>", "batch size", int, 32)
  .option("--max-steps-per-epoch <n>", "cap steps per epoch (0 = all)", int, 0)
  .option("--lr <x>", "peak learning rate", num, 1e-3)
  .option("--warmup <frac>", "warm-up fraction of steps", num, 0.06)
  .addOption(new Option("--decay <kind>", "LR decay").choices(["cosine", "linear"]).default("cosine"))
  .option("--weight-decay <x>", "AdamW decoupled weight decay", num, 0.01)
  .option("--dropout <p>", "dropout (training only)", num, 0.1)
  .addOption(
    new Option("--task-weights <kind>", "static weights or learned uncertainty weighting")
      .choices(["static", "uncertainty"])
      .default("static"),
  )
  .option(
    "--static-weights <list>",
    "e.g. sentiment=1,topic=1,entities=0.5 (with uncertainty weights: priors scaling each task's learned term)",
    weights,
  )
  .option("--class-weight-power <x>", "inverse-frequency class weight exponent (0 = off)", num, 0.5)
  .option("--tag-class-weight-power <x>", "the same for the BIO tags", num, 0.5)
  .option("--patience <n>", "early-stopping patience in epochs (0 = off)", int, 3)
  .option("--entity-swap <p>", "entity-swap augmentation probability (0 = off)", num, 0)
  .option("--token-dropout <p>", "token-dropout augmentation probability (0 = off)", num, 0)
  .option("--mlm-epochs <n>", "masked-token pre-training epochs (0 = off)", int, 0)
  .option("--seed <n>", "random seed", int, 1)
  .option("--wide", "add the wide bag-of-tokens path to the sentiment and topic heads", false)
  .option("--wide-lr-scale <x>", "learning-rate multiplier for the wide table", num, 1)
  .option("--wide-aux-weight <x>", "weight of an auxiliary loss on the wide path alone (0 = off)", num, 0)
  .option("--average-from <epoch>", "average the weights of the joint epochs from this one on (0 = off)", int, 0)
  .option(
    "--init-embeddings <dir>",
    "initialise token embeddings from a BERT-family model (model.onnx + tokenizer.json; infra/pretrained/fetch-minilm.sh)",
  )
  .option("--teacher <file>", "JSONL of a teacher's logits {text, sentiment?: [3], topic?: [20]} to distil from (docs/model.md)")
  .option(
    "--transfer <file>",
    "JSONL in the --teacher format whose texts (e.g. augmented copies, infra/teacher) join training with the teacher's targets only",
  )
  .option(
    "--distill-weight <x>",
    "share of the sentiment/topic loss given to the teacher's soft targets: 0.5, or per task sentiment=0.8,topic=0.5",
    distillWeight,
    0.5,
  )
  .option("--distill-temperature <x>", "softmax temperature of the distillation term", num, 2)
  .option(
    "--feature-weight <x>",
    'weight of the feature term: the pooled vector, through a training-only map, learns the teacher files\' "features" (minilm_teacher.py --features); 0 = off',
    num,
    0,
  )
  .option("--d-model <n>", "hidden size", int)
  .option("--layers <n>", "encoder layers", int)
  .option("--heads <n>", "attention heads", int)
  .option("--ffn <n>", "feed-forward size", int)
  .option("--max-len <n>", "max tokens incl. [CLS]", int)
  .option("--vocab-size <n>", "tokenizer vocabulary size", int, 8000)
  .option("--backend <name>", "tfjs backend: auto, node-gpu, node, wasm, cpu (env TFJS_BACKEND)")
  .option("--no-progress", "no progress bar");

async function main(): Promise<void> {
  cmd.parse();
  const a = cmd.opts();
  const backend = await selectBackend(a.backend ?? process.env.TFJS_BACKEND);
  const out = resolve(a.out as string);
  const id = (a.id as string | undefined) ?? `${basename(out)}-${new Date().toISOString().slice(0, 10)}`;
  const options = TrainOptions.parse({
    tasks: a.tasks,
    epochs: a.epochs,
    batchSize: a.batchSize,
    maxStepsPerEpoch: a.maxStepsPerEpoch,
    lr: a.lr,
    warmupFrac: a.warmup,
    decay: a.decay,
    weightDecay: a.weightDecay,
    dropout: a.dropout,
    taskWeights: a.taskWeights,
    ...(a.staticWeights ? { staticWeights: a.staticWeights } : {}),
    classWeightPower: a.classWeightPower,
    tagClassWeightPower: a.tagClassWeightPower,
    patience: a.patience,
    entitySwap: a.entitySwap,
    tokenDropout: a.tokenDropout,
    mlmEpochs: a.mlmEpochs,
    seed: a.seed,
    wide: a.wide,
    wideLrScale: a.wideLrScale,
    wideAuxWeight: a.wideAuxWeight,
    averageFrom: a.averageFrom,
    distillWeight: a.distillWeight,
    distillTemperature: a.distillTemperature,
    featureWeight: a.featureWeight,
    sizes: Object.fromEntries(
      Object.entries({ dModel: a.dModel, nLayers: a.layers, nHeads: a.heads, dFF: a.ffn, maxLen: a.maxLen }).filter(
        ([, v]) => v !== undefined,
      ),
    ),
  });

  // Read before the corpus so a wrong --init-embeddings folder fails at once.
  const pretrained = a.initEmbeddings ? await loadPretrainedEmbeddings(a.initEmbeddings as string) : undefined;
  const teacher = a.teacher ? await loadTeacher(a.teacher as string) : undefined;
  const transfer = a.transfer ? await loadTeacher(a.transfer as string) : undefined;
  const corpus = await loadLabelledCorpus({
    dataDir: a.dataDir,
    weak: a.weak,
    ...(a.sources ? { sources: String(a.sources).split(",") } : {}),
  });
  const { train, dev, dataNote } = corpus;

  const t0 = Date.now();
  const tokenizer = Tokenizer.train(
    train.map((e) => e.text),
    { vocabSize: a.vocabSize },
  );
  console.error(
    `[train] tokenizer: ${tokenizer.vocabSize} pieces learned from ${train.length} train texts in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  let seedWeights: RawWeights | undefined;
  const cardNotes: string[] = [];
  if (pretrained) {
    const dim = options.sizes.dModel;
    const t1 = Date.now();
    const e = embeddingInit(tokenizer.toJSON().vocab, pretrained, dim, { seed: options.seed });
    seedWeights = { tok_emb: { shape: [tokenizer.vocabSize, dim], data: e.data } };
    const from = pretrained.source ? `${pretrained.source.name}, ${pretrained.source.licence}` : String(a.initEmbeddings);
    const note = `Token embeddings initialised from ${from}: ${e.mapped} of ${tokenizer.vocabSize} pieces mapped through its WordPiece vocabulary, PCA ${pretrained.table.shape[1]} → ${dim} keeps ${(100 * e.explainedVariance).toFixed(0)} % of their variance.`;
    console.error(`[train] ${note} (${((Date.now() - t1) / 1000).toFixed(1)} s)`);
    cardNotes.push(note);
  }

  if (teacher)
    cardNotes.push(
      `Distilled from a teacher's logits (${basename(a.teacher as string)}, ${teacher.size} texts; weight ${distillWeightText(options)}, temperature ${options.distillTemperature}); docs/model.md says how the teacher was made.`,
    );
  if (options.featureWeight > 0)
    cardNotes.push(
      `Feature term: the pooled vector also learned the teacher's reduced pooled vectors (weight ${options.featureWeight}) through a training-only map that is not exported; docs/model.md.`,
    );
  if (transfer)
    cardNotes.push(
      `Transfer set: ${transfer.size} further texts (${basename(a.transfer as string)}) trained on the teacher's targets only, distillation weight as above; docs/model.md says how they were made.`,
    );

  await mkdir(out, { recursive: true });
  const metricsLog = join(out, "train-log.jsonl");
  await rm(metricsLog, { force: true });
  const command = `tsx packages/model/src/cli/train.ts ${process.argv.slice(2).join(" ")}`;
  const save = (r: TrainResult) =>
    saveTrained(out, r, {
      id,
      tokenizer,
      train,
      dataNote,
      command,
      backend: backend.chosen,
      cardNotes: [
        `Trained on tfjs backend "${backend.chosen}" at ${r.examplesPerSec.toFixed(0)} examples/s.`,
        ...cardNotes,
        "Per-epoch metrics: train-log.jsonl in this directory.",
      ],
    });
  // Every dev improvement is written out, so an interrupted run still leaves its best model behind.
  const onBest = async (r: TrainResult) => {
    await save(r);
    console.error(`[train] checkpoint: epoch ${r.bestEpoch} written to ${out}`);
  };
  const result = await trainModel({
    train,
    dev,
    tokenizer,
    options,
    ...(seedWeights ? { seedWeights } : {}),
    ...(teacher ? { teacher } : {}),
    ...(transfer ? { transfer } : {}),
    metricsLog,
    progress: a.progress,
    log: (l) => console.error(l),
    onBest,
  });
  const manifest = await save(result);
  console.log(JSON.stringify({ out, id: manifest.id, metrics: manifest.metrics, bestEpoch: result.bestEpoch }));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
