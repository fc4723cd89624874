import { z } from "zod";
import { IsoDate, SENTIMENT_LABELS, TOPIC_LABELS } from "@finsentry/schemas";
import { DataSource } from "../runtime/manifest.ts";

export const ENCODER_FILES = { onnx: "model.onnx", tokenizer: "tokenizer.json", card: "MODEL_CARD.md" } as const;

/** The accurate tier's tag head: BIO over the name types (tickers, money and percentages come from patterns). */
export const ENCODER_TAGS = ["O", "B-PERSON", "I-PERSON", "B-ORG", "I-ORG", "B-LOCATION", "I-LOCATION"] as const;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lowercase hex digits");
const Figure = z.record(z.string(), z.number());

/**
 * manifest.json of an accurate-tier directory: a fine-tuned pretrained encoder exported to ONNX (inputs input_ids and
 * attention_mask; logits sentiment [b,3], topic [b,20], tags [b,seq,7]) with a bert-base-uncased WordPiece
 * tokenizer.json. The label orders are part of the contract: a model trained with another order is refused.
 */
export const EncoderManifest = z.object({
  format: z.literal("finsentry-encoder/1"),
  id: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9._-]+$/, "id: letters, digits, . _ - only"),
  created_at: IsoDate,
  encoder: z.object({ name: z.string().min(1), licence: z.string().min(1), source: z.string().min(1) }),
  maxLen: z.number().int().min(8).max(512),
  labels: z.object({
    sentiment: z
      .array(z.string())
      .refine(
        (a) => a.length === SENTIMENT_LABELS.length && a.every((l, i) => l === SENTIMENT_LABELS[i]),
        "sentiment labels must be SENTIMENT_LABELS in order",
      ),
    topic: z
      .array(z.string())
      .refine(
        (a) => a.length === TOPIC_LABELS.length && a.every((l, i) => l === TOPIC_LABELS[i]),
        "topic labels must be TOPIC_LABELS in order",
      ),
    tags: z
      .array(z.string())
      .refine(
        (a) => a.length === ENCODER_TAGS.length && a.every((l, i) => l === ENCODER_TAGS[i]),
        `tags must be ${ENCODER_TAGS.join(",")}`,
      ),
  }),
  files: z.object({ onnx: Sha256, tokenizer: Sha256 }),
  /** Gold-label figures by split and style, e.g. metrics.test["sentiment:tweets"] = { accuracy, macroF1 }. */
  metrics: z.record(z.string(), z.record(z.string(), Figure)),
  data: z.object({ sources: z.array(DataSource), note: z.string().optional() }),
  quantization: z.string().optional(),
  reproduce: z.string().optional(),
});
export type EncoderManifest = z.infer<typeof EncoderManifest>;
