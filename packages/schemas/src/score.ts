import { z } from "zod";
import { EntityType, IsoDate, SentimentLabel, TopicLabel } from "./common.ts";
import { RawItemV1 } from "./item.ts";

/** What the model returns for one text. Its scores, probabilities and confidences carry four decimals. */
export const ModelOutput = z.object({
  sentiment: z.object({
    label: SentimentLabel,
    /** Signed score in [-1, 1]: negative is bearish. */
    score: z.number().min(-1).max(1),
    confidence: z.number().min(0).max(1),
    probs: z.object({ bearish: z.number(), neutral: z.number(), bullish: z.number() }),
  }),
  topic: z.object({ label: TopicLabel, index: z.number().int().min(0).max(19), confidence: z.number().min(0).max(1) }),
  entities: z.array(
    z.object({
      start: z.number().int().nonnegative(),
      end: z.number().int().positive(),
      type: EntityType,
      text: z.string(),
      confidence: z.number().min(0).max(1).optional(),
    }),
  ),
  /** Which tier of a cascade answered (absent when one model serves alone). */
  tier: z.enum(["fast", "accurate"]).optional(),
  /** Per-span contribution to the sentiment decision, for "why" highlights. */
  attributions: z.array(z.object({ start: z.number().int(), end: z.number().int(), weight: z.number() })).optional(),
});
export type ModelOutput = z.infer<typeof ModelOutput>;

/** A mention of a canonical entity in a scored item; `key` is what alert windows group by (e.g. `TICKER:TSLA`). */
export const EntityMention = z.object({
  key: z.string().min(1),
  type: EntityType,
  text: z.string(),
  start: z.number().int().nonnegative(),
  end: z.number().int().positive(),
});
export type EntityMention = z.infer<typeof EntityMention>;

/** A scored item on `items.scored`. Delivery is at-least-once: consumers must be idempotent on `item.id`. */
export const ScoredItemV1 = z.object({
  v: z.literal(1),
  item: RawItemV1.omit({ raw: true }),
  model_version: z.string(),
  scored_at: IsoDate,
  output: ModelOutput,
  mentions: z.array(EntityMention),
});
export type ScoredItem = z.infer<typeof ScoredItemV1>;
