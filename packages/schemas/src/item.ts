import { z } from "zod";
import { IsoDate } from "./common.ts";
import { isPgText, PG_TEXT_MESSAGE, pgText } from "./hygiene.ts";

/** Maximum UTF-8 size of an item's text; larger items are rejected, not truncated. */
export const MAX_TEXT_BYTES = 32 * 1024;

/**
 * What producers put on the built-in `news` and `social` topics (and what custom streams are mapped to).
 * Strict: unknown fields are an error, so schema drift is noticed instead of silently ignored.
 */
export const IncomingItemV1 = z
  .object({
    id: pgText().min(1).max(256).optional(),
    source: pgText().min(1).max(128),
    published_at: IsoDate,
    text: pgText()
      .min(1)
      .refine((t) => Buffer.byteLength(t, "utf8") <= MAX_TEXT_BYTES, { message: `text exceeds ${MAX_TEXT_BYTES} bytes` })
      .refine((t) => t.trim().length > 0, { message: "text is blank" }),
    url: z.url().max(2048).refine(isPgText, { message: PG_TEXT_MESSAGE }).nullish(),
    author: pgText().max(256).nullish(),
    lang: pgText().min(2).max(16).nullish(),
  })
  .strict();
export type IncomingItemV1 = z.infer<typeof IncomingItemV1>;

/** A validated, normalised item on `items.raw`. `id` is the content hash used for deduplication. */
export const RawItemV1 = z.object({
  v: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{32}$/),
  external_id: z.string().nullable(),
  source: z.string(),
  stream: z.string(),
  published_at: IsoDate,
  ingested_at: IsoDate,
  text: z.string(),
  url: z.string().nullable(),
  author: z.string().nullable(),
  lang: z.string().nullable(),
  raw: z.record(z.string(), z.unknown()).nullable(),
});
export type RawItem = z.infer<typeof RawItemV1>;
