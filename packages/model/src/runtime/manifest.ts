import { z } from "zod";
import { IsoDate } from "@finsentry/schemas";

export const MANIFEST_FILE = "manifest.json";
export const MODEL_FILES = {
  onnx: "model.onnx",
  tokenizer: "tokenizer.json",
  weightsJson: "weights.json",
  weightsBin: "weights.bin",
  metrics: "metrics.json",
  card: "MODEL_CARD.md",
} as const;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lowercase hex digits");

/** One data source in the data card (what the weights were trained on, under which licence). */
export const DataSource = z.object({
  name: z.string().min(1),
  licence: z.string().min(1),
  examples: z.number().int().nonnegative(),
  tasks: z.array(z.enum(["sentiment", "topic", "entities", "mlm"])),
  note: z.string().optional(),
});

/** manifest.json of a model directory: identity, lineage, sizes, integrity hashes, metrics and data card. */
export const Manifest = z.object({
  format: z.literal("finsentry-model/1"),
  /** Immutable version id, reported as TextScorer.version. */
  id: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, "id: letters, digits, . _ - only"),
  created_at: IsoDate,
  /** Model this one was fine-tuned from (null when trained from scratch). */
  parent: z.string().nullable(),
  maxLen: z.number().int().min(2),
  sizes: z.object({
    vocabSize: z.number().int().positive(),
    dModel: z.number().int().positive(),
    nLayers: z.number().int().positive(),
    nHeads: z.number().int().positive(),
    dFF: z.number().int().positive(),
    params: z.number().int().positive(),
  }),
  files: z.object({ onnx: Sha256, tokenizer: Sha256, weightsBin: Sha256 }),
  /** Dev-split metrics by task, e.g. { sentiment: { accuracy, macroF1 }, ... }. */
  metrics: z.record(z.string(), z.record(z.string(), z.number())),
  data: z.object({ sources: z.array(DataSource), note: z.string().optional() }),
  training: z.record(z.string(), z.unknown()).optional(),
});
export type Manifest = z.infer<typeof Manifest>;
