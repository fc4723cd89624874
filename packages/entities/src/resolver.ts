import { entityKey } from "@finsentry/schemas";
import { companyOfSecurity, hasLegalSuffix, normaliseAlias } from "./normalise.ts";
import { canonicalKey, type EntityKind, type MentionIn, type RegistryEntity, type RegistrySnapshot, type Resolution } from "./types.ts";
import {
  BROKER_BEFORE,
  CORPORATE_CONTEXT_AFTER,
  FOREIGN_MARKET,
  GENERIC_NAME_WORD_SET,
  GIVEN_NAMES,
  isWordLikeName,
  isWordLikeTicker,
  MACRO_ACRONYMS,
  MARKET_NAMES,
  PLACE_PHRASES,
  TICKER_CONTEXT_AFTER,
  TICKER_CONTEXT_BEFORE,
  TICKER_VERB_BEFORE,
  TICKER_WORDS_AFTER,
  TICKER_WORDS_BEFORE,
  WORD_NAME_CONTEXT_AFTER,
} from "./words.ts";

/** A legal form of a company registered in the UK, India or the Commonwealth, ending a written name ("Pfizer Ltd"). */
const COMMONWEALTH_FORM = /(?:^|[^\p{L}])(?:ltd|limited|plc|pvt)\.?$/iu;
/** A listed name that says the issuer is a company abroad: a depositary receipt or a legal form of another country. */
const NON_US_FORM =
  /(?:^|[^\p{L}])(?:ltd|limited|plc|p\.l\.c|ag|sa|s\.a|nv|n\.v|se|asa|oyj|spa|s\.p\.a|adrs?|ads|sponsored|depositary)(?![\p{L}])/iu;
/** A hashtag written in CamelCase ("#CharlesSchwab", "#AnheuserBuschInBev"): a name with its spaces taken out. */
const CAMEL_CASE = /^[A-Z][A-Za-z0-9&]*[a-z0-9][A-Z][A-Za-z0-9&]*$/;
/** A country written after a company's name ("Rocket Lab USA"): the company. */
const COUNTRY_AFTER = / (?:usa|us|u s a|u s)$/;

const KIND_OF_TYPE: Readonly<Record<string, EntityKind>> = { ORG: "instrument", TICKER: "instrument", PERSON: "person", LOCATION: "place" };
/** "the " just before a mention. */
const ARTICLE_BEFORE = /(?:^|[^\p{L}])the\s+$/iu;
const TICKER_SHAPE = /^[A-Za-z][A-Za-z0-9]{0,5}(?:[.-][A-Za-z]{1,2})?$/;
/** An alias written like a ticker (another share class's symbol: GOOG for Alphabet's GOOGL). */
const TICKER_ALIAS = /^[A-Z][A-Z0-9]{0,5}(?:[.-][A-Z]{1,2})?$/;
/** Words a short name may not end on ("Bank of …"). */
const DANGLING = new Set(["of", "and", "&", "the", "for", "de", "la", "du"]);
const TYPE_SLOT: Readonly<Record<string, number>> = { ORG: 0, TICKER: 1, PERSON: 2, LOCATION: 3 };
/** Resolutions that did not read the context are memoised per (text, type, sigil), for up to this many texts. */
const CACHE_LIMIT = 50_000;
/**
 * A symbol in brackets, after a name or an exchange: "Vonage Holdings (VG)", "(NYSE:CUB)", "Exxon Mobil Corp <XOM.N>".
 * Groups: exchange prefix, symbol, Reuters exchange code.
 */
const BRACKETED_SYMBOL = /[(<]\s*(?:([A-Za-z][A-Za-z ]{0,14}):\s*)?([A-Z][A-Z0-9]{0,5})(?:[.-]([A-Z0-9]{1,3}))?\s*[)>]/g;
/** The same, right after a mention. */
const BRACKET_AFTER = /^\s*[(<]\s*(?:([A-Za-z][A-Za-z ]{0,14}):\s*)?([A-Z][A-Z0-9]{0,5})(?:[.-]([A-Z0-9]{1,3}))?\s*[)>]/;
/** Reuters codes and exchange prefixes of US venues; any other says the bracketed symbol is a listing abroad. */
const US_VENUE = /^(?:N|O|OQ|A|P|K|PK|OB|nyse|nasdaq|amex|nyse american|nyse arca|otc|cboe)$/i;
/** Words of a name written before a bracketed symbol that do not tell one company from another. */
const UNINFORMATIVE = new Set([
  "company",
  "companies",
  "corporation",
  "corp",
  "inc",
  "incorporated",
  "ltd",
  "limited",
  "plc",
  "llc",
  "lp",
  "shares",
  "stock",
  "class",
  "common",
  "ordinary",
  "adr",
  "ads",
]);
/** A capitalised word or a connector inside a company name, for the name written before a bracketed symbol. */
const NAME_TOKEN = /^(?:[\p{Lu}\p{N}][\p{L}\p{N}&'’.-]*|&|of|and|de|the|y|e|et|und|van|von|der|den|del|da|di|du|la|le)$/u;

/** What one text says, computed once per text and only when a rule asks. */
interface ContextFacts {
  raw: string;
  foreign?: boolean;
  /** The text in lower case when it is all ASCII, else null. */
  lower?: string | null;
  /** Upper-case symbols written as $cashtags. */
  cashtags?: ReadonlySet<string>;
  /** Bracketed symbols → the capitalised names written just before each bracket (maybe empty). */
  brackets?: ReadonlyMap<string, string[]>;
}

interface Entry {
  e: RegistryEntity;
  /** Normalised names that, found in a text, say this entity is meant: multi-word aliases and distinctive single words. */
  names: string[];
  /** Upper-case tickers: its own and other share classes' listed as aliases. */
  tickers: string[];
  /** Every normalised name and alias. */
  all: string[];
  /** Normalised names and aliases that are not symbols: a bare ticker equal to one of these is the company's name. */
  own: Set<string>;
  /** The distinctive words of its names (not generic ones), built on first use: does a written name share one? */
  words?: Set<string>;
  /** Its symbol, when the symbol spells the initials of a name of three words or more (JLL: Jones Lang LaSalle). */
  initials?: string;
  /** Its listed names say it is a company abroad (an ADR, "Nokia Oyj", "Dr. Reddy's Laboratories Ltd"). */
  abroad: boolean;
}

/**
 * Maps a model's mention to one registry entity (issue 20). Built once per registry version: every lookup is a Map
 * probe, and what did not depend on the context is memoised; only an uncertain mention (a ticker that is also a word,
 * a short name several companies share) reads its context.
 */
export class EntityResolver {
  readonly version: number;
  private readonly byTicker = new Map<string, Entry>();
  /** Names and aliases, normalised, per kind: exact matches. */
  private readonly exact: Record<EntityKind, Map<string, Entry[]>> = { instrument: new Map(), person: new Map(), place: new Map() };
  /** First word(s) of a multi-word instrument name ("Goldman Sachs Group" → "goldman"); several entities may share one. */
  private readonly short = new Map<string, Entry[]>();
  /** Context-free answers by mention text, then by TYPE_SLOT × sigil (none, $, #). */
  private readonly cache = new Map<string, Resolution[]>();
  private normalisedContext: { raw: string; norm: string } = { raw: "", norm: "  " };
  private shoutingContext: { raw: string; shouting: boolean } = { raw: "", shouting: false };
  private facts: ContextFacts = { raw: "" };
  /** Multi-word names and short names with their spaces taken out, for CamelCase hashtags; built on first use. */
  private compact: { exact: Map<string, Entry[]>; short: Map<string, Entry[]> } | null = null;

  constructor(snapshot: RegistrySnapshot) {
    this.version = snapshot.version;
    for (const e of snapshot.entities) {
      const tickers = new Set<string>();
      if (e.ticker) tickers.add(e.ticker.toUpperCase());
      if (e.kind === "instrument") for (const a of e.aliases) if (TICKER_ALIAS.test(a)) tickers.add(a);
      // A listing's security name also answers to its company's ("Hooli Inc. Class A Common Stock" → "hooli").
      const written = e.kind === "instrument" ? [e.name, ...e.aliases].flatMap((n) => [n, companyOfSecurity(n)]) : [e.name, ...e.aliases];
      // "Dr. Reddy's Laboratories" is also written "Dr. Reddys": the possessive inside a name, without its apostrophe.
      if (e.kind === "instrument")
        for (const n of [...written]) if (/\p{L}['’]s\b/u.test(n)) written.push(n.replace(/(\p{L})['’]s\b/gu, "$1s"));
      const all = [...new Set(written.map(normaliseAlias).filter((a) => a.length >= 1))];
      const ownWritten = written.filter((n) => !(e.kind === "instrument" && n !== e.name && TICKER_ALIAS.test(n)));
      const own = new Set(ownWritten.map(normaliseAlias));
      const raw = e.kind === "instrument" ? [e.name, ...e.aliases].filter((a) => !TICKER_ALIAS.test(a) || a === e.name) : [];
      const abroad = raw.some((n) => NON_US_FORM.test(n));
      const entry: Entry = {
        e,
        tickers: [...tickers],
        names: all.filter(distinctive),
        all,
        own,
        abroad,
      };
      if (e.kind === "instrument" && e.ticker && e.ticker.length >= 3) {
        const initials = initialsOf(companyOfSecurity(e.name));
        if (initials.some((i) => i === e.ticker)) entry.initials = e.ticker;
      }
      for (const t of tickers) if (!this.byTicker.has(t)) this.byTicker.set(t, entry);
      for (const a of all) push(this.exact[e.kind], a, entry);
      if (e.kind === "instrument") {
        const shorts = new Set<string>();
        for (const a of all) for (const s of shortNames(a)) shorts.add(s);
        for (const s of shorts) push(this.short, s, entry);
      }
    }
    // A short name shared by a company and its offshoots ("Goldman": Goldman Sachs, Goldman Sachs BDC, …) is the
    // company's: the one candidate whose full name every other candidate's name extends.
    for (const [s, list] of this.short) {
      if (list.length < 2) continue;
      const parents = list.filter((p) => p.all.some((n) => list.every((c) => c === p || c.all.some((o) => o.startsWith(`${n} `)))));
      if (parents.length === 1) this.short.set(s, parents);
    }
  }

  resolveAll(mentions: MentionIn[], context: string): Resolution[] {
    const out = new Array<Resolution>(mentions.length);
    for (let i = 0; i < mentions.length; i++) out[i] = this.resolve(mentions[i]!, context);
    return out;
  }

  resolve(m: MentionIn, context: string): Resolution {
    const kind = KIND_OF_TYPE[m.type];
    if (!kind) return { key: entityKey(m.type, m.text), entityId: null, candidates: [], rule: "not_watchable" };
    const first = m.text.charAt(0);
    const sigil = first === "$" || first === "#" ? first : kind === "instrument" ? sigilBefore(context, m) : "";
    // An all-caps text changes what a bare upper-case word means, so it gets its own memo slots.
    const slot = (TYPE_SLOT[m.type]! * 3 + (sigil === "$" ? 1 : sigil === "#" ? 2 : 0)) * 2 + (this.shouting(context) ? 1 : 0);
    // A bracketed symbol ("Vonage Holdings (VG)", "Exxon Mobil Corp <XOM.N>") makes the answer depend on the text.
    const bracketed = kind === "instrument" && this.bracketed(m, context);
    let memo = this.cache.get(m.text);
    const cached = bracketed ? undefined : memo?.[slot];
    if (cached) return cached;
    const r = this.decide(m, kind, sigil, context);
    if (r.memo && !bracketed) {
      if (!memo) {
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        memo = [];
        this.cache.set(m.text, memo);
      }
      memo[slot] = r.res;
    }
    return r.res;
  }

  /**
   * Registered tickers written in the text as $XYZ / #XYZ (or bare XYZ where the context rule allows, as in
   * `resolve`) that no given span covers: mentions the model missed.
   */
  findTickerMentions(context: string, covered: readonly { start: number; end: number }[]): MentionIn[] {
    // A hand-written scan (this runs on every item): candidates start at "$", "#" or an upper-case letter that does not
    // continue a word, and are looked up only when shaped like a ticker.
    const out: MentionIn[] = [];
    const n = context.length;
    let shouting: boolean | undefined;
    for (let i = 0; i < n; i++) {
      const c = context.charCodeAt(i);
      const sig = c === 36 || c === 35;
      if (!sig && !(c >= 65 && c <= 90)) continue;
      if (i > 0 && blocksTicker(context, i - 1)) continue;
      const symStart = sig ? i + 1 : i;
      let j = symStart;
      while (j < n && isAsciiAlnum(context.charCodeAt(j))) j++;
      const run = j - symStart;
      if (run === 0 || !isAsciiLetter(context.charCodeAt(symStart))) continue;
      let end = j;
      const sep = context.charCodeAt(j);
      if (sep === 46 || sep === 45) {
        let k = j + 1;
        while (k < n && k - j <= 3 && isAsciiLetter(context.charCodeAt(k))) k++;
        if (k - j - 1 >= 1 && k - j - 1 <= 2 && !isWordChar(context, k)) end = k;
      }
      i = end - 1;
      if (run > 6 || isWordChar(context, end)) continue;
      const next = context.charCodeAt(end);
      if ((next === 46 || next === 45) && isWordChar(context, end + 1)) continue;
      const sym = context.slice(symStart, end);
      if (!sig && sym !== sym.toUpperCase()) continue;
      if (!this.byTicker.has(sym.toUpperCase())) continue;
      const start = sig ? symStart - 1 : symStart;
      if (covered.some((v) => v.start < end && start < v.end)) continue;
      const m: MentionIn = { type: "TICKER", text: context.slice(start, end), start, end };
      if (!sig) {
        shouting ??= isShouting(context);
        if (shouting || !this.resolve(m, context).entityId) continue;
      }
      out.push(m);
    }
    return out;
  }

  /**
   * A name span cut short inside a registered name: the model often tags one word of a multi-word name on its own, or
   * splits it between types ("Woodgrove" LOCATION + "Retail" ORG in "Woodgrove Retail shares plunge"), and keyed by
   * its text such a word ("ORG:retail") would gather every "Retail" of every company. Looks at the run of capitalised
   * words around the span (up to ENCLOSING_WORDS on each side, joined only by spaces) and returns the longest part of
   * it that holds the span and resolves to a registered entity, as an ORG unless it resolves with the span's own type;
   * failing that, the capitalised words a span that runs on into the sentence starts with. Null when none resolves (the
   * mention then keys as before). Only for PERSON / ORG / LOCATION spans that do not resolve on their own.
   */
  resolveEnclosing(m: MentionIn, context: string): { mention: MentionIn; resolution: Resolution } | null {
    if (!(m.type in NAME_KIND)) return null;
    const words = wordsAround(context, m.start, m.end);
    if (!words) return null;
    const { list, first, last } = words;
    const own = last - first + 1;
    const types = m.type === "ORG" ? ["ORG"] : [m.type, "ORG"];
    // Longest runs first; among equally long ones, the leftmost. The span's own words are tried again only as ORG, and
    // only for two words or more ("Woodgrove Retail" read as LOCATION; a lone "Georgia" stays a place).
    for (let len = list.length; len >= own; len--) {
      const tried = len > own ? types : m.type !== "ORG" && own > 1 ? ["ORG"] : [];
      for (let i = Math.max(0, last - len + 1); i <= first && i + len <= list.length; i++) {
        const found = this.firstResolving(list[i]!.start, list[i + len - 1]!.end, tried, context);
        if (found) return found;
      }
    }
    // A span run on past the name into the sentence ("Northwind Motors suspends its dividend #NWM"): the capitalised
    // words before its first lower-case word (other than "of", "and", …), when they resolve.
    const inner = list.slice(first, last + 1);
    if (!inner[0]!.cap) return null;
    let cut = inner.findIndex((w, i) => i > 0 && !w.cap && !DANGLING.has(context.slice(w.start, w.end).toLowerCase()));
    while (cut > 1 && !inner[cut - 1]!.cap) cut--;
    return cut > 0 ? this.firstResolving(inner[0]!.start, inner[cut - 1]!.end, types, context) : null;
  }

  /** The span [start, end) of `context` as the first of `types` it resolves to a registered entity with, if any. */
  private firstResolving(
    start: number,
    end: number,
    types: readonly string[],
    context: string,
  ): { mention: MentionIn; resolution: Resolution } | null {
    const text = context.slice(start, end);
    for (const type of types) {
      const mention = { type, text, start, end };
      const resolution = this.resolve(mention, context);
      if (resolution.entityId) return { mention, resolution };
    }
    return null;
  }

  private decide(m: MentionIn, kind: EntityKind, sigil: string, context: string): { res: Resolution; memo: boolean } {
    // A hashtag the model typed TICKER keys like the cashtag it stands for ("#XYZ" → TICKER:XYZ).
    const legacy = entityKey(m.type, m.type === "TICKER" ? m.text.replace(/^#/, "$") : m.text);
    const miss = (rule: string, candidates: Entry[] = [], memo = true) => ({
      res: freeze({ key: legacy, entityId: null, candidates: candidates.map((c) => c.e.id), rule }),
      memo,
    });
    const hit = (c: Entry, rule: string, memo = true) => ({
      res: freeze({ key: canonicalKey(c.e.id), entityId: c.e.id, candidates: [], rule }),
      memo,
    });
    const text = m.text.trim();
    const bare = text.replace(/^[$#]/, "").replace(/['’]s$/i, "");
    const first = text.charAt(0);

    if (kind === "instrument" && TICKER_SHAPE.test(bare)) {
      const upper = bare === bare.toUpperCase();
      const t = this.byTicker.get(bare.toUpperCase());
      if (t) {
        // The text writes this symbol in brackets after a name: the company it names decides. Another company's name
        // ("$VG - Vonage Holdings (VG)", "Cubic Corporation (NYSE:CUB)") means the symbol has changed hands (or is a
        // listing abroad), and the mention is not the registry's holder of it.
        const named = this.bracketVerdict(t, bare.toUpperCase(), context);
        if (named === "other") return miss("symbol_of_other_name", [t], false);
        if (sigil === "$") return hit(t, "cashtag", named === null);
        if (named === "this") return hit(t, "ticker_with_name", false);
        const macro = MACRO_ACRONYMS.has(bare.toUpperCase());
        if (upper || sigil === "#") {
          // A ticker that is also a word or a macro acronym, or any upper-case word in an all-caps text, needs support.
          // "the RBC newspaper", "The RBA turns": an institution's acronym, not a symbol (tickers take no article).
          const article =
            sigil === "" && context.startsWith(m.text, m.start) && ARTICLE_BEFORE.test(context.slice(Math.max(0, m.start - 5), m.start));
          // Written bare, a symbol is the company only when it is also the company's name (UBS, SAP, HSBC) or the
          // words around it say "security": otherwise an upper-case word is more often something else (the 737
          // MAX, BMI, an exchange code, a source credit, an Indian company whose symbol a US issuer holds).
          // A #hashtag is a topic tag ("#GS #Stock" on GS Acquisition, "#BAX" for Montreal's futures): it counts
          // like the bare symbol, not like a $cashtag.
          const ownName = t.own.has(bare.toLowerCase());
          const strict = macro || bare.length <= 2 || isWordLikeTicker(bare) || article || this.shouting(context);
          if (ownName && !strict) return hit(t, sigil === "#" ? "hashtag" : "bare_ticker");
          const aligned = sigil === "" && upper && context.startsWith(m.text, m.start);
          // A symbol that spells its company's initials (JLL, NYT, AMD) is the name news writes for it; not in a text
          // about a market abroad, where the initials are more often a local company's.
          // Not when a capitalised word follows: the initials then start another name ("TME Pharma", "STG Football").
          if (t.initials === bare.toUpperCase() && !strict && !this.foreign(context) && !this.startsName(m, context))
            return hit(t, sigil === "#" ? "hashtag" : "initials", false);
          // A two-letter name in capitals (BP, GM) is the company when the words after it say it acts or reports.
          if (ownName && aligned && bare.length === 2 && !macro && !isWordLikeTicker(bare) && !article && !this.shouting(context)) {
            const after = context.slice(m.end, m.end + 40);
            if (!this.foreign(context) && (CORPORATE_CONTEXT_AFTER.test(after) || WORD_NAME_CONTEXT_AFTER.test(after)))
              return hit(t, "name_in_context", false);
          }
          // The symbol is one company's, the name another's (HP: Helmerich & Payne's symbol, HP Inc.'s name): the
          // name's company when the text names it otherwise ($HPQ), or when the words after it say a company speaks
          // ("LPL says", "HP told"), and the text does not name the symbol's.
          if (!ownName && aligned && !macro && !isWordLikeTicker(bare) && !this.shouting(context)) {
            const low = bare.toLowerCase();
            const byName = this.exact.instrument.get(low);
            const byShort = this.short.get(low);
            const c = byName?.length === 1 && byName[0]!.own.has(low) ? byName[0]! : !byName && byShort?.length === 1 ? byShort[0]! : null;
            if (c && c !== t && !this.namedIn(t, low, context) && !this.foreign(context)) {
              if (this.namedIn(c, low, context) || CORPORATE_CONTEXT_AFTER.test(context.slice(m.end, m.end + 40)))
                return hit(c, "name_over_symbol", false);
            }
          }
          // In a text about a market abroad, a verb before a symbol is not enough ("Sell SAIL … Rs 77.5").
          const foreign = !ownName && this.foreign(context);
          if (this.supportsTicker(t, m, context, macro || bare.length === 1 || this.shouting(context) || foreign))
            return hit(t, sigil === "#" ? "hashtag" : "ticker_in_context", false);
          const why = macro
            ? "macro_acronym"
            : isWordLikeTicker(bare)
              ? "common_word_ticker"
              : sigil === "#"
                ? "hashtag"
                : "unsupported_ticker";
          return miss(why, [t], false);
        }
      } else if (sigil === "$" || (sigil === "#" && upper)) {
        // An unregistered $XYZ (an index, a coin, an OTC symbol) is not a name: never fall back to name matching.
        return miss("unknown_ticker");
      } else if (upper && MACRO_ACRONYMS.has(bare.toUpperCase())) {
        // Jargon in capitals ("NFT marketplace", "SPAC") is not the company whose name it spells.
        return miss("macro_acronym");
      }
    }

    if (kind === "instrument" && (first === "#" || sigil === "#") && CAMEL_CASE.test(bare)) {
      const r = this.camelHashtag(bare, context);
      if (r) return r;
    }
    const norm = normaliseAlias(bare);
    if (norm.length === 0) return miss("unknown");
    if (kind === "instrument" && MARKET_NAMES.has(norm) && !hasLegalSuffix(bare)) {
      // "Nasdaq", "Dow", "S&P" alone are markets; the company only when the text also names it otherwise.
      const list = [...(this.exact.instrument.get(norm) ?? []), ...(this.short.get(norm) ?? [])];
      if (list.length === 0) return miss("unknown");
      return this.disambiguate(list, norm, context) ?? miss("market_name", list, false);
    }
    const suffixed = hasLegalSuffix(bare);
    let abroad = false;
    if (kind === "instrument") {
      // "Exxon Mobil Corp <XOM.N>", "Kohl's (KSS)": a name followed by a registered symbol is that company when they
      // share a word; a Reuters code of an exchange abroad ("Edison <EDN.MI>") says the company is not a US listing.
      const b = context.startsWith(m.text, m.start) ? BRACKET_AFTER.exec(context.slice(m.end, m.end + 24)) : null;
      if (b) {
        // A company listed abroad and in the US under one symbol ("Equinor <EQNR.OL>") is the US listing too.
        const t = this.byTicker.get(`${b[2]}.${b[3]}`) ?? this.byTicker.get(b[2]!);
        if (t && this.sharesWord(t, norm)) return hit(t, "name_with_ticker", false);
        const venue = b[3] ?? b[1];
        abroad = venue !== undefined && !US_VENUE.test(venue.trim());
      }
    }
    // A one-word name that is an ordinary word or a name many firms share ("Target", "News", "Benchmark", "Polaris")
    // resolves only with support from the text, never bare (and never in capitals alone: "BBG NEWS", "SOUND ON").
    const wordLike = kind === "instrument" && !suffixed && isWordLikeName(norm);
    const exact = this.exact[kind].get(norm);
    if (exact?.length === 1) {
      // "Pfizer Ltd" is not Pfizer Inc.: a legal form of another country than the listed one's names a namesake.
      if (kind === "instrument" && !exact[0]!.abroad && COMMONWEALTH_FORM.test(bare)) return miss("foreign_namesake", exact);
      if (!wordLike) return hit(exact[0]!, "alias");
      return this.wordSupported(exact[0]!, m, norm, context, abroad)
        ? hit(exact[0]!, "word_name_in_context", false)
        : miss("word_name", exact, false);
    }
    if (exact && exact.length > 1) return this.disambiguate(exact, norm, context) ?? miss("ambiguous", exact, false);
    // A short name is for a name written short: not an acronym in capitals ("ECB", "GMR"), not a name written with its
    // legal form ("Delta Corp" is not Delta Air Lines).
    if (kind === "instrument" && !(TICKER_SHAPE.test(bare) && bare === bare.toUpperCase()) && !suffixed) {
      const short = this.short.get(norm);
      if (short?.length === 1) {
        // A short name is weak evidence: a word-like one needs support, and none counts in a text about a market
        // abroad or one whose $cashtags are all another company's ("$NEPT - Neptune's …").
        const c = short[0]!;
        if (wordLike)
          return this.wordSupported(c, m, norm, context, abroad) ? hit(c, "word_name_in_context", false) : miss("word_name", short, false);
        if (abroad || this.foreign(context)) {
          // A company abroad that also lists in the US ("Nokia <NOKIA.HE>", an ADR) is its US listing.
          if (c.abroad) return hit(c, "foreign_listing", false);
          return this.namedIn(c, norm, context) ? hit(c, "context", false) : miss("foreign_context", short, false);
        }
        const tags = this.cashtags(context);
        if (tags.size > 0 && !c.tickers.some((x) => tags.has(x))) return miss("other_cashtag", short, false);
        return hit(c, "short_name", false);
      }
      if (short && short.length > 1) return this.disambiguate(short, norm, context) ?? miss("ambiguous", short, false);
      // "Rocket Lab USA": a company's name with its country written after it.
      if (COUNTRY_AFTER.test(norm)) {
        const name = norm.replace(COUNTRY_AFTER, "");
        const list = this.exact.instrument.get(name);
        if (list?.length === 1 && name.includes(" ") && !isWordLikeName(name) && !this.foreign(context))
          return hit(list[0]!, "alias_with_country", false);
      }
    }
    return miss("unknown");
  }

  /**
   * "#CharlesSchwab", "#AnheuserBuschInBev": a CamelCase hashtag is a name with its spaces taken out. It resolves like
   * the name written out: one company's full name, or one company's short name (not in a text about a market abroad,
   * nor one whose $cashtags are all another company's). Null when it names none.
   */
  private camelHashtag(bare: string, context: string): { res: Resolution; memo: boolean } | null {
    const spaced = normaliseAlias(bare.replace(/(?<=[a-z0-9])(?=[A-Z])/g, " "));
    if (!spaced.includes(" ")) return null;
    const key = spaced.replace(/ /g, "");
    const idx = (this.compact ??= this.buildCompact());
    const done = (c: Entry, memo: boolean) => ({
      res: freeze({ key: canonicalKey(c.e.id), entityId: c.e.id, candidates: [], rule: "hashtag_name" }),
      memo,
    });
    const exact = idx.exact.get(key);
    if (exact?.length === 1) return done(exact[0]!, true);
    if (exact && exact.length > 1) return this.disambiguate(exact, spaced, context);
    const short = idx.short.get(key);
    if (short?.length !== 1) return short ? this.disambiguate(short, spaced, context) : null;
    const c = short[0]!;
    if (this.foreign(context) && !c.abroad && !this.namedIn(c, spaced, context)) return null;
    const tags = this.cashtags(context);
    if (tags.size > 0 && !c.tickers.some((x) => tags.has(x))) return null;
    return done(c, false);
  }

  private buildCompact(): { exact: Map<string, Entry[]>; short: Map<string, Entry[]> } {
    const exact = new Map<string, Entry[]>();
    const short = new Map<string, Entry[]>();
    // Only names of several words, not all of them generic ("real estate") and not a place ("new york").
    const named = (k: string) =>
      k.includes(" ") && !PLACE_PHRASES.has(k) && k.split(" ").some((w) => !GENERIC_NAME_WORD_SET.has(w) && !DANGLING.has(w));
    for (const [k, list] of this.exact.instrument) if (named(k)) for (const c of list) push(exact, k.replace(/ /g, ""), c);
    for (const [k, list] of this.short) if (named(k)) for (const c of list) push(short, k.replace(/ /g, ""), c);
    return { exact, short };
  }

  /** Per-text facts, recomputed when the text changes (resolveAll passes one text for all its mentions). */
  private factsOf(context: string): ContextFacts {
    if (this.facts.raw !== context) this.facts = { raw: context };
    return this.facts;
  }

  private foreign(context: string): boolean {
    const f = this.factsOf(context);
    return (f.foreign ??= FOREIGN_MARKET.test(context));
  }

  private cashtags(context: string): ReadonlySet<string> {
    const f = this.factsOf(context);
    if (!f.cashtags) {
      const tags = new Set<string>();
      if (context.includes("$")) {
        for (const x of context.matchAll(/\$([A-Za-z][A-Za-z0-9]{0,5})(?:\.([A-Za-z]{1,2}))?(?![A-Za-z0-9])/g)) {
          tags.add(x[1]!.toUpperCase());
          if (x[2]) tags.add(`${x[1]}.${x[2]}`.toUpperCase());
        }
      }
      f.cashtags = tags;
    }
    return f.cashtags;
  }

  private brackets(context: string): ReadonlyMap<string, string[]> {
    const f = this.factsOf(context);
    if (!f.brackets) {
      const map = new Map<string, string[]>();
      if (context.includes("(") || context.includes("<")) {
        for (const x of context.matchAll(BRACKETED_SYMBOL)) {
          const sym = x[3] && this.byTicker.has(`${x[2]}.${x[3]}`) ? `${x[2]}.${x[3]}` : x[2]!;
          push(map, sym, nameBefore(context, x.index));
        }
      }
      f.brackets = map;
    }
    return f.brackets;
  }

  /** Does the text write this mention's symbol in brackets, or put a bracketed symbol right after this mention? */
  private bracketed(m: MentionIn, context: string): boolean {
    const b = this.brackets(context);
    if (b.size === 0) return false;
    const sym = m.text
      .replace(/^[$#]/, "")
      .replace(/['’]s$/i, "")
      .toUpperCase();
    return b.has(sym) || (context.startsWith(m.text, m.start) && BRACKET_AFTER.test(context.slice(m.end, m.end + 24)));
  }

  /**
   * The names written before the symbol's brackets: "this" when one shares a word with the entity's names, "other"
   * when names are written but none does, null when the symbol is not bracketed after a name.
   */
  private bracketVerdict(t: Entry, sym: string, context: string): "this" | "other" | null {
    const names = this.brackets(context).get(sym);
    if (!names) return null;
    let other = false;
    const symbol = ` ${sym.toLowerCase()} `;
    for (const n of names) {
      if (!n) continue;
      // "AMD <AMD.O>": the symbol written as the name.
      if (this.sharesWord(t, n) || ` ${n} `.includes(symbol)) return "this";
      // "Wells Fargo & Company (WFC)" cut to "Company", "Shares (XYZ)": only generic words say nothing.
      if (n.split(" ").every((w) => GENERIC_NAME_WORD_SET.has(w) || UNINFORMATIVE.has(w))) continue;
      other = true;
    }
    return other ? "other" : null;
  }

  /**
   * Does a normalised written name contain one of the entity's names, or share a word with them that is not a generic
   * one? ("calculation for american airlines" names American Airlines; "saic gm wuling" does not name General Motors.)
   */
  private sharesWord(t: Entry, norm: string): boolean {
    if (!norm) return false;
    if (!t.words) {
      t.words = new Set<string>();
      // Not a lone letter ("dillard s" from "Dillard's"; "lgc s drug …" must not share it).
      for (const n of t.all)
        for (const w of n.split(" ")) if (w.length > 1 && !GENERIC_NAME_WORD_SET.has(w) && !DANGLING.has(w)) t.words.add(w);
    }
    for (const w of norm.split(" ")) if (t.words.has(w)) return true;
    const padded = ` ${norm} `;
    return t.all.some((n) => padded.includes(` ${n} `));
  }

  /** A word-like one-word name counts when the text names the company otherwise or the words after it say "company". */
  private wordSupported(c: Entry, m: MentionIn, norm: string, context: string, abroad: boolean): boolean {
    if (this.namedIn(c, norm, context)) return true;
    if (abroad || this.foreign(context) || this.shouting(context) || !context.startsWith(m.text, m.start)) return false;
    if (m.text === m.text.toUpperCase()) return false;
    return WORD_NAME_CONTEXT_AFTER.test(context.slice(m.end, m.end + 40));
  }

  /**
   * Is the mention followed by a capitalised word that is not a legal form or a title ("TME Pharma", but not "JLL CEO"
   * or "AEO Inc."), or by an exchange code abroad ("APT.AX")?
   */
  private startsName(m: MentionIn, context: string): boolean {
    if (!context.startsWith(m.text, m.start)) return false;
    // "APT.AX", "SLF.TO": a listing abroad.
    const venue = /^\.([A-Z]{1,2})(?![A-Za-z])/.exec(context.slice(m.end, m.end + 4));
    if (venue && !US_VENUE.test(venue[1]!)) return true;
    const next = /^[ \t]+([\p{Lu}][\p{L}\p{N}&'’.-]*)/u.exec(context.slice(m.end, m.end + 32));
    if (!next) return false;
    const w = next[1]!;
    return !hasLegalSuffix(`x ${w}`) && !CORPORATE_CONTEXT_AFTER.test(` ${w}`) && !/^[A-Z]\.[A-Z]\.?$/.test(w);
  }

  private shouting(context: string): boolean {
    if (this.shoutingContext.raw !== context) this.shoutingContext = { raw: context, shouting: isShouting(context) };
    return this.shoutingContext.shouting;
  }

  /**
   * A bare ticker that is also a word counts when the words around it say "stock", or the company is named too. Strict
   * (a macro acronym, a single letter, an all-caps text): only "shares"/"stock"/"options" after it or an exchange
   * prefix before it, not a verb of movement ("UK infections jump", "VS RISE OF"), and never an initial ("W. D.").
   */
  private supportsTicker(t: Entry, m: MentionIn, context: string, strict: boolean): boolean {
    const bare = m.text.replace(/^[$#]/, "").replace(/['’]s$/i, "");
    const aligned = context.startsWith(m.text, m.start);
    if (aligned) {
      const after = context.slice(m.end, m.end + 24);
      const before = context.slice(Math.max(0, m.start - 24), m.start);
      if (m.end - m.start <= 2 && /^\.\s?[A-Z]/.test(after)) return false;
      // "TV stocks", "Oil stocks": a sector, not the symbol's company.
      const sector = /^\s*stocks(?![a-z])/i.test(after) && (bare.length <= 2 || isWordLikeTicker(bare));
      if (sector) return this.namedIn(t, bare.toLowerCase(), context);
      if (
        strict
          ? TICKER_WORDS_AFTER.test(after) || TICKER_WORDS_BEFORE.test(before)
          : TICKER_CONTEXT_AFTER.test(after) ||
            TICKER_CONTEXT_BEFORE.test(before) ||
            TICKER_VERB_BEFORE.test(before) ||
            BROKER_BEFORE.test(before)
      ) {
        return true;
      }
      // "Hooli Inc. (HOOL)": a symbol in brackets of its own.
      if (!strict && before.endsWith("(") && after.startsWith(")")) return true;
    }
    // Named otherwise in the text: the mention itself does not count.
    return this.namedIn(t, bare.toLowerCase(), context);
  }

  /** The one candidate whose longer name (or $ticker) also appears in the text, if exactly one does. */
  private disambiguate(candidates: Entry[], norm: string, context: string): { res: Resolution; memo: boolean } | null {
    let found: Entry | null = null;
    for (const c of candidates) {
      if (!this.namedIn(c, norm, context)) continue;
      if (found) return null;
      found = c;
    }
    if (!found) return null;
    return { res: freeze({ key: canonicalKey(found.e.id), entityId: found.e.id, candidates: [], rule: "context" }), memo: false };
  }

  private namedIn(c: Entry, except: string, context: string): boolean {
    // A $cashtag of one of its symbols; a hashtag does not count ("#UK" next to "UK" is the country).
    const tags = this.cashtags(context);
    if (tags.size > 0 && c.tickers.some((t) => tags.has(t))) return true;
    const names = c.names.filter((n) => n !== except && n.length > except.length);
    if (names.length === 0) return false;
    // The whole text is normalised only when a name's first word is in it at all (an ASCII text's lower case suffices).
    const f = this.factsOf(context);
    f.lower ??= /^[\x00-\x7f]*$/.test(context) ? context.toLowerCase() : null;
    if (f.lower !== null && !names.some((n) => f.lower!.includes(n.slice(0, n.indexOf(" ") >>> 0)))) return false;
    if (this.normalisedContext.raw !== context) this.normalisedContext = { raw: context, norm: ` ${normaliseAlias(context)} ` };
    const text = this.normalisedContext.norm;
    return names.some((n) => text.includes(` ${n} `));
  }
}

/** A name that, found in a text, points at its entity: several words, or one word that is not ordinary English. */
function distinctive(n: string): boolean {
  return n.includes(" ") || (n.length >= 4 && !GENERIC_NAME_WORD_SET.has(n));
}

/**
 * The initials a symbol may spell: of a name's words other than connectors and its legal form, with and without a
 * trailing "Group"/"Holdings" ("Mitsubishi UFJ Financial Group" → MUFG, MUF); only for names of three words or more.
 */
function initialsOf(name: string): string[] {
  const words = name
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}&]+/gu, " ")
    .trim()
    .split(" ")
    .filter((w) => w && !DANGLING.has(w));
  while (
    words.length > 0 &&
    /^(?:inc|incorporated|corp|corporation|co|company|cos|ltd|limited|plc|llc|lp|nv|sa|ag|se)$/.test(words.at(-1)!)
  )
    words.pop();
  const out: string[] = [];
  if (words.length >= 3)
    out.push(
      words
        .map((w) => w.charAt(0))
        .join("")
        .toUpperCase(),
    );
  const core = words.filter((w) => !/^(?:group|holdings?)$/.test(w));
  if (core.length >= 3 && core.length < words.length)
    out.push(
      core
        .map((w) => w.charAt(0))
        .join("")
        .toUpperCase(),
    );
  return out;
}

/** "goldman sachs" → ["goldman"]; "bank of new york mellon" → ["bank of new york"]… never a generic or dangling prefix. */
function shortNames(norm: string): string[] {
  const words = norm.split(" ");
  const out: string[] = [];
  for (let n = 1; n < words.length; n++) {
    const head = words.slice(0, n);
    if (DANGLING.has(head[n - 1]!)) continue;
    if (head.every((w) => GENERIC_NAME_WORD_SET.has(w) || DANGLING.has(w))) continue;
    if (PLACE_PHRASES.has(head.join(" "))) continue;
    if (n === 1 && (head[0]!.length < 3 || GIVEN_NAMES.has(head[0]!))) continue;
    out.push(head.join(" "));
  }
  return out;
}

/** The capitalised name written just before a bracket at `at` ("Vonage Holdings (VG)" → "vonage"), normalised; "" if none. */
function nameBefore(context: string, at: number): string {
  const before = context
    .slice(Math.max(0, at - 80), at)
    .replace(/&amp;/g, "&")
    .trimEnd();
  const tokens = before.split(/\s+/);
  const name: string[] = [];
  for (let i = tokens.length - 1; i >= 0 && name.length < 6; i--) {
    const tok = tokens[i]!.replace(/[,;:]+$/, "");
    // A comma ends the name ("Bain Capital, KKR (KKR)") unless what follows it is only a legal form ("Domo, Inc.").
    if (tok !== tokens[i] && name.length > 0 && normaliseAlias(`x ${name.join(" ")}`) !== "x") break;
    if (!tok || !NAME_TOKEN.test(tok)) break;
    name.unshift(tok);
  }
  while (name.length > 0 && !/^[\p{Lu}\p{N}]/u.test(name[0]!)) name.shift();
  return normaliseAlias(name.join(" "));
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V) {
  const list = map.get(k);
  if (!list) map.set(k, [v]);
  else if (!list.includes(v)) list.push(v);
}

/** "$" or "#" written just before the mention's span (the model often tags "#XYZ" as "XYZ"). */
function sigilBefore(context: string, m: MentionIn): string {
  if (m.start <= 0 || !context.startsWith(m.text, m.start)) return "";
  const c = context.charAt(m.start - 1);
  return c === "$" || c === "#" ? c : "";
}

/** An all-caps text ("FED HOLDS RATES"): its upper-case words are not tickers. Links and tags do not count. */
function isShouting(text: string): boolean {
  let upper = 0;
  let lower = 0;
  for (const ch of text.replace(/https?:\/\/\S+|[#@$]\w+/g, " ")) {
    if (ch >= "A" && ch <= "Z") upper++;
    else if (ch >= "a" && ch <= "z") lower++;
  }
  return upper > 12 && upper > 2 * lower;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isAsciiAlnum(c: number): boolean {
  return isAsciiLetter(c) || (c >= 48 && c <= 57);
}

/** A letter or digit of any script at `at` (false past the end). */
function isWordChar(text: string, at: number): boolean {
  if (at >= text.length) return false;
  const c = text.charCodeAt(at);
  return c < 128 ? isAsciiAlnum(c) : /[\p{L}\p{N}]/u.test(text.charAt(at));
}

/** A character before a candidate that makes it part of something else: a word, "$$", "AT&T", "e-", "U.S", "it's". */
function blocksTicker(text: string, at: number): boolean {
  const c = text.charCodeAt(at);
  return isWordChar(text, at) || c === 36 || c === 35 || c === 38 || c === 46 || c === 39 || c === 0x2019 || c === 45;
}

function freeze(r: Resolution): Resolution {
  return Object.freeze(r) as Resolution;
}

/** The types whose spans `resolveEnclosing` widens (tickers and amounts have fixed forms). */
const NAME_KIND: Readonly<Record<string, true>> = { ORG: true, PERSON: true, LOCATION: true };
/** How many capitalised words on each side of a span `resolveEnclosing` looks at. */
const ENCLOSING_WORDS = 3;
const NAME_WORD = /[\p{L}\p{N}]+(?:['’.&-][\p{L}\p{N}]+)*/gu;
const CAPITALISED = /^[\p{Lu}\p{N}]/u;

/**
 * The words of `context` around [start, end): the span's own words (whatever their case) plus up to ENCLOSING_WORDS
 * capitalised words on each side, each joined to the next by whitespace alone; null when the span holds no word.
 */
function wordsAround(
  context: string,
  start: number,
  end: number,
): { list: { start: number; end: number; cap: boolean }[]; first: number; last: number } | null {
  const lo = Math.max(0, start - 80);
  const hi = Math.min(context.length, end + 80);
  const all: { start: number; end: number; cap: boolean }[] = [];
  for (const w of context.slice(lo, hi).matchAll(NAME_WORD))
    all.push({ start: lo + w.index, end: lo + w.index + w[0].length, cap: CAPITALISED.test(w[0]) });
  let first = all.findIndex((w) => w.end > start);
  let last = all.findLastIndex((w) => w.start < end);
  if (first < 0 || last < first) return null;
  const joined = (a: { end: number }, b: { start: number }) => /^[^\S\n]{1,2}$/.test(context.slice(a.end, b.start));
  let from = first;
  while (from > 0 && first - from < ENCLOSING_WORDS && all[from - 1]!.cap && joined(all[from - 1]!, all[from]!)) from--;
  let to = last;
  while (to < all.length - 1 && to - last < ENCLOSING_WORDS && all[to + 1]!.cap && joined(all[to]!, all[to + 1]!)) to++;
  const list = all.slice(from, to + 1);
  first -= from;
  last -= from;
  return { list, first, last };
}
