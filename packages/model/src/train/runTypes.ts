import type { ModelConfig } from "../nn/config.ts";
import type { RawWeights } from "../nn/weights.ts";
import type { Example } from "../data/example.ts";
import type { Tokenizer } from "../tokenizer/index.ts";
import type { DevMetrics } from "./evaluate.ts";
import type { Task, TrainOptions, TrainOptionsInput } from "./options.ts";
import type { TeacherLogits } from "./teacher.ts";

/** The inputs, progress reports and results of one training run (`trainModel`). */

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
