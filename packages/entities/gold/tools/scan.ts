/**
 * Candidate finder for the gold set. Prints TSV to stdout (source, row, start, end, type, surface, category guess,
 * expected guess, sentence) — redirect it OUTSIDE the repository (e.g. /tmp); it holds source text.
 * Usage: tsx packages/entities/gold/tools/scan.ts <dataDir> > /tmp/cands.tsv
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadSourceRows, parseCsv } from "../../src/cli/sources.ts";

const dataDir = process.argv[2] ?? "../shared/data";
const SOURCES = [
  "twitter-financial-news-sentiment/train.csv",
  "twitter-financial-news-topic/train.csv",
  "finentity/FinEntity.json",
  "sentfin-1.0/SEntFiN.csv",
];

const slug = (t: string) => t.toLowerCase().replace(/[./]/g, "-");
const tickers = new Map<string, string>();
const names = new Map<string, string>();
function addListing(file: string, symCol: string, nameCol: string) {
  const rows = parseCsv(readFileSync(join(dataDir, "tickers", file), "utf8"));
  const h = rows[0]!;
  const si = h.indexOf(symCol);
  const ni = h.indexOf(nameCol);
  for (const r of rows.slice(1)) {
    const s = r[si]?.trim();
    if (!s || !/^[A-Z0-9.]{1,7}$/.test(s)) continue;
    if (!tickers.has(s)) tickers.set(s, r[ni] ?? "");
  }
}
addListing("s-and-p-500-companies/constituents.csv", "Symbol", "Security");
addListing("nasdaq-listings/nasdaq-listed-symbols.csv", "Symbol", "Company Name");
addListing("nyse-other-listings/other-listed.csv", "ACT Symbol", "Company Name");
const sp = parseCsv(readFileSync(join(dataDir, "tickers/s-and-p-500-companies/constituents.csv"), "utf8")).slice(1);
for (const r of sp) {
  const n = (r[1] ?? "").replace(/\s*\(.*\)$/, "").replace(/,? (Inc\.?|Corp\.?|Corporation|Company|plc|Ltd\.?)$/i, "");
  if (n.length >= 3 && r[0]) names.set(n, slug(r[0]));
}
const COMMON = new Set([
  "ALL",
  "CAT",
  "NOW",
  "IT",
  "ON",
  "ARE",
  "A",
  "ONE",
  "GO",
  "SO",
  "BIG",
  "FAST",
  "KEY",
  "LOW",
  "COST",
  "AI",
  "CEO",
  "US",
  "UK",
  "EU",
  "GDP",
  "IPO",
  "ETF",
  "FED",
  "SEC",
  "NEW",
  "BE",
  "HAS",
  "AM",
  "PM",
  "EV",
  "TV",
  "OR",
  "AN",
  "AT",
  "BY",
  "IN",
  "OF",
  "TO",
  "UP",
  "WELL",
  "PLAY",
  "LOVE",
  "FUN",
  "CASH",
  "GOLD",
  "REAL",
  "BEST",
  "NICE",
]);
const out: string[] = [];
const esc = (s: string) => s.replace(/[\t\n\r]/g, " ");
for (const src of SOURCES) {
  const rows = loadSourceRows(dataDir, src);
  rows.forEach((text, row) => {
    const push = (start: number, end: number, type: string, cat: string, exp: string) =>
      out.push([src, row, start, end, type, text.slice(start, end), cat, exp, esc(text)].join("\t"));
    for (const m of text.matchAll(/\$([A-Za-z]{1,5}(?:\.[A-Z])?)\b/g)) {
      const t = m[1]!.toUpperCase();
      push(m.index!, m.index! + m[0].length, "TICKER", "cashtag", tickers.has(t) ? slug(t) : "null");
    }
    for (const m of text.matchAll(/#([A-Z]{1,5})\b/g)) {
      push(m.index!, m.index! + m[0].length, "TICKER", "hashtag", tickers.has(m[1]!) ? slug(m[1]!) : "null");
    }
    for (const m of text.matchAll(/(?<![$#\w])([A-Z]{1,5})(?![\w])/g)) {
      const t = m[1]!;
      if (!tickers.has(t)) continue;
      push(m.index!, m.index! + t.length, "TICKER", COMMON.has(t) ? "common_word_ticker" : "bare_ticker", slug(t));
    }
    for (const [n, id] of names) {
      let i = text.indexOf(n);
      while (i >= 0) {
        const end = i + n.length;
        if (!/\w/.test(text[i - 1] ?? "") && !/\w/.test(text[end] ?? "")) {
          const poss = text.slice(end, end + 2) === "'s" || text.slice(end, end + 2) === "’s";
          push(i, end, "ORG", poss ? "possessive" : "name", id);
        }
        i = text.indexOf(n, end);
      }
    }
  });
}
process.stdout.write(out.join("\n") + "\n");
