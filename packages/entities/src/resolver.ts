import { entityKey } from "@finsentry/schemas";
import { companyOfSecurity, hasLegalSuffix, normaliseAlias } from "./normalise.ts";
import { canonicalKey, type EntityKind, type MentionIn, type RegistryEntity, type RegistrySnapshot, type Resolution } from "./types.ts";
import {
  GENERIC_NAME_WORD_SET,
  GIVEN_NAMES,
  isWordLikeTicker,
  MACRO_ACRONYMS,
  MARKET_NAMES,
  PLACE_PHRASES,
  TICKER_CONTEXT_AFTER,
  TICKER_CONTEXT_BEFORE,
  TICKER_VERB_BEFORE,
  TICKER_WORDS_AFTER,
  TICKER_WORDS_BEFORE,
} from "./words.ts";

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

  constructor(snapshot: RegistrySnapshot) {
    this.version = snapshot.version;
    for (const e of snapshot.entities) {
      const tickers = new Set<string>();
      if (e.ticker) tickers.add(e.ticker.toUpperCase());
      if (e.kind === "instrument") for (const a of e.aliases) if (TICKER_ALIAS.test(a)) tickers.add(a);
      // A listing's security name also answers to its company's ("Hooli Inc. Class A Common Stock" → "hooli").
      const written = e.kind === "instrument" ? [e.name, ...e.aliases].flatMap((n) => [n, companyOfSecurity(n)]) : [e.name, ...e.aliases];
      const all = [...new Set(written.map(normaliseAlias).filter((a) => a.length >= 1))];
      const ownWritten = written.filter((n) => !(e.kind === "instrument" && n !== e.name && TICKER_ALIAS.test(n)));
      const own = new Set(ownWritten.map(normaliseAlias));
      const entry: Entry = { e, tickers: [...tickers], names: all.filter(distinctive), all, own };
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
    let memo = this.cache.get(m.text);
    const cached = memo?.[slot];
    if (cached) return cached;
    const r = this.decide(m, kind, sigil, context);
    if (r.memo) {
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

    if (kind === "instrument" && TICKER_SHAPE.test(bare)) {
      const upper = bare === bare.toUpperCase();
      const t = this.byTicker.get(bare.toUpperCase());
      if (t) {
        if (sigil === "$") return hit(t, "cashtag");
        const macro = MACRO_ACRONYMS.has(bare.toUpperCase());
        if (sigil === "#" && !macro) return hit(t, "hashtag");
        if (upper || sigil === "#") {
          // A ticker that is also a word or a macro acronym, or any upper-case word in an all-caps text, needs support.
          // "the RBC newspaper", "The RBA turns": an institution's acronym, not a symbol (tickers take no article).
          const article =
            sigil === "" && context.startsWith(m.text, m.start) && ARTICLE_BEFORE.test(context.slice(Math.max(0, m.start - 5), m.start));
          // Written bare, a symbol is the company only when it is also the company's name (UBS, SAP, HSBC) or the
          // words around it say "security": otherwise an upper-case word is more often something else (the 737
          // MAX, BMI, an exchange code, a source credit, an Indian company whose symbol a US issuer holds).
          const ownName = t.own.has(bare.toLowerCase());
          const strict = macro || bare.length <= 2 || isWordLikeTicker(bare) || article || this.shouting(context);
          if (ownName && !strict) return hit(t, "bare_ticker");
          if (this.supportsTicker(t, m, context, macro || bare.length === 1 || this.shouting(context)))
            return hit(t, "ticker_in_context", false);
          return miss(macro ? "macro_acronym" : isWordLikeTicker(bare) ? "common_word_ticker" : "unsupported_ticker", [t], false);
        }
      } else if (sigil === "$" || (sigil === "#" && upper)) {
        // An unregistered $XYZ (an index, a coin, an OTC symbol) is not a name: never fall back to name matching.
        return miss("unknown_ticker");
      }
    }

    const norm = normaliseAlias(bare);
    if (norm.length === 0) return miss("unknown");
    if (kind === "instrument" && MARKET_NAMES.has(norm) && !hasLegalSuffix(bare)) {
      // "Nasdaq", "Dow", "S&P" alone are markets; the company only when the text also names it otherwise.
      const list = [...(this.exact.instrument.get(norm) ?? []), ...(this.short.get(norm) ?? [])];
      if (list.length === 0) return miss("unknown");
      return this.disambiguate(list, norm, context) ?? miss("market_name", list, false);
    }
    const exact = this.exact[kind].get(norm);
    if (exact?.length === 1) return hit(exact[0]!, "alias");
    if (exact && exact.length > 1) return this.disambiguate(exact, norm, context) ?? miss("ambiguous", exact, false);
    // A short name is for a name written short: not an acronym in capitals ("ECB", "GMR"), not a name written with its
    // legal form ("Delta Corp" is not Delta Air Lines).
    if (kind === "instrument" && !(TICKER_SHAPE.test(bare) && bare === bare.toUpperCase()) && !hasLegalSuffix(bare)) {
      const short = this.short.get(norm);
      if (short?.length === 1) return hit(short[0]!, "short_name");
      if (short && short.length > 1) return this.disambiguate(short, norm, context) ?? miss("ambiguous", short, false);
    }
    return miss("unknown");
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
      if (
        strict
          ? TICKER_WORDS_AFTER.test(after) || TICKER_WORDS_BEFORE.test(before)
          : TICKER_CONTEXT_AFTER.test(after) || TICKER_CONTEXT_BEFORE.test(before) || TICKER_VERB_BEFORE.test(before)
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
    if (this.normalisedContext.raw !== context) this.normalisedContext = { raw: context, norm: ` ${normaliseAlias(context)} ` };
    const text = this.normalisedContext.norm;
    for (const n of c.names) if (n !== except && n.length > except.length && text.includes(` ${n} `)) return true;
    // A $cashtag of one of its symbols; a hashtag does not count ("#UK" next to "UK" is the country).
    for (const t of c.tickers) if (new RegExp(`\\$${t.replace(".", "\\.")}(?![A-Za-z0-9])`, "i").test(context)) return true;
    return false;
  }
}

/** A name that, found in a text, points at its entity: several words, or one word that is not ordinary English. */
function distinctive(n: string): boolean {
  return n.includes(" ") || (n.length >= 4 && !GENERIC_NAME_WORD_SET.has(n));
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
