/**
 * Entity-resolver evaluation on the project's gold set (issue 20).
 *
 *   npm run eval:entities -- --data-dir ../shared/data --tickers ../shared/data/tickers [--split dev|test|all]
 *     [--gold packages/entities/gold/mentions.jsonl [--gold other.jsonl …]]
 *
 * The gold file references rows of the training sources (no text is committed): each referenced sentence is read
 * from the data dir, the mention's surface is checked against its sha1 prefix, and the resolver is asked for it with
 * the sentence as context. Prints one JSON object (no sentence text; surfaces only) and exits 0, or 1 on bad input.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { instrumentIdOfTicker } from "@finsentry/schemas";
import { DEMO_ENTITIES, EntityResolver, loadListings, type RegistryEntity } from "../index.ts";
import { loadSourceRows } from "./sources.ts";

export interface GoldMention {
  source: string;
  row: number;
  start: number;
  end: number;
  type: string;
  surface_sha1: string;
  expected: string | null;
  category: string;
  split: "dev" | "test";
}

interface Scored {
  g: GoldMention;
  surface: string;
  got: string | null;
  rule: string;
  /** The gold id as the registry groups it: a share class's ticker id (zg) → its company's entity (z). */
  want: string | null;
}

/**
 * Ticker ids of other share classes → the entity that holds them (zg → z: the registry makes Zillow's Z and ZG one
 * entity). A gold line labelled with a share class's own id is right when the resolver gives the grouped entity.
 */
export function shareClassIds(entities: readonly RegistryEntity[]): Map<string, string> {
  const own = new Set(entities.map((e) => e.id));
  const out = new Map<string, string>();
  for (const e of entities) {
    if (e.kind !== "instrument") continue;
    for (const a of e.aliases) {
      if (!/^[A-Z][A-Z0-9]{0,5}(?:[.-][A-Z]{1,2})?$/.test(a)) continue;
      const id = instrumentIdOfTicker(a);
      if (id !== e.id && !own.has(id) && !out.has(id)) out.set(id, e.id);
    }
  }
  return out;
}

const DEFAULT_GOLD = join(dirname(fileURLToPath(import.meta.url)), "../../gold/mentions.jsonl");

export function readGold(path: string): GoldMention[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const out: GoldMention[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`${path}:${i + 1}: not JSON`);
    }
    // Two spellings of the hash and label fields are in use (surface_sha1/expected, surface_sha1_8/expected_entity_id).
    const g = {
      ...raw,
      surface_sha1: raw.surface_sha1 ?? raw.surface_sha1_8,
      expected: "expected" in raw ? raw.expected : raw.expected_entity_id,
    } as GoldMention;
    const ok =
      typeof g.source === "string" &&
      Number.isInteger(g.row) &&
      Number.isInteger(g.start) &&
      Number.isInteger(g.end) &&
      g.end > g.start &&
      typeof g.type === "string" &&
      /^[0-9a-f]{8}$/.test(g.surface_sha1) &&
      (g.expected === null || typeof g.expected === "string") &&
      typeof g.category === "string" &&
      (g.split === "dev" || g.split === "test");
    if (!ok) throw new Error(`${path}:${i + 1}: malformed gold line`);
    out.push(g);
  });
  return out;
}

const sha8 = (s: string) => createHash("sha1").update(s, "utf8").digest("hex").slice(0, 8);
const round = (x: number) => Math.round(x * 10000) / 10000;

function metrics(items: Scored[]) {
  const n = items.length;
  const correct = items.filter((s) => s.got === s.want).length;
  const resolved = items.filter((s) => s.got !== null);
  const resolvedOk = resolved.filter((s) => s.got === s.want).length;
  const expectedNonNull = items.filter((s) => s.g.expected !== null);
  const recalled = expectedNonNull.filter((s) => s.got === s.want).length;
  return {
    n,
    accuracy: n ? round(correct / n) : null,
    precision_resolved: resolved.length ? round(resolvedOk / resolved.length) : null,
    recall: expectedNonNull.length ? round(recalled / expectedNonNull.length) : null,
    coverage: n ? round(resolved.length / n) : null,
    resolved: resolved.length,
    expected_non_null: expectedNonNull.length,
    /** Lines whose expected id was mapped through the registry's share-class grouping (and then matched). */
    share_class_mapped: items.filter((s) => s.want !== s.g.expected && s.got === s.want).length,
  };
}

function report(items: Scored[]) {
  const cats = [...new Set(items.map((s) => s.g.category))].sort();
  const perCategory: Record<string, ReturnType<typeof metrics>> = {};
  for (const c of cats) perCategory[c] = metrics(items.filter((s) => s.g.category === c));
  return {
    ...metrics(items),
    per_category: perCategory,
    misses: items
      .filter((s) => s.got !== s.want)
      .map((s) => ({
        source: s.g.source,
        row: s.g.row,
        surface: s.surface,
        category: s.g.category,
        expected: s.g.expected,
        got: s.got,
        rule: s.rule,
      })),
  };
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "data-dir": { type: "string", default: "../shared/data" },
      tickers: { type: "string" },
      split: { type: "string", default: "all" },
      gold: { type: "string", multiple: true, default: [DEFAULT_GOLD] },
    },
  });
  const dataDir = values["data-dir"]!;
  const tickersDir = values.tickers ?? join(dataDir, "tickers");
  const split = values.split!;
  if (!["dev", "test", "all"].includes(split)) {
    process.stderr.write(`--split must be dev, test or all (got ${split})\n`);
    return 1;
  }
  const golds = values.gold!;
  const { entities, rejected } = await loadListings(tickersDir);
  const registry = [...entities, ...DEMO_ENTITIES];
  const resolver = new EntityResolver({ version: 1, entities: registry });
  const classes = shareClassIds(registry);
  const registryInfo = { entities: registry.length, rejected_rows: rejected.length };

  const results: Record<string, unknown>[] = [];
  const errors: string[] = [];
  for (const path of golds) {
    const gold = readGold(path);
    const scored: Scored[] = [];
    gold.forEach((g, i) => {
      if (split !== "all" && g.split !== split) return;
      let rows: string[];
      try {
        rows = loadSourceRows(dataDir, g.source);
      } catch (e) {
        errors.push(`${path}: gold line ${i + 1}: cannot read ${g.source}: ${(e as Error).message}`);
        return;
      }
      const sentence = rows[g.row];
      if (sentence === undefined) {
        errors.push(`${path}: gold line ${i + 1}: ${g.source} has no row ${g.row}`);
        return;
      }
      const surface = sentence.slice(g.start, g.end);
      if (sha8(surface) !== g.surface_sha1) {
        errors.push(`${path}: gold line ${i + 1}: surface hash mismatch at ${g.source} row ${g.row} [${g.start},${g.end})`);
        return;
      }
      const r = resolver.resolve({ type: g.type, text: surface, start: g.start, end: g.end }, sentence);
      const want = g.expected === null ? null : (classes.get(g.expected) ?? g.expected);
      scored.push({ g, surface, got: r.entityId, rule: r.rule, want });
    });
    const splits = split === "all" ? (["dev", "test"] as const) : ([split] as const);
    const res: Record<string, unknown> = { gold: path, registry: registryInfo };
    for (const s of splits) res[s] = report(scored.filter((x) => x.g.split === s));
    if (split === "all") res.all = report(scored);
    results.push(res);
  }
  if (errors.length) {
    process.stderr.write(errors.join("\n") + "\n");
    return 1;
  }
  // One gold file: its report as before; several: one report per file, in the order given.
  const out = results.length === 1 ? results[0] : { files: results };
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
