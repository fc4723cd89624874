import type { EntityType } from "@finsentry/schemas";
import { LEGAL_SUFFIX } from "./companyName.ts";

export interface Candidate {
  start: number;
  end: number;
  type: EntityType;
}

const SCALE = String.raw`(?:\s?(?:trillion|billion|million|thousand|crores?|lakhs?|tn|bn|mn|mln|m|b|k|cr)\b)?`;
const AMOUNT = String.raw`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`;
const SYMBOL = String.raw`(?:US|C|A|HK|S|NZ|R)?\$|[€£¥₹]`;
const CODE = String.raw`\b(?:USD|EUR|GBP|JPY|CNY|RMB|INR|CHF|CAD|AUD|HKD|SGD|Rs\.?|Rs)`;
const WORD_CURRENCY = String.raw`(?:dollars?|euros?|pounds?(?: sterling)?|yen|yuan|rupees?|francs?|cents?)\b`;

/**
 * MONEY: "$1.2bn", "€300m", "US$ 5 million", "USD 5 million", "Rs 10.4 crore", "5 million dollars", "45 cents".
 * Weak: a bare "$5" price and "$2.5bn" deal size are both MONEY (true), but "Rs 10 crore" without the unit word is
 * still caught only thanks to the code; amounts written in words ("five million dollars") are missed.
 */
const MONEY_RE = new RegExp(
  [
    String.raw`(?<![\p{L}\p{N}])(?:${SYMBOL})\s?(?:${AMOUNT})${SCALE}`,
    String.raw`${CODE}\s?(?:${AMOUNT})${SCALE}`,
    String.raw`(?<![\p{L}\p{N}.,])(?:${AMOUNT})${SCALE}\s${WORD_CURRENCY}`,
  ].join("|"),
  "giu",
);

/** PERCENT: "-3.5%", "+12 %", "3.5 percent", "3.5 per cent", "12 pct". Basis points are not percentages here. */
const PERCENT_RE = /(?<![\p{L}\p{N}.,])[+\-−]?\d+(?:[.,]\d+)?\s?(?:%|percent\b|per cent\b|pct\b)/giu;

/** Cashtags are explicit: "$TSLA", "$BRK.B" → TICKER (the span keeps the "$"). */
const CASHTAG_RE = /(?<![\p{L}\p{N}$])\$[A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?(?![\p{L}\p{N}])/gu;

/** Exchange-qualified symbols are explicit too: "(NYSE: ACME)", "NASDAQ:GLBX", Reuters RICs "<ACME.N>". */
const EXCHANGE_RE = /\b(?:NYSE|NASDAQ|Nasdaq|NYSEARCA|AMEX|TSX|LSE|OTC|NYSE American)\s?:\s?([A-Z]{1,5}(?:\.[A-Z]{1,2})?)\b/g;
const RIC_RE = /<([A-Z]{1,5}\.[A-Z]{1,2})>/g;

function collect(re: RegExp, text: string, type: EntityType, group = 0): Candidate[] {
  const out: Candidate[] = [];
  for (const m of text.matchAll(re)) {
    const g = m[group]!;
    const start = m.index + (group === 0 ? 0 : m[0].indexOf(g));
    out.push({ start, end: start + g.length, type });
  }
  return out;
}

export function moneySpans(text: string): Candidate[] {
  return collect(MONEY_RE, text, "MONEY").map(trimEnd(text));
}

export function percentSpans(text: string): Candidate[] {
  return collect(PERCENT_RE, text, "PERCENT");
}

export function explicitTickerSpans(text: string): Candidate[] {
  return [...collect(CASHTAG_RE, text, "TICKER"), ...collect(EXCHANGE_RE, text, "TICKER", 1), ...collect(RIC_RE, text, "TICKER", 1)];
}

const trimEnd =
  (text: string) =>
  (c: Candidate): Candidate => {
    let end = c.end;
    while (end > c.start && /\s/.test(text[end - 1]!)) end--;
    return { ...c, end };
  };

// PERSON: a role word then a capitalised name of 2-3 words, or an honorific then 1-2 words. The name is the span.
// Weak: Title Case headlines ("CEO Jane Doe Says Sales Rose") rely on NAME_STOP to cut the name; names after other
// cues ("said Jane Doe") and single-word names after a role ("CEO Musk") are missed on purpose (too ambiguous).
const ROLE = String.raw`(?:CEO|CFO|COO|CTO|CIO|Chairman|Chairwoman|Chairperson|Chair|President|Vice President|Chief Executive(?: Officer)?|Chief Financial Officer|Chief Operating Officer|[Ff]ounder|[Cc]o-founder|Governor|Secretary|Senator|Minister|Prime Minister|Director|Managing Director|[Aa]nalyst|[Ee]conomist|[Ss]trategist|[Ii]nvestor|[Bb]illionaire|Commissioner|Treasurer|Chancellor|Judge)`;
const NAME_WORD = String.raw`(?:[A-Z][a-z]+(?:-[A-Z][a-z]+)?|[A-Z]\.|Mc[A-Z][a-z]+|O'[A-Z][a-z]+)`;
const ROLE_NAME_RE = new RegExp(String.raw`\b${ROLE}\s+(${NAME_WORD}(?:\s+${NAME_WORD}){1,2})`, "g");
const HONORIFIC_RE = new RegExp(String.raw`\b(?:Mr|Ms|Mrs|Dr|Sir|Dame)\.?\s+(${NAME_WORD}(?:\s+${NAME_WORD})?)`, "g");
const NAME_APPOSITIVE_RE = new RegExp(
  String.raw`\b(${NAME_WORD}\s+${NAME_WORD}),\s+(?:the\s+)?(?:[Cc]hief [Ee]xecutive|CEO|CFO|[Cc]hairman|[Ff]ounder|[Pp]resident)\b`,
  "g",
);

/** Capitalised words that end a name in Title Case text ("Jane Doe Says …"). */
const NAME_STOP = new Set(
  "Says Said Sees Says, To Is Are Was Will Would Could Should May Might Has Have Had Sells Buys Steps Quits Resigns Joins Named Names Warns Expects Plans Calls Leaves Takes Gets Makes The A An And Or Of In On At For From With As By After Before Over Under About Amid Inc Corp Ltd".split(
    " ",
  ),
);

function cutName(text: string, c: Candidate): Candidate | null {
  const parts = text.slice(c.start, c.end).split(/\s+/);
  let keep = 0;
  while (keep < parts.length && !NAME_STOP.has(parts[keep]!)) keep++;
  if (keep === 0) return null;
  const kept = parts.slice(0, keep).join(" ");
  return { ...c, end: c.start + kept.length };
}

export function personSpans(text: string): Candidate[] {
  const role = collect(ROLE_NAME_RE, text, "PERSON", 1)
    .map((c) => cutName(text, c))
    .filter((c): c is Candidate => c !== null && /\s/.test(text.slice(c.start, c.end)));
  const honorific = collect(HONORIFIC_RE, text, "PERSON", 1)
    .map((c) => cutName(text, c))
    .filter((c): c is Candidate => c !== null);
  const appositive = collect(NAME_APPOSITIVE_RE, text, "PERSON", 1).filter((c) => cutName(text, c)?.end === c.end);
  return [...role, ...honorific, ...appositive];
}

/**
 * ORG by form: 1-3 capitalised words followed by a legal suffix ("Zenith Widgets Inc", "Foo Bank"), or
 * "Bank of <Capitalised>". Weak: in Title Case headlines a preceding capitalised verb can be swallowed
 * ("Buy Zenith Corp"); ORG_LEAD_STOP removes the commonest such words.
 */
const CAP_WORD = String.raw`(?:[A-Z][\p{L}&'.\-]*|\d+[A-Z][\p{L}]*)`;
const ORG_FORM_RE = new RegExp(
  String.raw`\b(${CAP_WORD}(?:\s+${CAP_WORD}){0,2})\s*,?\s+(?:${LEGAL_SUFFIX}|Bank|Capital|Partners|Securities|Financial|Airlines|Motors|Pharmaceuticals|Technologies)(?![\p{L}])`,
  "gu",
);
const BANK_OF_RE = /\bBank of (?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+)?/g;
const ORG_LEAD_STOP = new Set(
  "The A An And Or But As At In On Of For To By With From Buy Sell Hold Why How What When Where Who Shares Stocks Stock Analysts Analyst Says Sees After Before Over Under Amid Investors".split(
    " ",
  ),
);

export function orgFormSpans(text: string): Candidate[] {
  const out: Candidate[] = [];
  for (const m of text.matchAll(ORG_FORM_RE)) {
    let start = m.index;
    const end = start + m[0].length;
    // Drop leading stop words ("The", "Buy", …) from the capitalised run.
    for (;;) {
      const w = /^\S+/.exec(text.slice(start, end))![0];
      if (!ORG_LEAD_STOP.has(w)) break;
      const next = text.slice(start + w.length, end).search(/\S/);
      if (next < 0) break;
      start += w.length + next;
    }
    if (ORG_LEAD_STOP.has(/^\S+/.exec(text.slice(start, end))![0])) continue;
    // The suffix alone is not a name ("Inc" after a stop word only).
    if (start + 1 >= end || !/\s/.test(text.slice(start, end).trim())) continue;
    out.push({ start, end, type: "ORG" });
  }
  for (const m of text.matchAll(BANK_OF_RE)) out.push({ start: m.index, end: m.index + m[0].length, type: "ORG" });
  return out;
}
