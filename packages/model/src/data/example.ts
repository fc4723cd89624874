import { EntityType, SentimentLabel } from "@finsentry/schemas";
import { z } from "zod";

/** One training/eval text with whichever task labels its source provides (missing tasks are masked in training). */
export interface Example {
  text: string;
  sentiment?: "bearish" | "neutral" | "bullish";
  /** Index into TOPIC_LABELS (0-19). */
  topic?: number;
  /** Character spans [start, end) into `text` (UTF-16 units, i.e. `text.slice(start, end)`). */
  entities?: { start: number; end: number; type: EntityType }[];
  /** Source id, e.g. "twitter-financial-news-topic" or "jsonl:my-file.jsonl". */
  source: string;
}

export const ExampleSchema = z
  .object({
    text: z.string().min(1),
    sentiment: SentimentLabel.optional(),
    topic: z.number().int().min(0).max(19).optional(),
    entities: z.array(z.object({ start: z.number().int().nonnegative(), end: z.number().int().positive(), type: EntityType })).optional(),
    source: z.string().min(1),
  })
  .superRefine((e, ctx) => {
    e.entities?.forEach((s, i) => {
      if (s.end <= s.start || s.end > e.text.length) {
        ctx.addIssue({
          code: "custom",
          path: ["entities", i],
          message: `span [${s.start}, ${s.end}) is empty or outside the text (length ${e.text.length})`,
        });
      }
    });
  });

export type Split = "train" | "dev" | "test";
export const SPLITS: readonly Split[] = ["train", "dev", "test"];

/** Sorts spans by start and drops any that overlap an earlier (or, at equal start, longer) one. */
export function dedupeSpans<T extends { start: number; end: number }>(spans: T[]): T[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: T[] = [];
  for (const s of sorted) if (out.length === 0 || s.start >= out[out.length - 1]!.end) out.push(s);
  return out;
}
