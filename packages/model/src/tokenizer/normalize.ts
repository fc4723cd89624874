/**
 * Length-preserving text folding: every UTF-16 unit of the output sits at the same index as in the input, so
 * offsets computed on folded text are offsets into the ORIGINAL text (entity spans depend on this).
 *
 * Casing decision: the vocabulary is UNCASED (lowercased, Latin accents folded). With ~40k labelled texts a cased
 * vocabulary splits "Tesla"/"TESLA"/"tesla" into three sparse embeddings and hurts sentiment/topic; the case signal
 * entities need ("AAPL", "Tim Cook") is kept separately as a per-position case shape (see `caseShape`).
 */

/** Typographic punctuation folded to ASCII so "’"/"'" and "–"/"-" share vocabulary entries. */
const PUNCT_FOLD: Record<string, string> = {
  "\u2018": "'",
  "\u2019": "'",
  "\u201A": "'",
  "\u201B": "'",
  "\u2032": "'",
  "\u201C": '"',
  "\u201D": '"',
  "\u201E": '"',
  "\u2033": '"',
  "\u2010": "-",
  "\u2011": "-",
  "\u2012": "-",
  "\u2013": "-",
  "\u2014": "-",
  "\u2212": "-",
  "\u00A0": " ",
  "\uFF04": "$",
  "\uFF05": "%",
};

const cache = new Map<string, string>();

/** Folds one code point; falls back to the input whenever folding would change its UTF-16 length. */
function foldCodePoint(ch: string): string {
  const hit = cache.get(ch);
  if (hit !== undefined) return hit;
  let out = PUNCT_FOLD[ch] ?? ch.toLowerCase();
  if (out.length !== ch.length) out = ch; // e.g. "İ" lowercases to two units: keep it rather than shift offsets
  const code = out.codePointAt(0) ?? 0;
  if (out.length === 1 && code >= 0xc0 && code <= 0x24f) {
    const base = out.normalize("NFD");
    if (base.length > 1 && base.charCodeAt(0) < 0x80) out = base[0]!; // "é" -> "e"
  }
  if (cache.size < 10_000) cache.set(ch, out);
  return out;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Lowercases and folds accents/typographic punctuation without changing the string's length. */
export function foldText(text: string): string {
  if (!NON_ASCII.test(text)) return text.toLowerCase();
  let out = "";
  for (const ch of text) out += foldCodePoint(ch);
  return out;
}

/** Per-position case shape ids, so the model keeps the casing cue the uncased vocabulary drops. */
export const CASE_SHAPES = { special: 0, none: 1, lower: 2, title: 3, upper: 4, mixed: 5 } as const;
export const CASE_SHAPE_COUNT = 6;

/** Case shape of `text[start, end)`: letters only count; "AAPL" upper, "Apple" title, "iPhone" mixed. */
export function caseShape(text: string, start: number, end: number): number {
  let upper = 0;
  let lower = 0;
  let firstUpper = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    let isUpper: boolean;
    let isLower: boolean;
    if (c < 0x80) {
      isUpper = c >= 65 && c <= 90;
      isLower = c >= 97 && c <= 122;
    } else {
      const ch = text[i]!;
      isUpper = ch !== ch.toLowerCase();
      isLower = ch !== ch.toUpperCase();
    }
    if (isUpper) {
      if (upper === 0 && lower === 0) firstUpper = true;
      upper++;
    } else if (isLower) lower++;
  }
  if (upper === 0 && lower === 0) return CASE_SHAPES.none;
  if (upper === 0) return CASE_SHAPES.lower;
  if (lower === 0) return upper === 1 ? CASE_SHAPES.title : CASE_SHAPES.upper;
  return firstUpper && upper === 1 ? CASE_SHAPES.title : CASE_SHAPES.mixed;
}

/** The HTML entities that leak into scraped tweets/headlines (`&amp;` above all). */
const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/** Decodes one `&name;`/`&#123;`/`&#x1F;` entity, or returns null when it is not one we know. */
export function decodeEntity(entity: string): string | null {
  const body = entity.slice(1, -1).toLowerCase();
  if (body.startsWith("#")) {
    const code = body[1] === "x" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return null;
    return String.fromCodePoint(code);
  }
  return NAMED_ENTITIES[body] ?? null;
}

/** Unescapes HTML entities in a whole string (data loaders use this; the tokenizer decodes in place instead). */
export function unescapeHtml(text: string): string {
  return text.replace(/&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,6});/g, (m) => decodeEntity(m) ?? m);
}
