import { z } from "zod";

/** ISO-8601 timestamp with offset, normalised to a string. */
export const IsoDate = z.iso.datetime({ offset: true });

export const SENTIMENT_LABELS = ["bearish", "neutral", "bullish"] as const;
export const SentimentLabel = z.enum(SENTIMENT_LABELS);
export type SentimentLabel = z.infer<typeof SentimentLabel>;

/** The 20-topic financial taxonomy, in the order the model's topic head uses. */
export const TOPIC_LABELS = [
  "Analyst Update",
  "Fed | Central Banks",
  "Company | Product News",
  "Treasuries | Corporate Debt",
  "Dividend",
  "Earnings",
  "Energy | Oil",
  "Financials",
  "Currencies",
  "General News | Opinion",
  "Gold | Metals | Materials",
  "IPO",
  "Legal | Regulation",
  "M&A | Investments",
  "Macro",
  "Markets",
  "Politics",
  "Personnel Change",
  "Stock Commentary",
  "Stock Movement",
] as const;
export const TopicLabel = z.enum(TOPIC_LABELS);
export type TopicLabel = z.infer<typeof TopicLabel>;

export const ENTITY_TYPES = ["ORG", "TICKER", "PERSON", "LOCATION", "MONEY", "PERCENT"] as const;
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
