import { decodeEntity, foldText } from "./normalize.ts";

/**
 * Finance-aware pre-tokenizer: splits FOLDED text (see normalize.ts) into typed pieces with offsets into the original.
 * Each kind is mapped to vocabulary ids differently by the tokenizer; subword splitting only ever happens to `word`.
 */
export type PreTokenKind = "url" | "cashtag" | "percent" | "number" | "word" | "emoji" | "symbol";

export interface PreToken {
  kind: PreTokenKind;
  /** Normalised form used for vocabulary lookup (digit shapes for numbers, decoded char for `&amp;`). */
  norm: string;
  /** UTF-16 offsets [start, end) into the original text. */
  start: number;
  end: number;
}

// One alternation, tried left to right at each position; whitespace is skipped by the global search.
//  1 url        http(s)://… or www.… (trailing punctuation trimmed below)
//  2 entity     &amp; &#39; &#x27; … (decoded to one symbol)
//  3 cashtag    $TSLA, $BRK.B — a letter must follow "$" so "$1.2bn" stays money
//  4 percent    -3.5%, +12%, 0.25% — sign only when not glued to a preceding letter/digit ("Q3-5%")
//  5 number     1,234.56 — currency symbols and scale words ("$", "bn", "million") become their own tokens
//  6 word       letters then letters/marks/digits ("fy2019", "q3")
//  7 emoji      pictographs with skin-tone/VS16/ZWJ sequences, and flag pairs
//  8 skip       control and format characters (zero-width spaces, BOM)
//  9 symbol     any other single code point
const PRETOKEN_RE = new RegExp(
  [
    String.raw`((?:https?:\/\/|www\.)[^\s]+)`,
    String.raw`(&(?:amp|lt|gt|quot|apos|nbsp|#\d{1,7}|#x[0-9a-f]{1,6});)`,
    String.raw`((?<![\p{L}\p{N}$])\$[a-z]{1,6}(?:[._][a-z]{1,2})?(?![\p{L}\p{N}]))`,
    String.raw`((?<![\p{L}\p{N}.,])[+\-]?\d+(?:[.,]\d+)*%)`,
    String.raw`(\d+(?:[.,]\d+)*)`,
    String.raw`(\p{L}[\p{L}\p{M}\p{N}]*)`,
    String.raw`(\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})*(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})*)*|\p{Regional_Indicator}{2})`,
    String.raw`([\p{Cc}\p{Cf}]+)`,
    String.raw`(\S)`,
  ].join("|"),
  "gu",
);

const URL_TRAILING = /[.,;:!?)\]}'"…]+$/u;
const DIGIT = /\d/g;
const PICTOGRAPH = /^\p{Extended_Pictographic}/u;

/** Digit shape: every digit becomes "0" so "1.2", "3.4" and "9.9" share one vocabulary entry. */
export function numberShape(s: string): string {
  return s.replace(DIGIT, "0");
}

/**
 * Splits folded text into pre-tokens. `folded` must be `foldText(original)` (same length, same indices).
 * `base` shifts offsets when pre-tokenizing a slice.
 */
export function preTokenize(folded: string, base = 0): PreToken[] {
  const out: PreToken[] = [];
  const re = PRETOKEN_RE; // shared: callers never nest preTokenize inside this loop
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(folded)) !== null) {
    const start = m.index;
    let end = start + m[0].length;
    if (m[1] !== undefined) {
      const trimmed = m[1].replace(URL_TRAILING, "");
      if (trimmed.length < m[1].length) {
        end = start + trimmed.length;
        re.lastIndex = end; // re-scan the trimmed punctuation as symbols
      }
      out.push({ kind: "url", norm: "[URL]", start: base + start, end: base + end });
    } else if (m[2] !== undefined) {
      const decoded = decodeEntity(m[2]);
      if (decoded === null || /^\s$/u.test(decoded)) continue; // &nbsp; is just space
      const kind = PICTOGRAPH.test(decoded) ? "emoji" : "symbol";
      out.push({ kind, norm: foldText(decoded), start: base + start, end: base + end });
    } else if (m[3] !== undefined) {
      out.push({ kind: "cashtag", norm: m[3], start: base + start, end: base + end });
    } else if (m[4] !== undefined) {
      out.push({ kind: "percent", norm: numberShape(m[4]), start: base + start, end: base + end });
    } else if (m[5] !== undefined) {
      out.push({ kind: "number", norm: numberShape(m[5]), start: base + start, end: base + end });
    } else if (m[6] !== undefined) {
      out.push({ kind: "word", norm: m[6].replace(DIGIT, "0"), start: base + start, end: base + end });
    } else if (m[7] !== undefined) {
      // "©"/"™" are Extended_Pictographic but behave like punctuation in news text.
      const kind = m[7].length === 1 && m[7].charCodeAt(0) < 0x2000 ? "symbol" : "emoji";
      out.push({ kind, norm: m[7], start: base + start, end: base + end });
    } else if (m[8] !== undefined) {
      continue;
    } else {
      out.push({ kind: "symbol", norm: m[0], start: base + start, end: base + end });
    }
  }
  return out;
}
