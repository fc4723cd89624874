import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { readCsvTable } from "../data/csv.ts";
import { FUND_LIKE } from "./companyName.ts";
import { createGazetteer, type Gazetteer, type GazetteerOptions, type ListingEntry } from "./gazetteer.ts";

const SYMBOL_COLS = ["Symbol", "ACT Symbol"];
const NAME_COLS = ["Company Name", "Security", "Security Name"];
/** Securities that are not a company's common stock: their symbols ("ACMEW") would be noise as tickers. */
const NOT_COMMON = /\b(?:Warrants?|Units?|Rights?|Preferred|Notes? due|Debentures?|Subordinated|Trust Preferred)\b|\d%/i;

export interface TickerLoadStats {
  files: string[];
  entries: number;
  skipped: Record<"etf" | "testIssue" | "footerOrBlank" | "fundLike" | "notCommon" | "badSymbol", number>;
}

async function csvFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await csvFiles(p)));
    else if (e.name.endsWith(".csv")) out.push(p);
  }
  return out.sort();
}

/**
 * Reads every listing CSV under `tickersDir` (S&P 500 constituents, NASDAQ-listed, NYSE/other-listed) by column
 * name, so file layout changes do not matter; CSVs without a symbol+name column pair (sector counts) are ignored.
 * Skips ETFs (flag column, or fund-like names where there is no flag), test issues, warrants/units/preferreds, and
 * the NASDAQ footer ("File Creation Time…") and blank rows.
 */
export async function loadListings(tickersDir: string): Promise<{ entries: ListingEntry[]; stats: TickerLoadStats }> {
  const stats: TickerLoadStats = {
    files: [],
    entries: 0,
    skipped: { etf: 0, testIssue: 0, footerOrBlank: 0, fundLike: 0, notCommon: 0, badSymbol: 0 },
  };
  const entries: ListingEntry[] = [];
  for (const file of await csvFiles(tickersDir)) {
    const table = readCsvTable(await readFile(file, "utf8"), file);
    const symCol = SYMBOL_COLS.find((c) => table.header.includes(c));
    const nameCol = NAME_COLS.find((c) => table.header.includes(c));
    if (!symCol || !nameCol) continue;
    stats.files.push(relative(tickersDir, file));
    for (const { fields } of table.records) {
      const symbol = (fields[symCol] ?? "").trim();
      const name = (fields[nameCol] ?? "").trim();
      const security = fields["Security Name"] ?? name;
      if (!symbol || !name || symbol.startsWith("File Creation Time")) stats.skipped.footerOrBlank++;
      else if (fields["ETF"] === "Y") stats.skipped.etf++;
      else if (fields["Test Issue"] === "Y") stats.skipped.testIssue++;
      else if (!/^[A-Z0-9]{1,6}(?:[.-][A-Z]{1,2})?$/.test(symbol))
        stats.skipped.badSymbol++; // "$" preferreds, etc.
      else if (NOT_COMMON.test(security)) stats.skipped.notCommon++;
      else if (FUND_LIKE.test(name)) stats.skipped.fundLike++;
      else entries.push({ symbol, name });
    }
  }
  stats.entries = entries.length;
  return { entries, stats };
}

/** Loads the listings and builds the in-memory gazetteer (never persisted: see gazetteer.ts). */
export async function loadGazetteer(
  tickersDir: string,
  opts?: GazetteerOptions,
): Promise<{ gazetteer: Gazetteer; stats: TickerLoadStats }> {
  const { entries, stats } = await loadListings(tickersDir);
  if (entries.length === 0) throw new Error(`${tickersDir}: no listing CSV with a symbol and company-name column found`);
  return { gazetteer: createGazetteer(entries, opts), stats };
}
