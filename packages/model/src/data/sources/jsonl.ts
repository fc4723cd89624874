import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { EntityType } from "@finsentry/schemas";
import { z } from "zod";
import { dedupeSpans, type Example } from "../example.ts";
import { SentimentInput, TopicInput } from "../labels.ts";
import { bumpNote, type LoadedSource } from "./types.ts";

/** One line of the user JSONL format. Extra keys are ignored so exports from other tools load as they are. */
export const JsonlLine = z
  .object({
    text: z.string().min(1),
    sentiment: SentimentInput.optional().nullable(),
    topic: TopicInput.optional().nullable(),
    entities: z
      .array(z.object({ start: z.number().int().nonnegative(), end: z.number().int().positive(), type: EntityType }))
      .optional()
      .nullable(),
  })
  .superRefine((l, ctx) => {
    l.entities?.forEach((s, i) => {
      if (s.end <= s.start || s.end > l.text.length) {
        ctx.addIssue({
          code: "custom",
          path: ["entities", i],
          message: `span [${s.start}, ${s.end}) is empty or beyond the text (length ${l.text.length})`,
        });
      }
    });
  });

/** Parses JSONL text; blank lines are skipped; the first bad line throws `file:line: path: message`. */
export function parseJsonl(text: string, file: string, source = `jsonl:${basename(file)}`, notes: Record<string, number> = {}): Example[] {
  const out: Example[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    const parsed = JsonlLine.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${file}:${i + 1}: ${issue.path.join(".") || "line"}: ${issue.message}`);
    }
    const l = parsed.data;
    // Offsets refer to the text as given: it is NOT cleaned, or user spans would shift.
    const ex: Example = { text: l.text, source };
    if (l.sentiment != null) ex.sentiment = l.sentiment;
    if (l.topic != null) ex.topic = l.topic;
    if (l.entities != null) {
      ex.entities = dedupeSpans(l.entities);
      // Nested/overlapping spans cannot be tagged token-wise: the earlier (then longer) one is kept.
      if (ex.entities.length < l.entities.length) bumpNote(notes, "overlappingSpansDropped", l.entities.length - ex.entities.length);
    }
    out.push(ex);
  });
  return out;
}

export async function loadJsonl(file: string): Promise<LoadedSource> {
  const notes: Record<string, number> = {};
  return { examples: parseJsonl(await readFile(file, "utf8"), file, undefined, notes), notes };
}
