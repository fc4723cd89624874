import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { parseCsvRecords, readCsvTable } from "../csv.ts";
import { headlineSentiment, type EntityPolarity } from "../entitySentiment.ts";
import { dedupeSpans, type Example } from "../example.ts";
import { findMentions } from "../mentions.ts";
import { cleanText } from "../normalize.ts";
import { looksLikeOrg } from "../orgFilter.ts";
import { bumpNote, type LoadedSource, type SourceLoader } from "./types.ts";

const NAME = "sentfin-1.0";
const Row = z.object({ Title: z.string().trim().min(1), Decisions: z.string().min(2) });

// The Decisions column is a Python dict repr, not JSON, and 13 rows hold unescaped quotes ('Moody's': 'neutral').
// Keys are matched lazily up to the `': '<polarity>'` that must follow them, which tolerates those quotes.
const DECISION_RE = /(['"])(.+?)\1\s*:\s*(['"])(positive|negative|neutral)\3\s*(?=,|\}\s*$)/g;

/** Parses `{'A': 'positive', 'B': 'neutral'}` into [name, polarity] pairs; null when nothing parses. */
export function parseDecisions(raw: string): [string, EntityPolarity][] | null {
  const out: [string, EntityPolarity][] = [];
  for (const m of raw.trim().matchAll(DECISION_RE)) out.push([m[2]!, m[4] as EntityPolarity]);
  return out.length > 0 ? out : null;
}

// 19 entity names in the source were corrupted by a find-and-replace of words with labels ("Holdings" became
// "neutralings", "Russell" became "Rusnegative"). Undo it when the corrupted name is not in the headline.
const CORRUPTIONS: [string, string][] = [
  ["neutral", "Hold"],
  ["negative", "sell"],
  ["positive", "buy"],
];

/** Name as written in the headline (repairing source corruption), or null if it is not there. */
export function locateName(title: string, rawName: string): { name: string; starts: number[]; repaired: boolean } | null {
  const name = rawName.trim();
  const direct = findMentions(title, name);
  if (direct.length > 0) return { name, starts: direct, repaired: false };
  for (const [label, word] of CORRUPTIONS) {
    if (!name.includes(label)) continue;
    const fixed = name.replaceAll(label, word);
    const starts = findMentions(title, fixed);
    if (starts.length > 0) return { name: title.slice(starts[0], starts[0]! + fixed.length), starts, repaired: true };
  }
  return null;
}

/**
 * SEntFiN 1.0 headlines with per-entity sentiment. Headline sentiment follows `headlineSentiment` (neutral entities
 * do not vote, ties dropped). ORG spans: every word-bounded mention of an annotated name that `looksLikeOrg`.
 * These spans are PARTIAL (only sentiment targets are annotated): merge with weak labels before NER training.
 */
export const sentfin: SourceLoader = {
  name: NAME,
  async load(dir): Promise<LoadedSource> {
    const file = join(dir, "SEntFiN.csv");
    const rows = parseCsvRecords(readCsvTable(await readFile(file, "utf8"), file), Row, file);
    const notes: Record<string, number> = {};
    const examples: Example[] = [];
    for (const { line, value } of rows) {
      const decisions = parseDecisions(value.Decisions);
      if (!decisions) throw new Error(`${file}:${line}: cannot parse Decisions ${JSON.stringify(value.Decisions.slice(0, 80))}`);
      const text = cleanText(value.Title);
      const sentiment = headlineSentiment(decisions.map((d) => d[1]));
      if (sentiment === undefined) bumpNote(notes, "sentimentTiesDropped");
      const spans: { start: number; end: number; type: "ORG" }[] = [];
      // Longest names first so "Sun Pharma Advanced" wins over "Sun Pharma" when both are annotated.
      for (const [name] of [...decisions].sort((a, b) => b[0].length - a[0].length)) {
        const found = locateName(text, name);
        if (!found) {
          bumpNote(notes, "namesNotInHeadline");
          continue;
        }
        if (found.repaired) bumpNote(notes, "corruptedNamesRepaired");
        if (!looksLikeOrg(found.name)) {
          bumpNote(notes, "namesNotOrg");
          continue;
        }
        for (const s of found.starts) spans.push({ start: s, end: s + found.name.length, type: "ORG" });
      }
      examples.push({ text, ...(sentiment ? { sentiment } : {}), entities: dedupeSpans(spans), source: NAME });
    }
    return { examples, notes };
  },
};
