#!/usr/bin/env tsx
/**
 * Gold-label evaluation of the fast model, the accurate tier and the cascade between them, per text style, on held-out
 * splits (`npm run eval:gold`). Each tier reads every gold text once; the cascade under each policy is the exact
 * per-item choice CascadeScorer makes, so the accuracy side of the curve costs no extra scoring. Throughput is
 * bench:model's job (which prints both sides).
 *   npm run eval:gold -- --splits /tmp/splits_gold --data ../shared/data [--split dev,test] [--thresholds 0.5,0.8]
 *     [--sentiment-blend 0.5] [--json]
 * --splits: the output of `npm run splits -- --no-weak` (gold spans only); --data: the folder with wikigold, wnut17,
 * broad-twitter-corpus. Sets whose files are missing are left out.
 */
import { Command } from "commander";
import type { NameFilter } from "../accurate/decode.ts";
import { loadAccurateScorer } from "../accurate/scorer.ts";
import { cascadeCurve, formatCurve, scoreTexts, type CascadePolicy } from "../eval/curve.ts";
import { loadGoldSets } from "../eval/gold.ts";
import { DEFAULT_SENTIMENT_BLEND } from "../runtime/cascade.ts";
import { loadScorer } from "../runtime/scorer.ts";
import { assertBlendWeight } from "../runtime/sentiment-blend.ts";
import type { TextScorer } from "../types.ts";

async function timed(scorer: TextScorer, texts: string[], label: string) {
  const t0 = performance.now();
  const out = await scoreTexts(scorer, texts, (n) => process.stderr.isTTY && process.stderr.write(`\r${label}: ${n}/${texts.length}`));
  process.stderr.write(
    `${process.stderr.isTTY ? "\r" : ""}${label}: ${texts.length} texts in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return out;
}

async function main(): Promise<void> {
  const a = new Command("eval:gold")
    .requiredOption("--splits <dir>", "project splits written by `npm run splits -- --no-weak`")
    .requiredOption("--data <dir>", "data folder holding wikigold/, wnut17/, broad-twitter-corpus/")
    .option("--split <names>", "dev, test or both", "dev,test")
    .option("--fast <dir>", "fast model directory", "models/default")
    .option("--accurate <dir>", "accurate-tier directory", "models/accurate")
    .option("--name-filter <mode>", "accurate tier's name filter: none, evidence, cased (default: the shipped one)")
    .option("--thresholds <list>", "cascade thresholds (each with and without the uncovered-name rule)", "0.5,0.6,0.7,0.8,0.9")
    .option(
      "--sentiment-blend <w>",
      "fast tier's weight in an escalated item's sentiment (0 = the accurate tier's own)",
      String(DEFAULT_SENTIMENT_BLEND),
    )
    .option("--json", "one JSON object on stdout")
    .parse()
    .opts<{
      splits: string;
      data: string;
      split: string;
      fast: string;
      accurate: string;
      thresholds: string;
      sentimentBlend: string;
      nameFilter?: NameFilter;
      json?: boolean;
    }>();
  const fast = await loadScorer(a.fast, { log: () => {} });
  const accurate = await loadAccurateScorer(a.accurate, { log: () => {}, ...(a.nameFilter ? { nameFilter: a.nameFilter } : {}) });
  const thresholds = a.thresholds.split(",").map(Number);
  const sentimentBlend = Number(a.sentimentBlend);
  assertBlendWeight(sentimentBlend, "--sentiment-blend"); // before minutes of scoring, not after
  const policies: CascadePolicy[] = [false, true].flatMap((names) => thresholds.map((threshold) => ({ threshold, names, sentimentBlend })));
  const result: Record<string, unknown> = { fast: fast.version, accurate: accurate.version, policies };
  const figures: Record<string, Record<string, Record<string, number>>> = {};
  for (const split of a.split.split(",") as ("dev" | "test")[]) {
    const sets = loadGoldSets(a.splits, a.data, split);
    const texts = sets.flatMap((s) => s.texts);
    const rows = cascadeCurve(sets, await timed(fast, texts, `${split} fast`), await timed(accurate, texts, `${split} accurate`), policies);
    figures[split] = rows[rows.length - 1]!.sets;
    result[split] = rows;
    if (!a.json)
      console.log(
        `\n${split}: ${texts.length} gold texts (${sets.map((s) => `${s.name} ${s.texts.length}`).join(", ")})\n${formatCurve(rows)}`,
      );
  }
  // The accurate tier's own figures, as package-accurate writes them into its manifest.
  result.figures = figures;
  if (a.json) console.log(JSON.stringify(result));
  await Promise.all([fast.close(), accurate.close()]);
}

await main();
