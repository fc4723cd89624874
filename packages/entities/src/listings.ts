import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseCsv } from "@finsentry/model/csv";
import { instrumentIdOfTicker } from "@finsentry/schemas";
import { companyOfSecurity, normaliseAlias } from "./normalise.ts";
import { RegistryEntitySchema, type RegistryEntity } from "./types.ts";

export interface ListingReject {
  file: string;
  line: number;
  reason: string;
}

export interface Listings {
  entities: RegistryEntity[];
  rejected: ListingReject[];
  /** Rows left out on purpose, by reason: etf, test_issue, not_common (warrants, units, preferreds, notes), footer. */
  skipped: Record<string, number>;
}

/** The files read, in order of precedence: the S&P 500's names are the ones news uses, so they win. */
const FILES = [
  { path: "s-and-p-500-companies/constituents.csv", exchange: undefined, sp: true },
  { path: "nasdaq-listings/nasdaq-listed-symbols.csv", exchange: "NASDAQ", sp: false },
  // other-listed before nyse-listed: it has the security names that complete company names cut at a hyphen.
  { path: "nyse-other-listings/other-listed.csv", exchange: undefined, sp: false },
  { path: "nyse-other-listings/nyse-listed.csv", exchange: "NYSE", sp: false },
] as const;

/**
 * Names news uses for some large companies that their listing's name does not give (the listing says "Walt Disney
 * Company (The)", news says "Disney"), and former names of renamed companies (Facebook, Square, II-VI). Written by the
 * project; added as aliases when the ticker is listed under a name starting with `listedAs` (so a symbol that has
 * changed hands does not pass an old name to its new holder).
 */
export const WELL_KNOWN_ALIASES: Readonly<Record<string, readonly [listedAs: string, aliases: readonly string[]]>> = {
  DIS: ["Walt Disney", ["Disney"]],
  GE: ["GE Aerospace", ["General Electric"]],
  GOOGL: ["Alphabet", ["Google"]],
  META: ["Meta Platforms", ["Facebook", "Meta"]],
  JPM: ["JPMorgan", ["JPMorgan", "JP Morgan", "J.P. Morgan"]],
  C: ["Citigroup", ["Citi"]],
  BAC: ["Bank of America", ["BofA"]],
  GS: ["Goldman Sachs", ["Goldman"]],
  "BRK.B": ["Berkshire Hathaway", ["Berkshire"]],
  JNJ: ["Johnson & Johnson", ["J&J"]],
  PG: ["Procter & Gamble", ["P&G"]],
  XOM: ["Exxon", ["Exxon", "ExxonMobil", "Exxon Mobil"]],
  // Former names news still uses (renamed companies whose symbol stayed or moved to the renamed company).
  XYZ: ["Block", ["Square"]],
  XPO: ["XPO", ["XPO Logistics"]],
  COHR: ["Coherent", ["II-VI Incorporated"]],
  PBR: ["Petroleo Brasileiro", ["Petrobras"]],
  RTX: ["RTX", ["Raytheon Technologies", "Raytheon"]],
  SHEL: ["Shell", ["Royal Dutch Shell"]],
  ELV: ["Elevance", ["Anthem"]],
  FUN: ["Six Flags", ["Cedar Fair"]],
  OR: ["OR Royalties", ["Osisko Gold Royalties"]],
  B: ["Barrick", ["Barrick Gold"]],
  GSK: ["GSK", ["GlaxoSmithKline"]],
  PDD: ["PDD", ["Pinduoduo"]],
  MSTR: ["Strategy", ["MicroStrategy"]],
  MARA: ["MARA", ["Marathon Digital"]],
  // Not "TSMC" alone: an alias written like a symbol is read as another share class's symbol.
  TSM: ["Taiwan Semiconductor", ["TSMC Ltd"]],
  BABA: ["Alibaba", ["Alibaba"]],
  TM: ["Toyota", ["Toyota"]],
};

/**
 * The key under which share classes of one company meet: the company's name without case, punctuation and legal form,
 * but with "Group"/"Holdings" kept, so that "Star Group, L.P." and "Star Holdings" stay two companies.
 */
function shareClassKey(name: string): string {
  let s = name
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[.'’]/g, "")
    .replace(/[^\p{L}\p{N}&]+/gu, " ")
    .trim()
    .replace(/^the\s+/, "");
  for (let prev = ""; prev !== s;) {
    prev = s;
    s = s.replace(/\s+(?:inc|incorporated|corp|corporation|co|company|cos|ltd|limited|plc|llc|lp|nv|sa|ag|se|adrs?|ads)$/, "").trim();
  }
  return s;
}

/** A legal form of a company registered outside the US, in a listed name. */
const FOREIGN_FORM = /(?:^|[^\p{L}])(?:ltd|limited|plc|p\.l\.c|ag|sa|s\.a|nv|n\.v|se|asa|oyj|spa|s\.p\.a)\.?(?![\p{L}])/iu;

/** other-listed.csv's exchange codes. */
const EXCHANGES: Record<string, string> = { N: "NYSE", A: "NYSE American", P: "NYSE Arca", Z: "Cboe BZX", V: "IEX" };

/** Securities that are not a company's shares: they stay out of the registry (the issuer's common stock is in it). */
const NOT_COMMON =
  /\b(?:warrants?|rights?|units?|preferred|preference|pfd|notes?|debentures?|bonds?|depositary shares (?:each )?represent|trust preferred|closed end fund|subordinated|senior (?:notes|secured|unsecured|debentures)|due \d{4}|perpetual)\b|%/i;

/**
 * The part of a security name that says what kind of security it is, with the descriptions of a company's common
 * equity that borrow NOT_COMMON's words taken out: an ADR's "(each representing the right to receive 20 Series B
 * Shares)" or "(Each repstg 500 Preferred shares)" is its common equity, and so are an MLP's "Common Units
 * Representing Limited Partner Interests".
 */
function commonPart(security: string): string {
  return security
    .replace(/^.*? - /, "")
    .replace(/\b(american depositary (?:shares?|receipts?))\s*\((?:each\s+)?(?:representing|repstg|rep\.?)\b[^)]*\)?/gi, "$1")
    .replace(
      /\bcommon units?(?:\s+representing\s+(?:limited\s+partner(?:ship)?\s+interests?|limited\s+liability\s+company\s+interests?))?/gi,
      "common stock",
    );
}

/**
 * Instruments from a listings directory laid out like `../shared/data/tickers` (S&P 500 constituents, NASDAQ listed
 * symbols, NYSE and other listed). Rows are validated (a row that cannot be an instrument is rejected with its file,
 * line and reason); ETFs, test issues, warrants/units/preferreds/notes and the NASDAQ footer are skipped and counted.
 * One entity per company: a symbol in several files is merged (the S&P 500's name wins, the others' names become
 * aliases), and share classes of one company (GOOGL/GOOG, BRK.B/BRK.A) become one entity whose other symbols are
 * aliases. The lists are third-party data: read from where they lie, never written into the repository.
 */
export async function loadListings(dir: string): Promise<Listings> {
  const rejected: ListingReject[] = [];
  const skipped: Record<string, number> = {};
  const skip = (why: string) => (skipped[why] = (skipped[why] ?? 0) + 1);
  const bySymbol = new Map<string, RegistryEntity>();
  const byCompany = new Map<string, RegistryEntity>();
  let filesRead = 0;

  for (const f of FILES) {
    let raw: string;
    try {
      raw = await readFile(join(dir, f.path), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    filesRead++;
    const rows = parseCsv(raw, f.path);
    const header = rows[0]?.values.map((h) => h.trim().toLowerCase()) ?? [];
    const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
    const iSym = col("symbol", "act symbol");
    const iName = col("security", "company name");
    const iSecurity = f.sp ? -1 : col("security name");
    const iEtf = col("etf");
    const iTest = col("test issue");
    const iExchange = col("exchange");
    if (iSym < 0 || iName < 0) {
      rejected.push({ file: f.path, line: 1, reason: "header has no symbol or company-name column" });
      continue;
    }
    for (const { line, values: cells } of rows.slice(1)) {
      const reject = (reason: string) => rejected.push({ file: f.path, line, reason });
      if (cells.every((c) => c.trim() === "")) continue;
      const symbol = (cells[iSym] ?? "").trim();
      if (/^file creation time/i.test(symbol)) {
        skip("footer");
        continue;
      }
      if (cells.length !== header.length) {
        reject(`expected ${header.length} columns, found ${cells.length}`);
        continue;
      }
      if (iEtf >= 0 && cells[iEtf]!.trim().toUpperCase() === "Y") {
        skip("etf");
        continue;
      }
      if (iTest >= 0 && cells[iTest]!.trim().toUpperCase() === "Y") {
        skip("test_issue");
        continue;
      }
      const listed = (cells[iName] ?? "").replace(/\s+/g, " ").trim();
      if (!symbol) {
        reject("empty symbol");
        continue;
      }
      if (!listed) {
        reject(`${symbol}: empty company name`);
        continue;
      }
      const security = iSecurity >= 0 ? (cells[iSecurity] ?? "") : listed;
      // ACT symbology marks preferreds with "$" (BAC$E); NASDAQ names warrants, units and notes in the security name.
      if (!f.sp && (/[$^+~]/.test(symbol) || NOT_COMMON.test(commonPart(security)))) {
        skip("not_common");
        continue;
      }
      const ticker = symbol.toUpperCase().replace(/[-/]/g, ".");
      // The files cut some company names at a hyphen ("Eaton Vance Tax" for "Eaton Vance Tax-Managed … Fund"): the
      // security name then has the whole one.
      const cut = security.length > listed.length && security.startsWith(listed) && security.charAt(listed.length) === "-";
      const name = companyOfSecurity(cut ? security : listed);
      const exchange = iExchange >= 0 ? (EXCHANGES[cells[iExchange]!.trim()] ?? f.exchange) : f.exchange;
      const company = normaliseAlias(name);

      const known = bySymbol.get(ticker);
      if (known) {
        // The same symbol in a later file: its name becomes an alias unless it says no more than the known name or an
        // alias already does (or is a cut-off start of one).
        const said = [known.name, ...known.aliases].map(normaliseAlias);
        if (company && !said.some((k) => k === company || k.startsWith(`${company} `))) known.aliases.push(name);
        // The same name with a foreign legal form the known names leave out ("Garmin" → "Garmin Ltd."): kept, so
        // that the resolver can tell "Garmin Ltd" (this company) from "Pfizer Ltd" (not Pfizer, Inc.).
        else if (FOREIGN_FORM.test(name) && ![known.name, ...known.aliases].some((k) => FOREIGN_FORM.test(k))) known.aliases.push(name);
        if (!known.exchange && exchange) known.exchange = exchange;
        continue;
      }
      const sameCompany = company ? byCompany.get(shareClassKey(name)) : undefined;
      if (sameCompany) {
        // Another share class of a company already read: one entity, this symbol an alias.
        if (!sameCompany.aliases.includes(ticker)) sameCompany.aliases.push(ticker);
        bySymbol.set(ticker, sameCompany);
        continue;
      }
      const parsed = RegistryEntitySchema.safeParse({
        id: instrumentIdOfTicker(ticker),
        kind: "instrument",
        name,
        ticker,
        ...(exchange ? { exchange } : {}),
        aliases: [],
      });
      if (!parsed.success) {
        reject(`${symbol}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "row"} ${i.message}`).join("; ")}`);
        continue;
      }
      bySymbol.set(ticker, parsed.data);
      if (company) byCompany.set(shareClassKey(name), parsed.data);
    }
  }
  for (const [ticker, [listedAs, aliases]] of Object.entries(WELL_KNOWN_ALIASES)) {
    // Only where the symbol still names that company (a symbol can be reused).
    const e = bySymbol.get(ticker);
    if (!e || !normaliseAlias(e.name).startsWith(normaliseAlias(listedAs))) continue;
    const said = new Set([e.name, ...e.aliases].map(normaliseAlias));
    for (const a of aliases) {
      if (said.has(normaliseAlias(a))) continue;
      e.aliases.push(a);
      said.add(normaliseAlias(a));
    }
  }
  if (filesRead === 0) throw new Error(`${dir}: none of ${FILES.map((f) => f.path).join(", ")} found`);
  return { entities: [...new Set(bySymbol.values())], rejected, skipped };
}
