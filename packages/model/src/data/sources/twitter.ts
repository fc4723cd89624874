import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { TOPIC_LABELS } from "@finsentry/schemas";
import { z } from "zod";
import { parseCsvRecords, readCsvTable } from "../csv.ts";
import type { Example } from "../example.ts";
import { cleanText } from "../normalize.ts";
import type { LoadedSource, SourceLoader } from "./types.ts";

/** zeroshot's "Twitter Financial News Sentiment": label 0 = bearish, 1 = bullish, 2 = neutral (NOT model order). */
const SENTIMENT_BY_CODE = { "0": "bearish", "1": "bullish", "2": "neutral" } as const;

const SentimentRow = z.object({ text: z.string().trim().min(1), label: z.enum(["0", "1", "2"]) });
const TopicRow = z.object({
  text: z.string().trim().min(1),
  label: z
    .string()
    .regex(/^(?:1?\d)$/, "expected a topic index 0-19")
    .transform(Number)
    .pipe(z.number().int().min(0).max(19)),
});

async function readTable(dir: string): Promise<{ file: string; text: string }> {
  const file = join(dir, "train.csv");
  return { file, text: await readFile(file, "utf8") };
}

const SENTIMENT_NAME = "twitter-financial-news-sentiment";
const TOPIC_NAME = "twitter-financial-news-topic";

export const twitterSentiment: SourceLoader = {
  name: SENTIMENT_NAME,
  async load(dir): Promise<LoadedSource> {
    const { file, text } = await readTable(dir);
    const rows = parseCsvRecords(readCsvTable(text, file), SentimentRow, file);
    const examples: Example[] = rows.map(({ value }) => ({
      text: cleanText(value.text),
      sentiment: SENTIMENT_BY_CODE[value.label],
      source: SENTIMENT_NAME,
    }));
    return { examples, notes: {} };
  },
};

export const twitterTopic: SourceLoader = {
  name: TOPIC_NAME,
  async load(dir): Promise<LoadedSource> {
    await checkClasses(join(dir, "classes.txt"));
    const { file, text } = await readTable(dir);
    const rows = parseCsvRecords(readCsvTable(text, file), TopicRow, file);
    // Re-posts differing only in the short link are removed by the corpus-level dedupe (dedupeKey strips URLs).
    const examples: Example[] = rows.map(({ value }) => ({ text: cleanText(value.text), topic: value.label, source: TOPIC_NAME }));
    return { examples, notes: {} };
  },
};

/** The label indices are only meaningful if classes.txt lists our TOPIC_LABELS in the same order. */
async function checkClasses(file: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return; // optional: the indices are then trusted as TOPIC_LABELS order
  }
  const names = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  names.forEach((name, i) => {
    if (TOPIC_LABELS[i] !== name)
      throw new Error(
        `${file}:${i + 1}: topic ${JSON.stringify(name)} does not match TOPIC_LABELS[${i}] = ${JSON.stringify(TOPIC_LABELS[i])}`,
      );
  });
  if (names.length !== TOPIC_LABELS.length) throw new Error(`${file}: expected ${TOPIC_LABELS.length} topics, found ${names.length}`);
}
