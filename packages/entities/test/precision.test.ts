import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AMBIGUOUS_TICKERS, FUNCTION_WORDS, GENERIC_ALIASES } from "@finsentry/model/words";
import { EntityResolver, loadListings, normaliseAlias, type MentionIn, type RegistryEntity } from "../src/index.ts";
import { COMMON_WORDS, GENERIC_NAME_WORD_SET, isWordLikeName } from "../src/words.ts";

// Made-up companies for the precision rules (issue 20): one-word names that are English words or names many firms
// share, symbols that other companies used before, a listing abroad.
const ENTITIES: RegistryEntity[] = [
  { id: "trgt", kind: "instrument", name: "Target Corporation", ticker: "TRGT", aliases: [] },
  { id: "nwsx", kind: "instrument", name: "News Corp", ticker: "NWSX", aliases: [] },
  { id: "bhex", kind: "instrument", name: "Benchmark Electronics, Inc.", ticker: "BHEX", aliases: [] },
  { id: "plrs", kind: "instrument", name: "Polaris Inc.", ticker: "PLRS", aliases: [] },
  { id: "zwid", kind: "instrument", name: "Zenith Widgets Inc.", ticker: "ZWID", aliases: [] },
  { id: "glbx", kind: "instrument", name: "Globex Corporation", ticker: "GLBX", aliases: [] },
  { id: "gsx", kind: "instrument", name: "Goldfarb Sachsen Group", ticker: "GSX", aliases: [] },
  { id: "vgx", kind: "instrument", name: "Venture Global, Inc.", ticker: "VGX", aliases: [] },
  { id: "xom", kind: "instrument", name: "ExxonMobil", ticker: "XOM", aliases: ["Exxon"] },
  { id: "gm", kind: "instrument", name: "General Motors", ticker: "GM", aliases: [] },
  { id: "tv", kind: "instrument", name: "Grupo Televisa", ticker: "TV", aliases: [] },
  { id: "nftl", kind: "instrument", name: "NFT Limited", ticker: "NFTL", aliases: [] },
  { id: "sail", kind: "instrument", name: "SailPoint, Inc.", ticker: "SAIL", aliases: [] },
  { id: "edsn", kind: "instrument", name: "Edison International", ticker: "EDSN", aliases: [] },
];
const resolver = new EntityResolver({ version: 1, entities: ENTITIES });
const mention = (type: string, text: string, context: string, from = 0): MentionIn => {
  const start = context.indexOf(text, from);
  if (start < 0) throw new Error(`"${text}" not in "${context}"`);
  return { type, text, start, end: start + text.length };
};
const at = (type: string, text: string, context: string, from = 0) => resolver.resolve(mention(type, text, context, from), context);

describe("one list of words, shared with the weak tagger", () => {
  it("is read from @finsentry/model/words, and the resolver's sets contain it", () => {
    expect(AMBIGUOUS_TICKERS.has("NOW")).toBe(true);
    for (const w of AMBIGUOUS_TICKERS) expect(COMMON_WORDS.has(w.toLowerCase()), w).toBe(true);
    for (const w of [...GENERIC_ALIASES, ...FUNCTION_WORDS]) expect(GENERIC_NAME_WORD_SET.has(w.toLowerCase()), w).toBe(true);
  });
});

describe("word-like one-word names", () => {
  it("are ordinary words or names many firms share, never names of several words", () => {
    for (const w of ["target", "news", "benchmark", "polaris", "edison", "delta"]) expect(isWordLikeName(w), w).toBe(true);
    for (const w of ["globex", "zenith widgets", "target corporation"]) expect(isWordLikeName(w), w).toBe(false);
  });

  it("resolve only when the words after them say 'company' or the text names it otherwise", () => {
    expect(at("ORG", "Target", "Monte Paschi Misses Full-Year Income Target, May Cut Costs")).toMatchObject({
      entityId: null,
      rule: "word_name",
      candidates: ["trgt"],
    });
    expect(at("ORG", "News", "Top Energy News of the Day")).toMatchObject({ entityId: null, candidates: ["nwsx"] });
    expect(at("ORG", "Target", "Target shares jump after results")).toMatchObject({ entityId: "trgt", rule: "word_name_in_context" });
    expect(at("ORG", "Target's", "Target's quarterly profit beats")).toMatchObject({ entityId: "trgt" });
    expect(at("ORG", "Target", "Target cuts outlook; $TRGT down 4%")).toMatchObject({ entityId: "trgt", rule: "word_name_in_context" });
    expect(at("ORG", "Target Corp", "Target Corp cuts outlook")).toMatchObject({ entityId: "trgt", rule: "alias" });
    // Never in capitals alone, and never from memo: the same surface in another text gets its own answer.
    expect(at("ORG", "NEWS", "BREAKING NEWS: rates on hold")).toMatchObject({ entityId: null });
    expect(at("ORG", "Target", "Target practice resumes").entityId).toBeNull();
  });

  it("hold for short names too, and for names many firms share", () => {
    expect(at("ORG", "Benchmark", "Benchmark, Motilal AMC line up ETFs")).toMatchObject({ entityId: null, rule: "word_name" });
    expect(at("ORG", "Benchmark", "Benchmark reports record revenue")).toMatchObject({ entityId: "bhex" });
    expect(at("ORG", "Polaris", "Polaris net up 8% on lower losses")).toMatchObject({ entityId: null, candidates: ["plrs"] });
    expect(at("ORG", "Polaris", "Polaris shares slide")).toMatchObject({ entityId: "plrs" });
  });
});

describe("hashtags", () => {
  it("count like the bare symbol: the company's own name, or support", () => {
    expect(at("TICKER", "#GSX", "GSX Acquisition : Investor Presentation #GSX #Stock #MarketScreener")).toMatchObject({
      entityId: null,
      candidates: ["gsx"],
    });
    expect(at("TICKER", "#GSX", "#GSX shares jump")).toMatchObject({ entityId: "gsx", rule: "hashtag" });
    expect(at("TICKER", "$GSX", "$GSX #Stock")).toMatchObject({ entityId: "gsx", rule: "cashtag" });
  });
});

describe("symbols written in brackets after a name", () => {
  it("belong to the company named, so a symbol that changed hands is not its new holder's", () => {
    const vonage = "$VGX - Vonage Holdings (VGX) Investor Presentation";
    expect(at("TICKER", "$VGX", vonage)).toMatchObject({ entityId: null, rule: "symbol_of_other_name", candidates: ["vgx"] });
    // Not memoised: the same cashtag elsewhere is the registry's holder.
    expect(at("TICKER", "$VGX", "$VGX jumps 5%")).toMatchObject({ entityId: "vgx", rule: "cashtag" });
    expect(at("TICKER", "VGX", "Does The Vonage Corporation (NYSE:VGX) Fall With The Market?")).toMatchObject({ entityId: null });
    expect(at("TICKER", "VGX", "Is Venture Global, Inc.'s (NYSE:VGX) Stock Cheap?")).toMatchObject({
      entityId: "vgx",
      rule: "ticker_with_name",
    });
    expect(at("TICKER", "$VGX", "$VGX - Venture Global, Inc. (VGX) CEO on Q2 Results")).toMatchObject({ entityId: "vgx" });
  });

  it("resolve the name before them when it shares a word with the symbol's company", () => {
    const text = "Oil stocks rose, with Exxon Mobil Corp <XOM.N> climbing 3.7%";
    expect(at("ORG", "Exxon Mobil Corp", text)).toMatchObject({ entityId: "xom", rule: "name_with_ticker" });
    const wuling = "after BYD <002594.SZ> and SAIC-GM-Wuling <GM.N><600104.SS>";
    expect(at("ORG", "SAIC-GM-Wuling", wuling)).toMatchObject({ entityId: null });
  });

  it("say a short name is a company abroad when the code is another exchange's", () => {
    expect(at("ORG", "Edison", "Board meetings: Italgas <IG.MI>, Edison <EDN.MI>")).toMatchObject({ entityId: null });
    expect(at("ORG", "Edison", "Edison raises its dividend")).toMatchObject({ entityId: null, rule: "word_name" });
  });
});

describe("weak evidence in texts about India's market or another company's cashtag", () => {
  it("does not let a verb before a symbol or a short name resolve", () => {
    expect(at("ORG", "SAIL", "Sell SAIL with a stop loss of Rs 77.5")).toMatchObject({ entityId: null, candidates: ["sail"] });
    expect(at("ORG", "SAIL", "Sell SAIL with a stop loss at $77.5")).toMatchObject({ entityId: "sail", rule: "ticker_in_context" });
    expect(at("ORG", "Zenith's", "Zenith's Rs 3,018-crore IPO oversubscribed")).toMatchObject({ entityId: null, rule: "foreign_context" });
    expect(at("ORG", "Zenith's", "Zenith's IPO oversubscribed")).toMatchObject({ entityId: "zwid", rule: "short_name" });
    expect(at("ORG", "Zenith's", "$ZNTH - Zenith's unit expands notes")).toMatchObject({ entityId: null, rule: "other_cashtag" });
    expect(at("ORG", "Zenith's", "$ZWID - Zenith's unit expands notes")).toMatchObject({ entityId: "zwid" });
  });
});

describe("sectors and jargon", () => {
  it("reads '<word-like symbol> stocks' as a sector and jargon in capitals as jargon", () => {
    expect(at("ORG", "TV", "TV stocks slump on talk of curbs")).toMatchObject({ entityId: null, candidates: ["tv"] });
    expect(at("ORG", "TV", "TV shares slump on talk of curbs")).toMatchObject({ entityId: "tv" });
    expect(at("ORG", "NFT", "GameStop rolls out NFT marketplace")).toMatchObject({ entityId: null, rule: "macro_acronym" });
    expect(at("ORG", "NFT Limited", "NFT Limited files annual report")).toMatchObject({ entityId: "nftl" });
  });

  it("reads more broker and fund wording as support for a bare symbol", () => {
    expect(at("ORG", "GLBX", "notable purchases -- Director adds to GLBX; notable sales")).toMatchObject({ entityId: "glbx" });
    expect(at("ORG", "GLBX", "Edited Transcript of GLBX earnings conference call")).toMatchObject({ entityId: "glbx" });
  });
});

describe("normaliseAlias and former names", () => {
  it("drops dotted legal forms", () => {
    expect(normaliseAlias("Cedar Fair, L.P.")).toBe("cedar fair");
    expect(normaliseAlias("Petroleo Brasileiro S.A.")).toBe("petroleo brasileiro");
    expect(normaliseAlias("Royal Philips N.V.")).toBe("royal philips");
    expect(normaliseAlias("S.A.M. Holdings")).toBe("s a m");
  });

  it("adds a renamed company's former name only while its symbol still names it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "finsentry-former-"));
    try {
      await mkdir(join(dir, "s-and-p-500-companies"), { recursive: true });
      const rows = ["Symbol,Security", 'XYZ,"Block, Inc."', "META,Metamorph Widgets Corp", "B,Barrick Mining Corporation"];
      await writeFile(join(dir, "s-and-p-500-companies/constituents.csv"), rows.join("\n") + "\n");
      const { entities } = await loadListings(dir);
      const r = new EntityResolver({ version: 1, entities });
      const res = (text: string, context: string) => r.resolve(mention("ORG", text, context), context);
      expect(res("Square's", "Square's Stock May Retest Its Lows")).toMatchObject({ entityId: "xyz" });
      // A former name that is an ordinary word still needs support.
      expect(res("Square", "Square footage of new homes fell")).toMatchObject({ entityId: null });
      expect(res("Barrick Gold", "Barrick Gold lifts output")).toMatchObject({ entityId: "b" });
      // META now names another company: Facebook is not passed to it.
      expect(res("Facebook", "Facebook owner cuts jobs")).toMatchObject({ entityId: null });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
