import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { headlineSentiment, type EntityPolarity } from "../entitySentiment.ts";
import { dedupeSpans, type Example } from "../example.ts";
import { nearestMention } from "../mentions.ts";
import { looksLikeOrg } from "../orgFilter.ts";
import { bumpNote, type LoadedSource, type SourceLoader } from "./types.ts";

const NAME = "finentity";

const Annotation = z.object({
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
  value: z.string().trim().min(1),
  label: z
    .string()
    .transform((l) => l.toLowerCase())
    .pipe(z.enum(["positive", "negative", "neutral"])),
});
const Record_ = z.object({ content: z.string().min(1), annotations: z.array(Annotation) });
const FileSchema = z.array(Record_);

/**
 * FinEntity: news texts with entity spans and per-entity sentiment. About 70 offsets are shifted by ~2 characters,
 * so every span is re-anchored on its entity string (the occurrence nearest the given start); spans whose string is
 * absent are dropped. Headline sentiment follows `headlineSentiment` (neutral entities do not vote, ties dropped).
 * Entities are typed ORG after the `looksLikeOrg` filter (indices/commodities excluded); PARTIAL: only sentiment
 * targets are annotated, so merge with weak labels before NER training.
 */
export const finentity: SourceLoader = {
  name: NAME,
  async load(dir): Promise<LoadedSource> {
    const file = join(dir, "FinEntity.json");
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, "utf8"));
    } catch (err) {
      throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
    }
    const parsed = FileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${file}: record ${issue.path.join(".")}: ${issue.message}`);
    }
    const notes: Record<string, number> = {};
    const examples: Example[] = [];
    for (const rec of parsed.data) {
      // Only trailing whitespace is trimmed: anything else would move the given offsets further.
      const text = rec.content.trimEnd();
      const spans: { start: number; end: number; type: "ORG" }[] = [];
      for (const a of rec.annotations) {
        let start = a.start;
        if (text.slice(a.start, a.end) !== a.value) {
          const anchored = nearestMention(text, a.value, a.start) ?? (text.includes(a.value) ? text.indexOf(a.value) : undefined);
          if (anchored === undefined) {
            bumpNote(notes, "spansDroppedNotFound");
            continue;
          }
          bumpNote(notes, "spansReanchored");
          start = anchored;
        }
        if (!looksLikeOrg(a.value)) {
          bumpNote(notes, "spansNotOrg");
          continue;
        }
        spans.push({ start, end: start + a.value.length, type: "ORG" });
      }
      // No annotated entity says nothing about the text's polarity: leave sentiment unlabelled rather than neutral.
      const sentiment = rec.annotations.length > 0 ? headlineSentiment(rec.annotations.map((a) => a.label as EntityPolarity)) : undefined;
      if (sentiment === undefined) bumpNote(notes, rec.annotations.length > 0 ? "sentimentTiesDropped" : "noAnnotations");
      const entities = dedupeSpans(spans);
      if (entities.length < spans.length) bumpNote(notes, "overlappingSpansDropped", spans.length - entities.length);
      examples.push({ text, ...(sentiment ? { sentiment } : {}), entities, source: NAME });
    }
    return { examples, notes };
  },
};
