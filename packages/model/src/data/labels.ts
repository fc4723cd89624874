import { SENTIMENT_LABELS, TOPIC_LABELS } from "@finsentry/schemas";
import { z } from "zod";

/** Common spellings users bring for our three sentiment classes. */
const SENTIMENT_ALIASES: Record<string, (typeof SENTIMENT_LABELS)[number]> = {
  bearish: "bearish",
  negative: "bearish",
  neg: "bearish",
  neutral: "neutral",
  neu: "neutral",
  bullish: "bullish",
  positive: "bullish",
  pos: "bullish",
};

/** "bearish"/"neutral"/"bullish" (also negative/positive, any case). */
export const SentimentInput = z.string().transform((s, ctx) => {
  const label = SENTIMENT_ALIASES[s.trim().toLowerCase()];
  if (!label) {
    ctx.addIssue({ code: "custom", message: `unknown sentiment ${JSON.stringify(s)} (expected ${SENTIMENT_LABELS.join("/")})` });
    return z.NEVER;
  }
  return label;
});

const TOPIC_BY_NAME = new Map<string, number>(TOPIC_LABELS.map((t, i) => [t.toLowerCase(), i]));

/** Resolves a topic given as one of the 20 TOPIC_LABELS names (case-insensitive) or as an index 0-19; else undefined. */
export function topicIndex(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 && value < TOPIC_LABELS.length ? value : undefined;
  const s = value.trim();
  if (/^\d{1,2}$/.test(s)) return topicIndex(Number(s));
  return TOPIC_BY_NAME.get(s.toLowerCase());
}

export const TopicInput = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const i = topicIndex(v);
  if (i === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `unknown topic ${JSON.stringify(v)} (expected 0-19 or one of the ${TOPIC_LABELS.length} topic names)`,
    });
    return z.NEVER;
  }
  return i;
});
