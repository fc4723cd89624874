#!/usr/bin/env tsx
/**
 * Writes the dev/test splits exactly as training sees them (hash split + weak entity labels) as JSONL for
 * `npm run eval`, so the metrics in docs/model.md and the model card can be re-measured:
 *   npm run -s splits -- --data-dir ../shared/data --out /tmp/finsentry-splits
 * The files hold the sources' text: write them outside the repository (the command refuses a path inside it).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import type { Example } from "../data/example.ts";
import { loadLabelledCorpus } from "../train/labelledCorpus.ts";

const REPO_ROOT = resolve(fileURLToPath(new URL("../../../..", import.meta.url)));

const cmd = new Command("splits")
  .description("write the training recipe's dev/test splits as JSONL files for npm run eval")
  .requiredOption("--data-dir <dir>", "folder of training sources (e.g. ../shared/data)")
  .requiredOption("--out <dir>", "folder to write (outside the repository)")
  .option("--splits <list>", "which splits", "dev,test")
  .option("--no-weak", "gold entity spans only (no weak labels)");

async function main(): Promise<void> {
  const a = cmd.parse().opts<{ dataDir: string; out: string; splits: string; weak: boolean }>();
  const out = resolve(a.out);
  if (!relative(REPO_ROOT, out).startsWith(".."))
    throw new Error(`--out ${out} is inside the repository; the splits contain third-party text that must not be committed`);
  const splits = a.splits.split(",").map((s) => s.trim());
  for (const s of splits) if (!["train", "dev", "test"].includes(s)) throw new Error(`--splits: unknown split ${s} (train, dev, test)`);
  const corpus = await loadLabelledCorpus({ dataDir: a.dataDir, weak: a.weak });
  await mkdir(out, { recursive: true });
  for (const split of splits as ("train" | "dev" | "test")[]) {
    const rows = corpus[split];
    const bySource = new Map<string, Example[]>();
    for (const e of rows) {
      const xs = bySource.get(e.source);
      if (xs) xs.push(e);
      else bySource.set(e.source, [e]);
    }
    const write = async (name: string, xs: Example[]) => {
      await writeFile(join(out, name), xs.map((e) => JSON.stringify(e)).join("\n") + "\n");
      console.error(`[splits] ${join(out, name)}: ${xs.length} texts`);
    };
    await write(`${split}.jsonl`, rows);
    for (const [source, xs] of bySource) await write(`${split}.${source}.jsonl`, xs);
  }
}

main().catch((err: unknown) => {
  console.error(`splits: ${(err as Error).message}`);
  process.exit(1);
});
