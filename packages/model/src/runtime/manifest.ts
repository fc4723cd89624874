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

/**
 * How model.onnx stores its weights when it is not plain float32 (written by `npm run quantize`). Optional: a
 * manifest without it describes a float32 model, as every manifest did before the field existed.
 */
export const Quantization = z.object({
  /** Weight-only, symmetric (zero point 0) int8; activations and all arithmetic stay float32. */
  dtype: z.literal("int8"),
  /** Per tensor name: the axis that has its own scale (0 = per row of tok_emb, 1 = per output column of a [in,out] matrix). */
  tensors: z.record(z.string(), z.object({ axis: z.number().int().nonnegative() })),
  /** The float32 model this one was quantized from: its id and the sha256 of its model.onnx. */
  source: z.object({ id: z.string().min(1), onnx: Sha256 }),
  /** model.onnx sizes in bytes, float32 source and quantized. */
  bytes: z.object({ source: z.number().int().positive(), quantized: z.number().int().positive() }),
  note: z.string().optional(),
});
export type Quantization = z.infer<typeof Quantization>;

/** manifest.json of a model directory: identity, lineage, sizes, integrity hashes, metrics and data card. */
export const Manifest = z.object({
  format: z.literal("finsentry-model/1"),
  /** Immutable version id, reported as TextScorer.version. */
  id: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9._-]+$/, "id: letters, digits, . _ - only"),
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
    /** Has the wide bag-of-tokens path (nn/config.ts); absent on models without it. */
    wide: z.literal(true).optional(),
  }),
  files: z.object({ onnx: Sha256, tokenizer: Sha256, weightsBin: Sha256 }),
  /** Dev-split metrics by task, e.g. { sentiment: { accuracy, macroF1 }, ... }. */
  metrics: z.record(z.string(), z.record(z.string(), z.number())),
  data: z.object({ sources: z.array(DataSource), note: z.string().optional() }),
  training: z.record(z.string(), z.unknown()).optional(),
  quantization: Quantization.optional(),
});
export type Manifest = z.infer<typeof Manifest>;
