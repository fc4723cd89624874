import { LOCATIONS } from "./locations.ts";
import { coreName, registeredName } from "./companyName.ts";
import { AMBIGUOUS_TICKERS, FUNCTION_WORDS, GENERIC_ALIASES } from "./wordLists.ts";
import { PhraseIndex } from "./words.ts";

// The lists live in wordLists.ts (shared with @finsentry/entities through "@finsentry/model/words").
export { AMBIGUOUS_TICKERS, FUNCTION_WORDS, GENERIC_ALIASES };

/** A listed company as the ticker files describe it. */
export interface ListingEntry {
  symbol: string;
  name: string;
}

/**
 * Gazetteers for the weak tagger. Built at training time from the ticker files (see loadTickers.ts) and kept in
 * memory only: the lists are third-party data and must not be written into the repository or a model directory.
 */
export interface Gazetteer {
  /** Upper-case symbols of operating companies (ETFs, test issues, warrants and units excluded). */
  tickers: ReadonlySet<string>;
  companies: PhraseIndex;
  locations: PhraseIndex;
}

/** Reporting periods and bare numbers: never company aliases. */
const PERIOD_LIKE = /^(?:Q[1-4]|H[12]|[1-4]Q|FY\d{2,4}|\d+)$/;

export interface GazetteerOptions {
  /** Extra LOCATION phrases on top of the built-in list. */
  extraLocations?: string[];
  /**
   * Lowercased words that are common in the training texts (see `commonWords`). A single-word company alias that
   * is one of them ("Oil", "Target", "Visa"?) is ambiguous and dropped; multi-word aliases are kept.
   */
  commonWords?: ReadonlySet<string>;
}

/**
 * Words written in lowercase at least `minCount` times in `texts`: evidence that their capitalised form is
 * usually an ordinary word at sentence start, not a company ("oil", "target", "the").
 */
export function commonWords(texts: Iterable<string>, minCount = 5): Set<string> {
  const counts = new Map<string, number>();
  for (const t of texts)
    for (const m of t.matchAll(/(?<![\p{L}\p{N}])[a-z][a-z'-]+(?![\p{L}\p{N}])/gu)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
  return new Set([...counts].filter(([, n]) => n >= minCount).map(([w]) => w));
}

/** Builds the in-memory gazetteer from listing entries (already filtered for ETFs/test issues by the loader). */
export function createGazetteer(entries: Iterable<ListingEntry>, opts: GazetteerOptions = {}): Gazetteer {
  const locations = new PhraseIndex();
  const locationSet = new Set([...LOCATIONS, ...(opts.extraLocations ?? [])]);
  for (const l of locationSet) locations.add(l);

  const tickers = new Set<string>();
  const companies = new PhraseIndex();
  for (const e of entries) {
    const symbol = e.symbol.trim().toUpperCase();
    if (/^[A-Z]{1,5}(?:[.-][A-Z]{1,2})?$/.test(symbol) && !AMBIGUOUS_TICKERS.has(symbol)) tickers.add(symbol);
    const registered = registeredName(e.name);
    const core = coreName(registered);
    for (const alias of new Set([registered, core])) if (usableAlias(alias, locationSet, opts.commonWords)) companies.add(alias);
  }
  return { tickers, companies, locations };
}

/** An alias must start upper-case/digit (lowercase ones fire on plain words) and not be a place or generic word. */
function usableAlias(alias: string, locations: ReadonlySet<string>, common?: ReadonlySet<string>): boolean {
  if (alias.length < 2 || locations.has(alias) || !/^[\p{Lu}\p{N}]/u.test(alias)) return false;
  if (/\s/.test(alias)) return true;
  if (FUNCTION_WORDS.has(alias) || GENERIC_ALIASES.has(alias) || common?.has(alias.toLowerCase())) return false;
  if (PERIOD_LIKE.test(alias)) return false; // "Q2 Holdings" reduces to "Q2", which in news is a quarter
  return alias.length >= 3 || /\d/.test(alias);
}
