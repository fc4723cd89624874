import { z } from "zod";
import { DEFAULT_SIZES } from "../nn/config.ts";

export const TASKS = ["sentiment", "topic", "entities"] as const;
export type Task = (typeof TASKS)[number];

/** Everything that defines a training run (recorded in the manifest so a run can be reproduced). */
export const TrainOptions = z.object({
  tasks: z
    .array(z.enum(TASKS))
    .min(1)
    .default([...TASKS]),
  epochs: z.number().int().min(0).default(12),
  batchSize: z.number().int().min(1).default(32),
  /** Cap on optimiser steps per epoch (budgeted runs, tests); 0 = whole epoch. */
  maxStepsPerEpoch: z.number().int().min(0).default(0),
  lr: z.number().positive().default(1e-3),
  warmupFrac: z.number().min(0).max(1).default(0.06),
  decay: z.enum(["cosine", "linear"]).default("cosine"),
  weightDecay: z.number().min(0).default(0.01),
  clipNorm: z.number().min(0).default(1),
  dropout: z.number().min(0).max(0.9).default(0.1),
  /** static: fixed per-task weights; uncertainty: learned log-variances (Kendall, Gal & Cipolla 2018). */
  taskWeights: z.enum(["static", "uncertainty"]).default("static"),
  /** Static: the task weights. Uncertainty: priors on the learned weights (each task's term is scaled; 1 = none). */
  staticWeights: z
    .object({ sentiment: z.number().min(0), topic: z.number().min(0), entities: z.number().min(0) })
    .default({ sentiment: 1, topic: 1, entities: 1 }),
  /** Inverse-frequency class-weight exponent (0 = unweighted, 1 = fully balanced). */
  classWeightPower: z.number().min(0).max(1).default(0.5),
  /** The same for the 13 BIO tags, kept separate: O is ~85 % of tokens and strong tag weights trade precision for recall. */
  tagClassWeightPower: z.number().min(0).max(1).default(0.5),
  /** Epochs without dev improvement before stopping (0 = never stop early). */
  patience: z.number().int().min(0).default(3),
  /** Probability of swapping each entity mention for another of its type (0 = off). */
  entitySwap: z.number().min(0).max(1).default(0),
  /** Probability of dropping each token (0 = off). */
  tokenDropout: z.number().min(0).max(0.5).default(0),
  /** Masked-token pre-training epochs over all training texts (+ unlabelled texts) before the joint objective. */
  mlmEpochs: z.number().int().min(0).default(0),
  mlmMaskProb: z.number().min(0.01).max(0.5).default(0.15),
  seed: z.number().int().default(1),
  /** Add the wide bag-of-tokens path to the sentiment and topic heads (nn/config.ts `wide`). */
  wide: z.boolean().default(false),
  /**
   * Learning-rate multiplier for the wide table. Each row only moves on steps where its token occurs, by about lr
   * per step under Adam, so at the encoder's rate it stays far below the weights a linear model needs.
   */
  wideLrScale: z.number().positive().default(1),
  /**
   * Weight of an auxiliary loss on the wide path's logits alone (0 = off). The encoder fits the training set within
   * a few epochs, after which the summed logits leave the wide path almost no gradient; its own loss keeps it a
   * complete linear model, so the sum behaves like an ensemble of the two.
   */
  wideAuxWeight: z.number().min(0).default(0),
  /**
   * Average the weights of every joint epoch from this one on (stochastic weight averaging; 0 = off) and keep the
   * average when its dev score beats every single epoch's.
   */
  averageFrom: z.number().int().min(0).default(0),
  /**
   * Share of the sentiment/topic loss given to a teacher's soft targets (`TrainInput.teacher`); the gold CE gets the
   * rest. One number for both tasks, or one per task: the teacher is further ahead of the student on some tasks.
   */
  distillWeight: z
    .union([z.number().min(0).max(1), z.object({ sentiment: z.number().min(0).max(1), topic: z.number().min(0).max(1) }).strict()])
    .default(0.5),
  /** Softmax temperature for the teacher's and the student's logits in the distillation term. */
  distillTemperature: z.number().positive().default(2),
  /**
   * Weight of the feature term (0 = off): mean squared error between a training-only linear map of the student's
   * pooled vector and the teacher's `features` for the texts that have them — a hint of the teacher's whole
   * representation beside its 23 logits (FitNets, Romero et al. 2015, on the pooled vector). Outside the learned
   * task weights: it is a fixed auxiliary term, not a task.
   */
  featureWeight: z.number().min(0).default(0),
  sizes: z
    .object({
      dModel: z.number().int().positive().default(DEFAULT_SIZES.dModel),
      nLayers: z.number().int().positive().default(DEFAULT_SIZES.nLayers),
      nHeads: z.number().int().positive().default(DEFAULT_SIZES.nHeads),
      dFF: z.number().int().positive().default(DEFAULT_SIZES.dFF),
      maxLen: z.number().int().min(8).default(DEFAULT_SIZES.maxLen),
    })
    .default({ ...DEFAULT_SIZES }),
});
export type TrainOptions = z.infer<typeof TrainOptions>;
export type TrainOptionsInput = z.input<typeof TrainOptions>;

/** The tasks a teacher's logits cover. */
export type DistilledTask = "sentiment" | "topic";

/** The distillation share α of one task's loss. */
export function distillWeightOf(o: Pick<TrainOptions, "distillWeight">, task: DistilledTask): number {
  return typeof o.distillWeight === "number" ? o.distillWeight : o.distillWeight[task];
}

/** α as logs and model cards print it: "0.5" or "sentiment 0.8, topic 0.5". */
export function distillWeightText(o: Pick<TrainOptions, "distillWeight">): string {
  const w = o.distillWeight;
  return typeof w === "number" ? String(w) : `sentiment ${w.sentiment}, topic ${w.topic}`;
}
