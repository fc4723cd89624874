import { describe, expect, it } from "vitest";
import { CANONICAL_PREFIX, entityKey } from "@finsentry/schemas";
import {
  canonicalKey,
  DEMO_ENTITIES,
  EntityResolver,
  isCanonicalKey,
  isWordLikeTicker,
  normaliseAlias,
  RegistryEntitySchema,
  RegistrySnapshotSchema,
  type MentionIn,
  type RegistryEntity,
} from "../src/index.ts";

// Made-up companies: two share a first word, two share a generic first word, one has a ticker that is an English word.
const ENTITIES: RegistryEntity[] = [
  { id: "glbx", kind: "instrument", name: "Globex Corporation", ticker: "GLBX", aliases: [] },
  { id: "inat", kind: "instrument", name: "Initech Airlines Inc.", ticker: "INAT", aliases: [] },
  { id: "inxp", kind: "instrument", name: "Initech Express Inc.", ticker: "INXP", aliases: [] },
  { id: "amal", kind: "instrument", name: "American Skylines Group", ticker: "AMAL", aliases: [] },
  { id: "amxp", kind: "instrument", name: "American Xpress Company", ticker: "AMXP", aliases: [] },
  { id: "hool", kind: "instrument", name: "Hooli Inc. Class A Common Stock", ticker: "HOOL", aliases: ["HOOLK"] },
  { id: "all", kind: "instrument", name: "Allstead Mutual Corp", ticker: "ALL", aliases: [] },
  { id: "brk-b", kind: "instrument", name: "Birchwood Hathaway", ticker: "BRK.B", aliases: [] },
  { id: "person-gavin-belson", kind: "person", name: "Gavin Belson", aliases: ["G. Belson"] },
  { id: "place-springfield", kind: "place", name: "Springfield", aliases: [] },
];
const resolver = new EntityResolver({ version: 3, entities: ENTITIES });
const mention = (type: string, text: string, context: string, from = 0): MentionIn => {
  const start = context.indexOf(text, from);
  if (start < 0) throw new Error(`"${text}" not in "${context}"`);
  return { type, text, start, end: start + text.length };
};
const at = (type: string, text: string, context: string, from = 0) => resolver.resolve(mention(type, text, context, from), context);

describe("canonical keys", () => {
  it("prefix an id with the shared CANONICAL_PREFIX and are told apart from surface keys", () => {
    expect(canonicalKey("brk-b")).toBe(`${CANONICAL_PREFIX}brk-b`);
    expect(isCanonicalKey("E:brk-b")).toBe(true);
    expect(isCanonicalKey("TICKER:BRK.B")).toBe(false);
    expect(isCanonicalKey("ORG:e: corp")).toBe(false);
  });
});

describe("EntityResolver: tickers", () => {
  it("maps a cashtag, a hashtag (with or without the # in the span) and a bare ticker, of type ORG or TICKER, to one id", () => {
    expect(at("TICKER", "$GLBX", "$GLBX jumps 5%")).toEqual({ key: "E:glbx", entityId: "glbx", candidates: [], rule: "cashtag" });
    expect(at("ORG", "$GLBX", "$GLBX jumps 5%")).toMatchObject({ key: "E:glbx", rule: "cashtag" });
    expect(at("ORG", "#GLBX", "#GLBX jumps 5%")).toMatchObject({ key: "E:glbx", rule: "hashtag" });
    expect(at("ORG", "GLBX", "#GLBX jumps 5%")).toMatchObject({ key: "E:glbx", rule: "hashtag" });
    expect(at("TICKER", "GLBX", "up 5%: $GLBX")).toMatchObject({ key: "E:glbx", rule: "cashtag" });
    expect(at("ORG", "GLBX", "Brokers cut GLBX to sell")).toMatchObject({ key: "E:glbx", rule: "ticker_in_context" });
    expect(at("TICKER", "$glbx", "$glbx to the moon")).toMatchObject({ key: "E:glbx", rule: "cashtag" });
    expect(at("ORG", "GLBX's", "GLBX's shares fall")).toMatchObject({ key: "E:glbx", rule: "ticker_in_context" });
    expect(at("TICKER", "$BRK.B", "$BRK.B slips")).toMatchObject({ key: "E:brk-b", rule: "cashtag" });
    expect(resolver.version).toBe(3);
  });

  it("reads another share class's symbol listed as an alias as a ticker of the same entity", () => {
    expect(at("TICKER", "$HOOLK", "$HOOLK up")).toMatchObject({ key: "E:hool", rule: "cashtag" });
    expect(at("ORG", "HOOLK", "Funds add HOOLK")).toMatchObject({ key: "E:hool", rule: "ticker_in_context" });
  });

  it("resolves a common-word ticker only as a cashtag or with context, keeping the candidate otherwise", () => {
    expect(at("ORG", "ALL", "ALL of the banks fell")).toEqual({
      key: "ORG:all",
      entityId: null,
      candidates: ["all"],
      rule: "common_word_ticker",
    });
    expect(at("TICKER", "$ALL", "$ALL up 2%")).toMatchObject({ key: "E:all", rule: "cashtag" });
    // A hashtag is a topic tag: a common-word symbol written as one still needs support.
    expect(at("ORG", "ALL", "why #ALL is a buy")).toMatchObject({ entityId: null, candidates: ["all"] });
    expect(at("ORG", "ALL", "#ALL shares jump after results")).toMatchObject({ key: "E:all", rule: "hashtag" });
    expect(at("ORG", "ALL", "ALL shares jump after results")).toMatchObject({ key: "E:all", rule: "ticker_in_context" });
    expect(at("ORG", "ALL", "Funds trimmed stakes in ALL this quarter")).toMatchObject({ key: "E:all", rule: "ticker_in_context" });
    expect(at("ORG", "ALL", "Allstead Mutual beats; ALL is the one to own")).toMatchObject({ key: "E:all", rule: "ticker_in_context" });
    expect(at("ORG", "ALL", "ALL up 4% after results")).toMatchObject({ key: "E:all", rule: "ticker_in_context" });
    expect(at("ORG", "ALL", "ALL +4% premarket")).toMatchObject({ key: "E:all", rule: "ticker_in_context" });
    expect(at("ORG", "ALL", "ALL stockings sold out")).toMatchObject({ entityId: null, rule: "common_word_ticker" });
    expect(at("ORG", "ALL", "ALL 3 banks fell")).toMatchObject({ entityId: null, rule: "common_word_ticker" });
    expect(at("ORG", "ALL", "ALL up in arms")).toMatchObject({ entityId: null, rule: "common_word_ticker" });
    // Lower case is never a bare ticker.
    expect(at("ORG", "all", "all of it")).toMatchObject({ key: "ORG:all", entityId: null, rule: "unknown" });
  });

  it("does not let a context-dependent answer leak into another text (memoised answers are context-free only)", () => {
    expect(at("ORG", "ALL", "ALL shares jump").entityId).toBe("all");
    expect(at("ORG", "ALL", "ALL of them").entityId).toBeNull();
    expect(at("ORG", "GLBX", "#GLBX up").rule).toBe("hashtag");
    expect(at("ORG", "GLBX", "GLBX up").rule).toBe("ticker_in_context");
    expect(at("ORG", "GLBX", "GLBX said").rule).toBe("unsupported_ticker");
  });

  it("keeps an unregistered ticker on its surface key (a hashtag like the cashtag it stands for)", () => {
    expect(at("TICKER", "$ZZZ", "$ZZZ up")).toEqual({ key: "TICKER:ZZZ", entityId: null, candidates: [], rule: "unknown_ticker" });
    expect(at("TICKER", "#ZZZ", "#ZZZ up")).toMatchObject({ key: "TICKER:ZZZ", entityId: null });
  });

  it("treats single letters and listed or frequent English words as word-like tickers", () => {
    for (const t of ["A", "ALL", "CAT", "NOW", "IT", "ON", "ARE", "CAN", "FOR", "BIG", "RUN", "LOVE"])
      expect(isWordLikeTicker(t), t).toBe(true);
    for (const t of ["GLBX", "TSLA", "AAPL", "INTC"]) expect(isWordLikeTicker(t), t).toBe(false);
  });
});

describe("EntityResolver: names", () => {
  it("maps a name with or without its legal form, the listing's security name, a possessive and any case to one id", () => {
    expect(at("ORG", "Globex Corporation", "Globex Corporation misses")).toMatchObject({ key: "E:glbx", rule: "alias" });
    expect(at("ORG", "Globex Corp.", "Globex Corp. misses")).toMatchObject({ key: "E:glbx", rule: "alias" });
    expect(at("ORG", "Globex", "Globex misses")).toMatchObject({ key: "E:glbx", rule: "alias" });
    expect(at("ORG", "GLOBEX", "GLOBEX misses")).toMatchObject({ key: "E:glbx", rule: "alias" });
    expect(at("ORG", "Globex’s", "Globex’s profit fell")).toMatchObject({ key: "E:glbx" });
    expect(at("ORG", "The Globex Corp's", "The Globex Corp's profit fell")).toMatchObject({ key: "E:glbx" });
    expect(at("ORG", "Hooli", "Hooli wins")).toMatchObject({ key: "E:hool", rule: "alias" });
    expect(at("ORG", "#Hooli", "#Hooli wins")).toMatchObject({ key: "E:hool", rule: "alias" });
  });

  it("resolves a unique first word as a short name", () => {
    expect(at("ORG", "Allstead", "Allstead raises its dividend")).toMatchObject({ key: "E:all", rule: "short_name" });
    expect(at("ORG", "Birchwood's", "Birchwood's cash pile")).toMatchObject({ key: "E:brk-b", rule: "short_name" });
  });

  it("keeps two companies that share a word apart, and leaves the shared word unresolved with candidates", () => {
    const ctx = "Initech Airlines and Initech Express both fell";
    expect(at("ORG", "Initech Airlines", ctx).key).toBe("E:inat");
    expect(at("ORG", "Initech Express", ctx).key).toBe("E:inxp");
    const shared = at("ORG", "Initech", "Initech fell");
    expect(shared).toMatchObject({ key: "ORG:initech", entityId: null, rule: "ambiguous" });
    expect([...shared.candidates].sort()).toEqual(["inat", "inxp"]);
    // Both named: the shared word stays ambiguous.
    expect(at("ORG", "Initech", `${ctx}; Initech said`, ctx.length)).toMatchObject({ entityId: null, rule: "ambiguous" });
  });

  it("resolves a shared short name by a longer alias of one candidate in the same text", () => {
    expect(at("ORG", "Initech", "Initech Airlines cuts routes; Initech shares fall", 10)).toMatchObject({ key: "E:inat", rule: "context" });
    expect(at("ORG", "Initech", "Initech says more; $INXP down")).toMatchObject({ key: "E:inxp", rule: "context" });
  });

  it("gives a short name shared by a company and its offshoots to the company whose name the others extend", () => {
    const r = new EntityResolver({
      version: 1,
      entities: [
        { id: "glds", kind: "instrument", name: "Goldwin Sachs Group, Inc.", ticker: "GLDS", aliases: [] },
        { id: "gldb", kind: "instrument", name: "Goldwin Sachs BDC, Inc.", ticker: "GLDB", aliases: [] },
        { id: "gldm", kind: "instrument", name: "Goldwin Mining Corp", ticker: "GLDM", aliases: [] },
      ],
    });
    expect(r.resolve(mention("ORG", "Goldwin Sachs", "Goldwin Sachs upgrades"), "Goldwin Sachs upgrades")).toMatchObject({
      entityId: "glds",
      rule: "alias",
    });
    // "Goldwin" alone is shared with an unrelated Goldwin Mining: still ambiguous.
    expect(r.resolve(mention("ORG", "Goldwin", "Goldwin upgrades"), "Goldwin upgrades")).toMatchObject({
      entityId: null,
      rule: "ambiguous",
    });
    const offshoot = new EntityResolver({
      version: 1,
      entities: [
        { id: "glds", kind: "instrument", name: "Goldwin Sachs Group, Inc.", ticker: "GLDS", aliases: [] },
        { id: "gldb", kind: "instrument", name: "Goldwin Sachs BDC, Inc.", ticker: "GLDB", aliases: [] },
      ],
    });
    expect(offshoot.resolve(mention("ORG", "Goldwin", "Goldwin upgrades"), "Goldwin upgrades")).toMatchObject({
      entityId: "glds",
      rule: "short_name",
    });
  });

  it("never merges names that only share a generic word, nor matches part of a multi-word name", () => {
    const ctx = "American Skylines and American Xpress both fell";
    expect(at("ORG", "American Skylines", ctx).key).toBe("E:amal");
    expect(at("ORG", "American Xpress", ctx).key).toBe("E:amxp");
    expect(at("ORG", "American", "American fell")).toMatchObject({ key: "ORG:american", entityId: null, candidates: [], rule: "unknown" });
    expect(at("ORG", "Skylines", "Skylines fell")).toMatchObject({ entityId: null });
    expect(at("ORG", "Express", "Express fell")).toMatchObject({ entityId: null });
    expect(at("ORG", "Skylines Xpress", "Skylines Xpress fell")).toMatchObject({ entityId: null });
  });

  it("resolves people and places only by an exact alias of their own kind", () => {
    expect(at("PERSON", "Gavin Belson", "Gavin Belson resigns").key).toBe("E:person-gavin-belson");
    expect(at("PERSON", "G. Belson", "G. Belson resigns").key).toBe("E:person-gavin-belson");
    expect(at("PERSON", "Gavin Belson's", "Gavin Belson's exit").key).toBe("E:person-gavin-belson");
    expect(at("PERSON", "Belson", "Belson resigns")).toMatchObject({ key: "PERSON:belson", entityId: null });
    expect(at("PERSON", "Gavin", "Gavin resigns")).toMatchObject({ key: "PERSON:gavin", entityId: null });
    expect(at("LOCATION", "Springfield", "Plant in Springfield closes").key).toBe("E:place-springfield");
    expect(at("ORG", "Springfield", "Springfield fell").key).toBe("ORG:springfield");
    expect(at("PERSON", "Globex", "Globex said").key).toBe("PERSON:globex");
    expect(at("LOCATION", "GLBX", "GLBX").entityId).toBeNull();
  });

  it("leaves unknown names on their surface key and amounts unkeyed", () => {
    expect(at("ORG", "Pied Piper", "Pied Piper raises")).toEqual({
      key: "ORG:pied piper",
      entityId: null,
      candidates: [],
      rule: "unknown",
    });
    expect(at("MONEY", "$5bn", "raises $5bn")).toMatchObject({ key: null, entityId: null, rule: "not_watchable" });
    expect(at("PERCENT", "5%", "up 5%")).toMatchObject({ key: null, rule: "not_watchable" });
  });

  it("resolveAll answers every mention in order, like resolve one by one", () => {
    const text = "$GLBX and Initech Express rise; Gavin Belson comments; $5bn";
    const ms = [
      mention("TICKER", "$GLBX", text),
      mention("ORG", "Initech Express", text),
      mention("PERSON", "Gavin Belson", text),
      mention("MONEY", "$5bn", text),
    ];
    expect(resolver.resolveAll(ms, text).map((r) => r.key)).toEqual(["E:glbx", "E:inxp", "E:person-gavin-belson", null]);
    expect(resolver.resolveAll(ms, text)).toEqual(ms.map((m) => resolver.resolve(m, text)));
  });
});

describe("EntityResolver.findTickerMentions", () => {
  it("finds registered cashtags and hashtags the model missed, not covered or unknown ones", () => {
    const text = "#GLBX slides after $HOOL. cuts; $NOPE flat; $GLBX";
    expect(resolver.findTickerMentions(text, [{ start: 45, end: 50 }])).toEqual([
      { type: "TICKER", text: "#GLBX", start: 0, end: 5 },
      { type: "TICKER", text: "$HOOL", start: 19, end: 24 },
    ]);
  });

  it("finds bare registered tickers only where the resolver would resolve them", () => {
    const text = "Brokers cut GLBX; ALL of them agree, but ALL shares rose and INXP rallied.";
    expect(resolver.findTickerMentions(text, [])).toEqual([
      { type: "TICKER", text: "GLBX", start: 12, end: 16 },
      { type: "TICKER", text: "ALL", start: 41, end: 44 },
      { type: "TICKER", text: "INXP", start: 61, end: 65 },
    ]);
    // Shouted headlines are not read for bare tickers; lower case and part of a word never are.
    expect(resolver.findTickerMentions("BROKERS CUT GLBX AFTER WEAK QUARTER", [])).toEqual([]);
    expect(resolver.findTickerMentions("glbx and GLBXY and e-GLBX, AT&GLBX, ÉGLBX, GLBXé, $$GLBX, GLBX.com", [])).toEqual([]);
    expect(resolver.findTickerMentions("(GLBX) and ($HOOL)", [])).toEqual([
      { type: "TICKER", text: "GLBX", start: 1, end: 5 },
      { type: "TICKER", text: "$HOOL", start: 12, end: 17 },
    ]);
    expect(resolver.findTickerMentions("$BRK.B up", [])).toEqual([{ type: "TICKER", text: "$BRK.B", start: 0, end: 6 }]);
  });
});

describe("EntityResolver: what a bare upper-case word is", () => {
  const more = new EntityResolver({
    version: 1,
    entities: [
      ...ENTITIES,
      { id: "umbr", kind: "instrument", name: "UMBR Group AG", ticker: "UMBR", aliases: [] },
      { id: "max", kind: "instrument", name: "Maxwell Media Corp", ticker: "MAX", aliases: [] },
      { id: "uk", kind: "instrument", name: "Ukko Holdings", ticker: "UK", aliases: [] },
      { id: "ab", kind: "instrument", name: "Abner Brands", ticker: "AB", aliases: [] },
      { id: "rbc", kind: "instrument", name: "Ribcage Bearings Inc", ticker: "RBC", aliases: [] },
      { id: "spxc", kind: "instrument", name: "SPX Corp", ticker: "SPXC", aliases: [] },
      { id: "ndaq", kind: "instrument", name: "Nasdaq, Inc.", ticker: "NDAQ", aliases: [] },
      { id: "stld", kind: "instrument", name: "Steel Dynamics, Inc.", ticker: "STLD", aliases: [] },
      { id: "uslm", kind: "instrument", name: "United States Lime & Minerals", ticker: "USLM", aliases: [] },
      { id: "rjf", kind: "instrument", name: "Raymond James Financial", ticker: "RJF", aliases: [] },
      { id: "dal", kind: "instrument", name: "Delta Air Lines, Inc.", ticker: "DAL", aliases: [] },
    ],
  });
  const r = (type: string, text: string, context: string) => {
    const start = context.indexOf(text);
    return more.resolve({ type, text, start, end: start + text.length }, context);
  };

  it("resolves a symbol that is the company's own name bare, any other only with support", () => {
    expect(r("ORG", "UMBR", "UMBR cuts jobs in Zurich")).toMatchObject({ entityId: "umbr", rule: "bare_ticker" });
    expect(r("ORG", "MAX", "Boeing 737 MAX deliveries resume")).toMatchObject({
      entityId: null,
      rule: "unsupported_ticker",
      candidates: ["max"],
    });
    expect(r("ORG", "MAX", "MAX shares jump on earnings")).toMatchObject({ entityId: "max", rule: "ticker_in_context" });
    expect(r("ORG", "MAX", "Maxwell Media (MAX) beats")).toMatchObject({ entityId: "max", rule: "ticker_with_name" });
    expect(r("ORG", "MAX", "Shares of Maxwell Media Corp (NYSE:MAX) rose")).toMatchObject({ entityId: "max" });
    // Two letters, an article before it, an all-caps text: support is needed even for the company's own name.
    expect(r("ORG", "AB", "AB said on Monday")).toMatchObject({ entityId: null, candidates: ["ab"] });
    expect(r("ORG", "RBC", "the RBC newspaper reported")).toMatchObject({ entityId: null, candidates: ["rbc"] });
    expect(r("ORG", "UMBR", "UMBR SAYS TALKS WILL GO ON")).toMatchObject({ entityId: null, candidates: ["umbr"] });
    // An initial is not a ticker, even after "stake in".
    expect(r("TICKER", "A", "took a stake in A. B. Smith Co")).toMatchObject({ entityId: null });
  });

  it("needs a security word for a macro acronym, even as a hashtag; a cashtag always resolves", () => {
    expect(r("TICKER", "#UK", "Inflation in the #UK hits 9%")).toMatchObject({ entityId: null, rule: "macro_acronym" });
    expect(r("LOCATION", "UK", "Covid infections in the UK jump")).toMatchObject({ entityId: null });
    expect(r("TICKER", "UK", "Covid infections in the UK jump")).toMatchObject({ entityId: null, rule: "macro_acronym" });
    expect(r("TICKER", "$UK", "$UK jumps 5%")).toMatchObject({ entityId: "uk", rule: "cashtag" });
    expect(r("TICKER", "UK", "UK shares jump after Ukko Holdings results")).toMatchObject({ entityId: "uk" });
  });

  it("never reads an unregistered $XYZ or #XYZ as a name", () => {
    expect(r("TICKER", "$SPX", "$SPX daily chart")).toMatchObject({ entityId: null, key: "TICKER:SPX", rule: "unknown_ticker" });
    expect(r("TICKER", "#SPX", "#SPX daily chart")).toMatchObject({ entityId: null, rule: "unknown_ticker" });
  });

  it("reads a market name as the market unless the company is named otherwise", () => {
    expect(r("ORG", "Nasdaq", "S&P 500, Nasdaq break 3-day slide")).toMatchObject({
      entityId: null,
      rule: "market_name",
      candidates: ["ndaq"],
    });
    expect(r("ORG", "Nasdaq Inc", "Nasdaq Inc raises dividend")).toMatchObject({ entityId: "ndaq" });
    expect(r("ORG", "Nasdaq", "Nasdaq beats; $NDAQ up")).toMatchObject({ entityId: "ndaq", rule: "context" });
  });

  it("keeps sector words, places, given names, acronyms and names with a legal form out of short names", () => {
    expect(r("ORG", "Steel", "Steel prices end steady")).toMatchObject({ entityId: null });
    expect(r("ORG", "Steel Dynamics", "Steel Dynamics beats")).toMatchObject({ entityId: "stld" });
    expect(r("ORG", "United States", "Growth in the United States slows")).toMatchObject({ entityId: null });
    expect(r("ORG", "United States Lime", "United States Lime declares dividend")).toMatchObject({ entityId: "uslm" });
    expect(r("ORG", "Raymond", "Raymond a good pick in textiles")).toMatchObject({ entityId: null });
    // "Delta" is a generic word in the list shared with the weak tagger (Delta variant, Delta Corp, Delta Electronics).
    expect(r("ORG", "Delta", "Delta adds flights")).toMatchObject({ entityId: null });
    expect(r("ORG", "Delta Air Lines", "Delta Air Lines adds flights")).toMatchObject({ entityId: "dal", rule: "alias" });
    expect(r("ORG", "Delta Corp", "Delta Corp sells Kenyan unit")).toMatchObject({ entityId: null });
    expect(r("ORG", "DELTA", "DELTA CORP SELLS UNIT")).toMatchObject({ entityId: null });
  });
});

describe("DEMO_ENTITIES", () => {
  it("registers the demo stream's eight companies, valid, with their short names", () => {
    expect(DEMO_ENTITIES.map((e) => e.ticker)).toEqual(["NWM", "CTSO", "FBK", "TSPN", "LTW", "ADTM", "WGRV", "PRSW"]);
    for (const e of DEMO_ENTITIES) expect(RegistryEntitySchema.safeParse(e).success, e.id).toBe(true);
    const r = new EntityResolver({ version: 1, entities: DEMO_ENTITIES });
    const text = "Northwind Motors Inc. recalls 10,000 vehicles #NWM (4)";
    expect(r.resolve(mention("ORG", "Northwind Motors Inc.", text), text).key).toBe("E:nwm");
    expect(r.resolve(mention("ORG", "NWM", text), text).key).toBe("E:nwm");
    expect(r.resolve(mention("ORG", "Northwind's", "Northwind's CEO quits"), "Northwind's CEO quits").key).toBe("E:nwm");
    expect(r.findTickerMentions("$TSPN trading flat ahead of the open", [])).toHaveLength(1);
  });
});

describe("normaliseAlias", () => {
  it("drops legal forms, possessives, punctuation and case, keeping &", () => {
    expect(normaliseAlias("The Globex Group, Inc.")).toBe("globex");
    expect(normaliseAlias("Smith & Co.")).toBe("smith");
    expect(normaliseAlias("AT&T Inc.")).toBe("at&t");
    expect(normaliseAlias("Hooli's")).toBe("hooli");
    expect(normaliseAlias("Hooli’s")).toBe("hooli");
    expect(normaliseAlias("  ＧＬＯＢＥＸ   Holdings  plc ")).toBe("globex");
    expect(normaliseAlias("Initech Corporation Ltd")).toBe("initech");
    expect(normaliseAlias("J.P. Morgan")).toBe("j p morgan");
  });
});

describe("schemas", () => {
  it("validate registry input: id form, kind/id agreement, ticker form, snapshot version", () => {
    for (const e of ENTITIES) expect(RegistryEntitySchema.safeParse(e).success, e.id).toBe(true);
    expect(RegistryEntitySchema.safeParse({ ...ENTITIES[0], id: "Bad Id" }).success).toBe(false);
    expect(RegistryEntitySchema.safeParse({ ...ENTITIES[0], id: "x".repeat(65) }).success).toBe(false);
    expect(RegistryEntitySchema.safeParse({ id: "gavin", kind: "person", name: "Gavin", aliases: [] }).success).toBe(false);
    expect(RegistryEntitySchema.safeParse({ id: "person-x", kind: "instrument", name: "X", aliases: [] }).success).toBe(false);
    expect(RegistryEntitySchema.safeParse({ id: "person-x", kind: "person", name: "X", ticker: "X", aliases: [] }).success).toBe(false);
    expect(RegistryEntitySchema.safeParse({ ...ENTITIES[0], ticker: "lower" }).success).toBe(false);
    expect(RegistryEntitySchema.safeParse({ ...ENTITIES[0], name: "  " }).success).toBe(false);
    expect(RegistryEntitySchema.safeParse({ ...ENTITIES[0], extra: 1 }).success).toBe(false);
    expect(RegistrySnapshotSchema.safeParse({ version: 0, entities: ENTITIES }).success).toBe(true);
    expect(RegistrySnapshotSchema.safeParse({ version: -1, entities: [] }).success).toBe(false);
  });

  it("agree with the legacy key for what the registry does not know", () => {
    expect(at("ORG", "Pied Piper Inc.", "Pied Piper Inc. raises").key).toBe(entityKey("ORG", "Pied Piper Inc."));
  });
});
