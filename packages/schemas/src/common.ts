import { z } from "zod";
import { ENTITY_TYPES, SENTIMENT_LABELS, TOPIC_LABELS } from "./constants.ts";

export { ENTITY_TYPES, SENTIMENT_LABELS, TOPIC_LABELS };

/** ISO-8601 timestamp with offset, normalised to a string. */
export const IsoDate = z.iso.datetime({ offset: true });

export const SentimentLabel = z.enum(SENTIMENT_LABELS);
export type SentimentLabel = z.infer<typeof SentimentLabel>;

export const TopicLabel = z.enum(TOPIC_LABELS);
export type TopicLabel = z.infer<typeof TopicLabel>;

export const EntityType = z.enum(ENTITY_TYPES);
export type EntityType = z.infer<typeof EntityType>;

/** A character span [start, end) in an item's text. */
export const EntitySpan = z
  .object({
    start: z.number().int().nonnegative(),
    end: z.number().int().positive(),
    type: EntityType,
  })
  .refine((s) => s.end > s.start, { message: "end must be greater than start", path: ["end"] });
export type EntitySpan = z.infer<typeof EntitySpan>;

/** Human-readable list of zod problems: `path: message` per issue. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.join(".") || "(root)", message: i.message }));
}
