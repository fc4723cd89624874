/**
 * Entity-resolver evaluation on the project's gold set (issue 20).
 *
 *   npm run eval:entities -- --data-dir ../shared/data --tickers ../shared/data/tickers [--split dev|test|all]
 *     [--gold packages/entities/gold/mentions.jsonl]
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
import { DEMO_ENTITIES, EntityResolver, loadListings } from "../index.ts";
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
  const correct = items.filter((s) => s.got === s.g.expected).length;
  const resolved = items.filter((s) => s.got !== null);
  const resolvedOk = resolved.filter((s) => s.got === s.g.expected).length;
  const expectedNonNull = items.filter((s) => s.g.expected !== null);
  const recalled = expectedNonNull.filter((s) => s.got === s.g.expected).length;
  return {
    n,
    accuracy: n ? round(correct / n) : null,
    precision_resolved: resolved.length ? round(resolvedOk / resolved.length) : null,
    recall: expectedNonNull.length ? round(recalled / expectedNonNull.length) : null,
    coverage: n ? round(resolved.length / n) : null,
    resolved: resolved.length,
    expected_non_null: expectedNonNull.length,
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
      .filter((s) => s.got !== s.g.expected)
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
      gold: { type: "string", default: DEFAULT_GOLD },
    },
  });
  const dataDir = values["data-dir"]!;
  const tickersDir = values.tickers ?? join(dataDir, "tickers");
  const split = values.split!;
  if (!["dev", "test", "all"].includes(split)) {
    process.stderr.write(`--split must be dev, test or all (got ${split})\n`);
    return 1;
  }
  const gold = readGold(values.gold!);
  const { entities, rejected } = await loadListings(tickersDir);
  const resolver = new EntityResolver({ version: 1, entities: [...entities, ...DEMO_ENTITIES] });

  const errors: string[] = [];
  const scored: Scored[] = [];
  gold.forEach((g, i) => {
    if (split !== "all" && g.split !== split) return;
    let rows: string[];
    try {
      rows = loadSourceRows(dataDir, g.source);
    } catch (e) {
      errors.push(`gold line ${i + 1}: cannot read ${g.source}: ${(e as Error).message}`);
      return;
    }
    const sentence = rows[g.row];
    if (sentence === undefined) {
      errors.push(`gold line ${i + 1}: ${g.source} has no row ${g.row}`);
      return;
    }
    const surface = sentence.slice(g.start, g.end);
    if (sha8(surface) !== g.surface_sha1) {
      errors.push(`gold line ${i + 1}: surface hash mismatch at ${g.source} row ${g.row} [${g.start},${g.end})`);
      return;
    }
    const r = resolver.resolve({ type: g.type, text: surface, start: g.start, end: g.end }, sentence);
    scored.push({ g, surface, got: r.entityId, rule: r.rule });
  });
  if (errors.length) {
    process.stderr.write(errors.join("\n") + "\n");
    return 1;
  }
  const splits = split === "all" ? (["dev", "test"] as const) : ([split] as const);
  const out: Record<string, unknown> = {
    gold: values.gold,
    registry: { entities: entities.length + DEMO_ENTITIES.length, rejected_rows: rejected.length },
  };
  for (const s of splits) out[s] = report(scored.filter((x) => x.g.split === s));
  if (split === "all") out.all = report(scored);
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
