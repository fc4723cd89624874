import { ENTITY_TYPES, type EntitySpan, type EntityType } from "@finsentry/schemas";
import type { Example } from "../data/example.ts";
import type { Gazetteer } from "./gazetteer.ts";
import { weakLabel } from "./tagger.ts";

/**
 * Merges weak spans into gold spans; gold always wins: a weak span overlapping any gold span is dropped, and weak
 * spans of a type the gold annotation is COMPLETE for are dropped everywhere (the annotator saw none there).
 */
export function mergeWithGold(
  gold: readonly EntitySpan[],
  weak: readonly EntitySpan[],
  completeTypes: readonly EntityType[] = [],
): EntitySpan[] {
  const complete = new Set(completeTypes);
  const kept = weak.filter((w) => !complete.has(w.type) && !gold.some((g) => w.start < g.end && g.start < w.end));
  return [...gold, ...kept].sort((a, b) => a.start - b.start || a.end - b.end);
}

/**
 * Which entity types a source's gold spans are complete for. SEC filings annotate every PER/LOC/ORG; user JSONL
 * that carries an `entities` array is taken as fully annotated; SEntFiN/FinEntity only mark sentiment targets
 * (partial ORG), so weak ORGs may fill the gaps there.
 */
export function completeTypesFor(source: string, hasGoldEntities: boolean): readonly EntityType[] {
  if (source === "sec-filings-ner") return ["ORG", "PERSON", "LOCATION"];
  if (source.startsWith("jsonl:") && hasGoldEntities) return ENTITY_TYPES;
  return [];
}

/** Returns the example with gold spans merged with weak labels (examples without text are impossible by schema). */
export function withWeakEntities(example: Example, gazetteer: Gazetteer): Example {
  const gold = example.entities ?? [];
  const complete = completeTypesFor(example.source, example.entities !== undefined);
  if (complete.length === ENTITY_TYPES.length) return example;
  return { ...example, entities: mergeWithGold(gold, weakLabel(example.text, gazetteer), complete) };
}
