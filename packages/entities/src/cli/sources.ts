/**
 * Row loaders for the gold set's referenced sources. A gold line names `source` (a path relative to the data dir)
 * and `row` (the 0-based data row, as defined here); the text itself never enters the repository.
 *
 * - `*.csv`: RFC-4180 parse (quoted fields may hold commas, quotes and newlines); the header row is not counted;
 *   the sentence is the `text` column (twitter-financial-news-*) or the `Title` column (sentfin-1.0).
 * - `finentity/FinEntity.json`: the array index; the sentence is `content`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCsv as parseCsvRecords } from "@finsentry/model/csv";

/** The CSV's rows as plain cell arrays (the project's one RFC 4180 reader, @finsentry/model/csv). */
export function parseCsv(raw: string): string[][] {
  return parseCsvRecords(raw).map((r) => r.values);
}

const cache = new Map<string, string[]>();

/** The sentences of one source, indexed by the gold set's `row`. */
export function loadSourceRows(dataDir: string, source: string): string[] {
  const hit = cache.get(source);
  if (hit) return hit;
  const raw = readFileSync(join(dataDir, source), "utf8");
  let out: string[];
  if (source.endsWith(".json")) {
    const arr = JSON.parse(raw) as { content: string }[];
    out = arr.map((x) => x.content);
  } else if (source.endsWith(".csv")) {
    const rows = parseCsv(raw);
    const header = rows[0] ?? [];
    let col = header.indexOf("text");
    if (col < 0) col = header.indexOf("Title");
    if (col < 0) throw new Error(`${source}: no text/Title column`);
    out = rows.slice(1).map((r) => r[col] ?? "");
  } else throw new Error(`${source}: unsupported source format`);
  cache.set(source, out);
  return out;
}
