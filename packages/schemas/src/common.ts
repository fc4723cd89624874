import { z } from "zod";
import { ENTITY_TYPES, SENTIMENT_LABELS, TOPIC_LABELS } from "./constants.ts";

export { ENTITY_TYPES, SENTIMENT_LABELS, TOPIC_LABELS };

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: what Postgres reads back from an ISO string (year 0000 it refuses). */
const MIN_INSTANT = -62_135_596_800_000;
const MAX_INSTANT = 253_402_300_799_999;

/** Whether Postgres accepts an ISO-8601 timestamp: its instant in years 0001–9999 UTC, its offset within ±15:59. */
export function isPgInstant(iso: string): boolean {
  const offset = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  if (offset && Number(offset[2]) > 15) return false;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && ms >= MIN_INSTANT && ms <= MAX_INSTANT;
}

/**
 * ISO-8601 timestamp with offset, normalised to a string. Only instants Postgres can hold: zod's format alone lets
 * `0000-01-01T00:00:00Z` and `+23:00` offsets through, which then fail inside a query.
 */
export const IsoDate = z.iso.datetime({ offset: true }).refine(isPgInstant, {
  message: "timestamp out of range (years 0001-9999 UTC, offsets within ±15:59)",
  // Judged only once the format holds: one problem per bad field.
  when: (payload) => payload.issues.length === 0,
});

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
  return error.issues.map((i) => ({ path: i.path.join(".") || "(root)", message: messageOf(i) }));
}

/**
 * A union of enums and literals (e.g. an alert state or "open") fails as a bare "Invalid input": say which values
 * are allowed instead, as a plain enum's message does.
 */
function messageOf(i: z.core.$ZodIssue): string {
  if (i.code !== "invalid_union") return i.message;
  const values = allowedValues(i);
  return values?.length ? `Invalid option: expected one of ${values.map((v) => JSON.stringify(v)).join("|")}` : i.message;
}

/** The values a failed enum/literal (or union of them) accepts; null when any branch is not such a choice. */
function allowedValues(i: z.core.$ZodIssue): unknown[] | null {
  if (i.code === "invalid_value") return [...i.values];
  if (i.code !== "invalid_union" || i.errors.length === 0) return null;
  const out: unknown[] = [];
  for (const branch of i.errors) {
    if (branch.length !== 1) return null;
    const v = allowedValues(branch[0]!);
    if (!v) return null;
    out.push(...v);
  }
  return out;
}
