import { z } from "zod";
import { ENTITY_TYPES, SENTIMENT_LABELS, TOPIC_LABELS } from "@finsentry/schemas";

/** BIO tag set of the entity head: index 0 is O, then B-/I- pairs in ENTITY_TYPES order (B at 1+2k, I at 2+2k). */
export const TAG_LABELS: readonly string[] = ["O", ...ENTITY_TYPES.flatMap((t) => [`B-${t}`, `I-${t}`])];
export const N_SENTIMENT = SENTIMENT_LABELS.length;
export const N_TOPIC = TOPIC_LABELS.length;
export const N_TAGS = TAG_LABELS.length;

/** Architecture hyper-parameters; everything the forward pass and the ONNX exporter need besides the weights. */
export const ModelConfig = z
  .object({
    vocabSize: z.number().int().min(2),
    maxLen: z.number().int().min(2).max(4096),
    dModel: z.number().int().min(4),
    nLayers: z.number().int().min(1).max(48),
    nHeads: z.number().int().min(1),
    dFF: z.number().int().min(4),
    padId: z.number().int().nonnegative(),
    /** LayerNorm epsilon, identical in tfjs and in the ONNX LayerNormalization nodes. */
    lnEps: z.number().positive().default(1e-5),
    /**
     * "Wide" bag-of-tokens path: a [V, 3+20] table whose rows, summed over the text's tokens and divided by √n, are
     * added to the sentiment and topic logits — a linear model over word pieces beside the encoder (wide & deep).
     * Absent (not false) on models without it, so their config, and the ONNX bytes that embed it, stay unchanged.
     */
    wide: z.literal(true).optional(),
  })
  .refine((c) => c.dModel % c.nHeads === 0, { message: "dModel must be divisible by nHeads", path: ["nHeads"] })
  .refine((c) => c.padId < c.vocabSize, { message: "padId must be < vocabSize", path: ["padId"] });
export type ModelConfig = z.infer<typeof ModelConfig>;
export type ModelConfigInput = z.input<typeof ModelConfig>;

/** Start point measured in docs/model.md: small enough for ≥2k items/s on 2 CPU cores. */
export const DEFAULT_SIZES = { dModel: 128, nLayers: 2, nHeads: 4, dFF: 256, maxLen: 64 } as const;

/** BERT-base-sized encoder for the speed comparison (vocab like BERT's WordPiece). */
export const BERT_BASE_SIZES = { dModel: 768, nLayers: 12, nHeads: 12, dFF: 3072, vocabSize: 30522 } as const;

/** Additive attention bias for padded keys; large but finite so fp32 softmax gives exactly 0 without NaNs. */
export const MASK_BIAS = -1e9;
