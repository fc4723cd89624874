import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SENTIMENT_LABELS, TOPIC_LABELS, type ModelOutput } from "@finsentry/schemas";
import { classificationReport, entityReport, type ClassificationReport, type EntityReport } from "./metrics.ts";

/**
 * Human gold labels of held-out splits, by task and text style, for measuring any scorer (or a cascade of two) the way
 * the model card reports it. Sources: the project splits of `npm run splits -- --no-weak` (tweets, headlines, news
 * paragraphs, SEC filings) and the three CC BY 4.0 NER sets of ../shared/data (official WNUT-17 / Broad Twitter
 * Corpus splits; wikigold cut 80/10/10 in file order, as infra/accurate/prep.py trains on). Read at run time, never
 * committed.
 */
export const NAME_TYPES = ["PERSON", "ORG", "LOCATION"] as const;
type Span = { start: number; end: number; type: (typeof NAME_TYPES)[number] };

export type GoldSet =
  | { name: string; task: "sentiment" | "topic"; texts: string[]; labels: string[] }
  | { name: string; task: "entities"; texts: string[]; spans: Span[][] };

const jsonl = (file: string): Record<string, unknown>[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const nameSpans = (e: Record<string, unknown>): Span[] =>
  ((e.entities as Span[] | undefined) ?? [])
    .filter((s) => (NAME_TYPES as readonly string[]).includes(s.type as string))
    .map(({ start, end, type }) => ({ start, end, type }));

export function loadGoldSets(splitsDir: string, dataDir: string, split: "dev" | "test"): GoldSet[] {
  const sets: GoldSet[] = [];
  const fromSplits = (file: string) => join(splitsDir, `${split}.${file}.jsonl`);
  const classification = (name: string, file: string, task: "sentiment" | "topic") => {
    if (!existsSync(fromSplits(file))) return;
    const rows = jsonl(fromSplits(file)).filter((e) => e[task] !== undefined && e[task] !== null);
    const label = (v: unknown) => (task === "topic" && typeof v === "number" ? TOPIC_LABELS[v]! : String(v));
    sets.push({ name, task, texts: rows.map((e) => String(e.text)), labels: rows.map((e) => label(e[task])) });
  };
  classification("sentiment:tweets", "twitter-financial-news-sentiment", "sentiment");
  classification("sentiment:headlines", "sentfin-1.0", "sentiment");
  classification("sentiment:news", "finentity", "sentiment");
  classification("topic:tweets", "twitter-financial-news-topic", "topic");
  const entities = (name: string, rows: Record<string, unknown>[]) =>
    sets.push({ name, task: "entities", texts: rows.map((e) => String(e.text)), spans: rows.map(nameSpans) });
  const wg = join(dataDir, "wikigold", "wikigold.jsonl");
  if (existsSync(wg)) {
    const rows = jsonl(wg);
    const [a, b] = [Math.floor(rows.length * 0.8), Math.floor(rows.length * 0.9)];
    entities("entities:news (wikigold)", split === "dev" ? rows.slice(a, b) : rows.slice(b));
  }
  for (const [dir, name] of [
    ["broad-twitter-corpus", "entities:tweets (BTC)"],
    ["wnut17", "entities:tweets (WNUT-17)"],
  ] as const) {
    const f = join(dataDir, dir, `${split}.jsonl`);
    if (existsSync(f))
      entities(
        name,
        jsonl(f).filter((e) => String(e.text).trim()),
      );
  }
  if (existsSync(fromSplits("sec-filings-ner"))) entities("entities:filings (SEC)", jsonl(fromSplits("sec-filings-ner")));
  return sets;
}

export type GoldReport = Record<string, ClassificationReport | EntityReport>;

/** Scores one set's outputs: accuracy / macro-F1 for classification, exact-span P/R/F1 over the name types. */
export function scoreGoldSet(set: GoldSet, outputs: readonly ModelOutput[]): ClassificationReport | EntityReport {
  if (set.task === "entities") {
    const pred = outputs.map((o) => o.entities.filter((e) => (NAME_TYPES as readonly string[]).includes(e.type)));
    return entityReport(set.spans, pred, NAME_TYPES);
  }
  const pred = outputs.map((o) => (set.task === "sentiment" ? o.sentiment.label : o.topic.label));
  return classificationReport(set.labels, pred, set.task === "sentiment" ? SENTIMENT_LABELS : TOPIC_LABELS);
}
