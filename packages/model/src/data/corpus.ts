import { readdir, stat } from "node:fs/promises";
import { basename, isAbsolute, join, resolve } from "node:path";
import { ExampleSchema, SPLITS, type Example, type Split } from "./example.ts";
import { dedupeKey } from "./normalize.ts";
import { finentity } from "./sources/finentity.ts";
import { loadJsonl } from "./sources/jsonl.ts";
import { secNer } from "./sources/secNer.ts";
import { sentfin } from "./sources/sentfin.ts";
import { twitterSentiment, twitterTopic } from "./sources/twitter.ts";
import type { LoadedSource, SourceLoader } from "./sources/types.ts";
import { splitOf, type SplitFractions } from "./split.ts";

/** Folders of /work/shared/data we know how to read. */
export const KNOWN_SOURCES: readonly SourceLoader[] = [twitterSentiment, twitterTopic, sentfin, finentity, secNer];
/** Folders that are not corpora (gazetteers) and are skipped without being reported as unknown. */
const NOT_CORPORA = new Set(["tickers"]);

export interface SourceStats {
  source: string;
  /** Examples the loader produced. */
  loaded: number;
  /** Dropped: same dedupeKey and same labels as an earlier example (re-posts, link-only differences). */
  duplicates: number;
  /** Dropped: same dedupeKey but contradicting labels (every copy removed). */
  conflicts: number;
  kept: number;
  split: Record<Split, number>;
  withSentiment: number;
  withTopic: number;
  withEntities: number;
  notes: Record<string, number>;
}

export interface Corpus {
  train: Example[];
  dev: Example[];
  test: Example[];
  stats: SourceStats[];
  /** Folders/files found in dataDir that no loader understands (reported, not fatal). */
  unknown: string[];
}

export interface LoadCorpusOptions {
  dataDir: string;
  /** Known folder names, .jsonl files or folders of .jsonl files (relative to dataDir or absolute). Default: all discovered. */
  sources?: string[];
  fractions?: SplitFractions;
  /** Where the per-source table goes; default stderr (stdout is reserved for machine output in CLIs). */
  log?: (line: string) => void;
}

type Job = { source: string; run: () => Promise<LoadedSource> };

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function jsonlFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .map((f) => join(dir, f));
}

const jsonlJob = (file: string): Job => ({ source: `jsonl:${basename(file)}`, run: () => loadJsonl(file) });

/** Resolves requested sources (or discovers them) into load jobs. */
async function plan(dataDir: string, sources: string[] | undefined): Promise<{ jobs: Job[]; unknown: string[] }> {
  const known = new Map(KNOWN_SOURCES.map((l) => [l.name, l]));
  const jobs: Job[] = [];
  const unknown: string[] = [];
  if (sources) {
    for (const s of sources) {
      const loader = known.get(s);
      const path = isAbsolute(s) ? s : resolve(dataDir, s);
      if (loader) jobs.push({ source: loader.name, run: () => loader.load(path) });
      else if (s.endsWith(".jsonl")) jobs.push(jsonlJob(path));
      else if (await isDir(path)) {
        const files = await jsonlFilesIn(path);
        if (files.length === 0)
          throw new Error(`source ${JSON.stringify(s)}: folder has no .jsonl files and is not one of ${[...known.keys()].join(", ")}`);
        jobs.push(...files.map(jsonlJob));
      } else throw new Error(`source ${JSON.stringify(s)}: not a known source (${[...known.keys()].join(", ")}), .jsonl file or folder`);
    }
    return { jobs, unknown };
  }
  for (const entry of (await readdir(dataDir)).sort()) {
    const path = join(dataDir, entry);
    const loader = known.get(entry);
    if (loader) jobs.push({ source: loader.name, run: () => loader.load(path) });
    else if (entry.endsWith(".jsonl")) jobs.push(jsonlJob(path));
    else if (NOT_CORPORA.has(entry)) continue;
    else if (await isDir(path)) {
      const files = await jsonlFilesIn(path);
      if (files.length > 0) jobs.push(...files.map(jsonlJob));
      else unknown.push(entry);
    }
  }
  return { jobs, unknown };
}

const labelSignature = (e: Example): string => `${e.sentiment ?? ""}|${e.topic ?? ""}`;

/** Within one source: drop exact/near duplicates (same dedupeKey); drop every copy when their labels disagree. */
function dedupe(examples: Example[]): { kept: Example[]; duplicates: number; conflicts: number } {
  const byKey = new Map<string, { first: Example; conflict: boolean }>();
  let duplicates = 0;
  for (const e of examples) {
    const key = dedupeKey(e.text);
    const prev = byKey.get(key);
    if (!prev) byKey.set(key, { first: e, conflict: false });
    else {
      duplicates++;
      if (labelSignature(prev.first) !== labelSignature(e)) prev.conflict = true;
    }
  }
  const kept: Example[] = [];
  let conflicts = 0;
  for (const { first, conflict } of byKey.values()) {
    if (conflict) conflicts++;
    else kept.push(first);
  }
  return { kept, duplicates, conflicts };
}

/**
 * Loads any mix of sources, validates every example, dedupes within each source and splits deterministically by a
 * hash of the normalised text (duplicates and re-posts can never straddle train/dev/test). Prints per-source counts.
 */
export async function loadCorpus(opts: LoadCorpusOptions): Promise<Corpus> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const { jobs, unknown } = await plan(opts.dataDir, opts.sources);
  const corpus: Corpus = { train: [], dev: [], test: [], stats: [], unknown };
  for (const job of jobs) {
    const { examples, notes } = await job.run();
    examples.forEach((e, i) => {
      const r = ExampleSchema.safeParse(e);
      if (!r.success)
        throw new Error(`${job.source}: example ${i} invalid: ${r.error.issues[0]!.path.join(".")}: ${r.error.issues[0]!.message}`);
    });
    const { kept, duplicates, conflicts } = dedupe(examples);
    const stats: SourceStats = {
      source: job.source,
      loaded: examples.length,
      duplicates,
      conflicts,
      kept: kept.length,
      split: { train: 0, dev: 0, test: 0 },
      withSentiment: kept.filter((e) => e.sentiment !== undefined).length,
      withTopic: kept.filter((e) => e.topic !== undefined).length,
      withEntities: kept.filter((e) => (e.entities?.length ?? 0) > 0).length,
      notes,
    };
    for (const e of kept) {
      const split = splitOf(e.text, opts.fractions);
      corpus[split].push(e);
      stats.split[split]++;
    }
    corpus.stats.push(stats);
  }
  for (const line of formatCorpusStats(corpus)) log(line);
  return corpus;
}

/** Human-readable per-source table (plus unknown folders). */
export function formatCorpusStats(corpus: Pick<Corpus, "stats" | "unknown">): string[] {
  const head = ["source", "loaded", "dups", "conflicts", "kept", ...SPLITS, "sent", "topic", "ents"];
  const rows = corpus.stats.map((s) =>
    [
      s.source,
      s.loaded,
      s.duplicates,
      s.conflicts,
      s.kept,
      ...SPLITS.map((k) => s.split[k]),
      s.withSentiment,
      s.withTopic,
      s.withEntities,
    ].map(String),
  );
  const total = (f: (s: SourceStats) => number): string => String(corpus.stats.reduce((n, s) => n + f(s), 0));
  rows.push([
    "TOTAL",
    total((s) => s.loaded),
    total((s) => s.duplicates),
    total((s) => s.conflicts),
    total((s) => s.kept),
    ...SPLITS.map((k) => total((s) => s.split[k])),
    total((s) => s.withSentiment),
    total((s) => s.withTopic),
    total((s) => s.withEntities),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const fmt = (r: string[]): string => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("  ");
  const lines = [fmt(head), ...rows.map(fmt)];
  for (const s of corpus.stats) {
    const notes = Object.entries(s.notes).map(([k, v]) => `${k}=${v}`);
    if (notes.length) lines.push(`  ${s.source}: ${notes.join(", ")}`);
  }
  if (corpus.unknown.length) lines.push(`unknown (skipped): ${corpus.unknown.join(", ")}`);
  return lines;
}
