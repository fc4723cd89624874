import { ENTITY_TYPES, SENTIMENT_LABELS, TOPIC_LABELS, type EntityType, type ModelOutput } from "@finsentry/schemas";
import { toOutputDigits } from "../output-digits.ts";
import { sentimentOutput } from "../sentiment-output.ts";
import { WORD_CHAR } from "../tokenizer/words.ts";
import { explicitTickerSpans, moneySpans, percentSpans } from "../weak/patterns.ts";
import { ENCODER_TAGS } from "./manifest.ts";

type Span = ModelOutput["entities"][number];

export function softmax(logits: ArrayLike<number>, from: number, n: number, out = new Float64Array(n)): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[from + i]!);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += out[i] = Math.exp(logits[from + i]! - max);
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return out;
}

const argmax = (a: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
};

const NT = ENCODER_TAGS.length;
const TAG_TYPE: (EntityType | null)[] = ENCODER_TAGS.map((t) => (t === "O" ? null : (t.slice(2) as EntityType)));
for (const t of TAG_TYPE) if (t && !ENTITY_TYPES.includes(t)) throw new Error(`tag type ${t} is not an EntityType`);

/**
 * Name spans from per-piece tag logits, one tag per word: a word's first piece decides (its most probable tag), and
 * the word's later pieces ("##ware", or "m" of "#NWM") only extend it, whatever their own tags say; per-piece
 * decoding, as in training (common.py decode_spans), cut hashtags and rare names into fragments ("NW" + "M",
 * "Fabri"). Between words: O closes a span, I-X extends an open X span, any other tag opens one. Confidence = mean
 * probability of the words' chosen tags.
 */
export function decodeNameSpans(text: string, tagLogits: ArrayLike<number>, offsets: ArrayLike<number>, length: number): Span[] {
  const spans: Span[] = [];
  let cur: { type: EntityType; start: number; end: number; p: number; n: number } | undefined;
  const close = () => {
    if (cur)
      spans.push({
        start: cur.start,
        end: cur.end,
        type: cur.type,
        text: text.slice(cur.start, cur.end),
        confidence: toOutputDigits(cur.p / cur.n),
      });
    cur = undefined;
  };
  const probs = new Float64Array(NT);
  let wordType: EntityType | null = null; // the type the current word's first piece chose
  let prevEnd = -1;
  for (let t = 0; t < length; t++) {
    const s = offsets[2 * t]!;
    if (s < 0) continue;
    const e = offsets[2 * t + 1]!;
    const glued = s === prevEnd && WORD_CHAR.test(text[s - 1] ?? "") && WORD_CHAR.test(text[s] ?? "");
    prevEnd = e;
    if (glued) {
      if (wordType && cur) cur.end = e;
      continue;
    }
    softmax(tagLogits, t * NT, NT, probs);
    const k = argmax(probs);
    const type = (wordType = TAG_TYPE[k] ?? null);
    if (!type) {
      close();
      continue;
    }
    if (cur && cur.type === type && ENCODER_TAGS[k]!.startsWith("I-")) {
      cur.end = e;
      cur.p += probs[k]!;
      cur.n++;
      continue;
    }
    close();
    cur = { type, start: s, end: e, p: probs[k]!, n: 1 };
  }
  close();
  return spans;
}

/**
 * Which predicted name spans are kept, and how they end. A tag head also fires on words that cannot be names: a
 * comma inside "40,000" (a near-tie, which dynamic int8 quantisation, whose activation scale depends on the batch,
 * can flip); "fell", "after", "the CEO resigns abruptly" in headlines, a style whose texts had no tag labels in
 * training, so the accurate tier's tag probabilities there are flat (about 0.2 to 0.35 for the winning tag);
 * "abruptly" from the fast model. Measured on the gold dev sets (docs/accurate-tier.md, "Name filter"):
 * - evidence (accurate tier): a name has a letter or digit, and either a mean tag probability of at least 0.6, or
 *   a capitalised first word plus a word capitalised where capitals are not automatic (not sentence-initial, or all
 *   capitals); lower-case words at its end are cut off ("Northwind Motors shares" → "Northwind Motors"). Against the
 *   filter-less decode: span F1 news 0.769 → 0.776, BTC 0.518 → 0.534, WNUT 0.642 → 0.646, filings 0.729 → 0.734;
 *   names in 1,039 dev headlines 4,583 (2,651 lower-case) → 1,591 (45), exact recall of the headlines' annotated
 *   companies 0.590 → 0.558. A plain probability cut at 0.6 scores a little higher on the NER sets but drops that
 *   recall to 0.380.
 * - cased (fast model): in text that uses capitals at all, a name has one; its precision rises on every set
 *   (news 0.22 → 0.32), where nearly all its lower-case "names" are wrong.
 */
export type NameFilter = "none" | "evidence" | "cased";
export const DEFAULT_NAME_FILTER: NameFilter = "evidence";
/** The evidence rule's probability floor for spans without the form of a name. */
export const NAME_MIN_CONFIDENCE = 0.6;

/** A name has a letter: digits alone ("(513)", the comma of "40,000") are not one. */
const HAS_LETTER = /\p{L}/u;
const HAS_LOWER = /\p{Ll}/u;
const HAS_UPPER = /\p{Lu}/u;
const ALL_CAPS = /^\p{Lu}[\p{Lu}\p{N}&.]+$/u;
/** The types the tag heads read as names (the rest come from patterns). */
export const NAME_TYPES: ReadonlySet<string> = new Set(["PERSON", "ORG", "LOCATION"]);

/** Whether the word at `at` opens a sentence: only whitespace since the start or since one of `marks`. */
export function sentenceInitial(text: string, at: number, marks = ".!?:\"'“‘("): boolean {
  let p = at - 1;
  while (p >= 0 && /\s/.test(text[p]!)) p--;
  return p < 0 || marks.includes(text[p]!);
}

/** In text written in mixed case, a PERSON of one to three capitals is a title ("CEO", "CFO"), not a name. */
function isTitle(text: string, type: string, start: number, end: number): boolean {
  return type === "PERSON" && end - start <= 3 && HAS_LOWER.test(text) && ALL_CAPS.test(text.slice(start, end));
}

interface Word {
  s: number;
  e: number;
  cap: boolean;
}

/** Keeps, trims or drops one name span under the evidence rule (null = dropped). */
function evidenceSpan<S extends { type: string; start: number; end: number; confidence?: number }>(
  text: string,
  sp: S,
  casedText: boolean,
): S | null {
  const words: Word[] = [...text.slice(sp.start, sp.end).matchAll(/\S+/gu)].map((m) => {
    const s = sp.start + m.index;
    return { s, e: s + m[0].length, cap: HAS_UPPER.test(m[0]) };
  });
  if (casedText && words.some((w) => w.cap)) while (words.length > 1 && !words[words.length - 1]!.cap) words.pop();
  const [first, last] = [words[0], words[words.length - 1]];
  if (!first || !last || isTitle(text, sp.type, first.s, last.e)) return null;
  const form = first.cap && words.some((w) => w.cap && (ALL_CAPS.test(text.slice(w.s, w.e)) || !sentenceInitial(text, w.s)));
  if (!form && (sp.confidence ?? 1) < NAME_MIN_CONFIDENCE) return null;
  return last.e === sp.end ? sp : { ...sp, end: last.e };
}

/** Applies `mode` to the PERSON / ORG / LOCATION spans (other types pass untouched); `text` fields follow any trim. */
export function filterNames<S extends { type: string; start: number; end: number; text?: string; confidence?: number }>(
  text: string,
  spans: S[],
  mode: NameFilter = DEFAULT_NAME_FILTER,
): S[] {
  if (mode === "none") return spans;
  const casedText = HAS_UPPER.test(text);
  const out: S[] = [];
  for (const sp of spans) {
    if (!NAME_TYPES.has(sp.type)) {
      out.push(sp);
      continue;
    }
    if (!HAS_LETTER.test(text.slice(sp.start, sp.end))) continue;
    if (isTitle(text, sp.type, sp.start, sp.end)) continue;
    if (mode === "cased") {
      if (!casedText || HAS_UPPER.test(text.slice(sp.start, sp.end))) out.push(sp);
      continue;
    }
    const kept = evidenceSpan(text, sp, casedText);
    if (kept) out.push(kept === sp || kept.text === undefined ? kept : { ...kept, text: text.slice(kept.start, kept.end) });
  }
  return out;
}

/**
 * Tickers, amounts and percentages are written in fixed forms ("$TSLA", "(NYSE: ACME)", "€300m", "3.5%"), so the
 * accurate tier reads them by pattern; where a pattern span overlaps a predicted name ("$AAPL" read as ORG "AAPL"),
 * the pattern's span wins.
 */
export function withPatternSpans(text: string, names: Span[]): Span[] {
  const fixed: Span[] = [];
  for (const c of [...explicitTickerSpans(text), ...moneySpans(text), ...percentSpans(text)].sort(
    (a, b) => a.start - b.start || b.end - a.end,
  )) {
    const last = fixed[fixed.length - 1];
    if (!last || c.start >= last.end) fixed.push({ start: c.start, end: c.end, type: c.type, text: text.slice(c.start, c.end) });
  }
  const kept = names.filter((n) => !fixed.some((f) => f.start < n.end && n.start < f.end));
  return [...kept, ...fixed].sort((a, b) => a.start - b.start);
}

/** One row of the accurate tier's logits → ModelOutput (score = p(bullish) − p(bearish), confidence = top probability). */
export function decodeEncoderItem(
  text: string,
  sentimentLogits: ArrayLike<number>,
  topicLogits: ArrayLike<number>,
  names: Span[],
): ModelOutput {
  const tp = softmax(topicLogits, 0, TOPIC_LABELS.length);
  const t = argmax(tp);
  return {
    sentiment: sentimentOutput(softmax(sentimentLogits, 0, SENTIMENT_LABELS.length)),
    topic: { label: TOPIC_LABELS[t]!, index: t, confidence: toOutputDigits(Math.min(1, tp[t]!)) },
    entities: withPatternSpans(text, names),
  };
}
