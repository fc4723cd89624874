import { ENTITY_TYPES, TOPIC_LABELS, type EntityType, type ModelOutput } from "@finsentry/schemas";
import { toOutputDigits } from "../output-digits.ts";
import { sentimentOutput } from "../sentiment-output.ts";
import { filterNames } from "../accurate/decode.ts";
import { continuesWord, WORD_CHAR } from "../tokenizer/index.ts";

/** Raw per-item outputs of the network (one row of each ONNX output), plus what the tokenizer said. */
export interface RawItemOutput {
  text: string;
  sentiment: ArrayLike<number>; // 3 probs
  topic: ArrayLike<number>; // 20 probs
  /** [T,13] tag probs, row-major, T = the batch's sequence length. */
  tags: ArrayLike<number>;
  attention: ArrayLike<number>; // [T]
  /** Positions used including [CLS]. */
  length: number;
  /** UTF-16 [start,end) per position (-1 for [CLS]/pad), 2 per position. */
  offsets: ArrayLike<number>;
}

const N_TAGS = 1 + 2 * ENTITY_TYPES.length;
/** Multi-word names: adjacent same-type spans with only whitespace between are one entity. */
const NAME_TYPES: ReadonlySet<EntityType> = new Set<EntityType>(["ORG", "PERSON", "LOCATION"]);

function argmax(a: ArrayLike<number>, from = 0, n = a.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[from + i]! > a[from + best]!) best = i;
  return best;
}

/**
 * BIO tags → character spans, one tag per word: the tag on a word's first piece (continuesWord) decides the whole
 * word, whatever its later pieces say (training labels every piece of a word alike); those only extend an open span.
 * The words' tags are the most probable well-formed sequence (bestWordTags), not each word's argmax: that alone
 * raised entity F1 by 4 points on dev and test (docs/model.md). B-X opens a span; I-X continues the open X span; O
 * or another type closes it. Repairs: a B-X on a piece glued to an open X span continues it ("$" + "EBR"), so does a
 * B-ORG/PERSON/LOCATION after only whitespace, and ticker spans never cross whitespace. Confidence = mean probability
 * of the chosen tags.
 */
export function decodeEntities(o: RawItemOutput): ModelOutput["entities"] {
  const spans: ModelOutput["entities"] = [];
  let cur: { type: EntityType; start: number; end: number; probSum: number; n: number } | undefined;
  const close = () => {
    if (cur && cur.end > cur.start) {
      spans.push({
        start: cur.start,
        end: cur.end,
        type: cur.type,
        text: o.text.slice(cur.start, cur.end),
        confidence: toOutputDigits(cur.probSum / cur.n),
      });
    }
    cur = undefined;
  };
  const wordTags = bestWordTags(o);
  for (let t = 1; t < o.length; t++) {
    const s = o.offsets[2 * t]!;
    const e = o.offsets[2 * t + 1]!;
    if (s < 0) continue;
    const tag = wordTags[t]!;
    if (tag < 0) {
      // a later piece of a word (bestWordTags tags first pieces only)
      if (cur && s === cur.end) cur.end = e;
      continue;
    }
    const p = o.tags[t * N_TAGS + tag]!;
    if (tag === 0) {
      close();
      continue;
    }
    const type = ENTITY_TYPES[(tag - 1) >> 1]!;
    const isBegin = (tag - 1) % 2 === 0;
    const gap = !cur || s > cur.end; // whitespace (or a skipped piece) between this piece and the open span
    // A B-X glued to an open X span is a piece of the same word ("$" + "EBR"), not a new entity, and a name the
    // model split word by word ("Videocon" "D2H") is one name: labelled data almost never has two same-type names
    // side by side with only a space between. Tickers, amounts and percentages do stand side by side ("$GM $TSLA"),
    // and a ticker is one word, so an I-TICKER after a space starts the next ticker.
    const joinsName = !!cur && NAME_TYPES.has(type) && /^\s+$/.test(o.text.slice(cur.end, s));
    const continues = !!cur && cur.type === type && (isBegin ? !gap || joinsName : !(gap && type === "TICKER"));
    if (!continues || !cur) {
      close();
      cur = { type, start: s, end: e, probSum: p, n: 1 };
    } else {
      cur.end = e;
      cur.probSum += p;
      cur.n++;
    }
  }
  close();
  // Lower-case "names" from this model are nearly all wrong in cased text ("abruptly" as PERSON): measured in
  // filterNames' comment.
  return filterNames(o.text, snapToWords(o.text, spans), "cased");
}

/**
 * The most probable BIO-valid tag sequence over the words' first pieces (Viterbi, log-probabilities): an argmax per
 * word can read "Aural Analytics Partners" as B O I (two names after a lenient repair), where B I I is nearly as
 * likely and well-formed. Tag order: O, then B-X, I-X per type; I-X may only follow B-X or I-X, so O and every B
 * share one best predecessor and each I has two candidates: O(words × tags), not tags². Returns the tag per
 * position, -1 where no word starts.
 */
function bestWordTags(o: RawItemOutput): Int8Array {
  const out = new Int8Array(o.length).fill(-1);
  const words: number[] = [];
  for (let t = 1; t < o.length; t++) if (o.offsets[2 * t]! >= 0 && !continuesWord(o.text, o.offsets, t)) words.push(t);
  if (!words.length) return out;
  const logp = (t: number, k: number) => Math.log(Math.max(o.tags[t * N_TAGS + k]!, 1e-9));
  const isInside = (k: number) => k > 0 && (k - 1) % 2 === 1;
  const back = new Int8Array(words.length * N_TAGS);
  let prev = new Float64Array(N_TAGS);
  let next = new Float64Array(N_TAGS);
  for (let k = 0; k < N_TAGS; k++) prev[k] = isInside(k) ? -Infinity : logp(words[0]!, k);
  for (let w = 1; w < words.length; w++) {
    const best = argmax(prev);
    for (let k = 0; k < N_TAGS; k++) {
      const from = !isInside(k) ? best : prev[k - 1]! >= prev[k]! ? k - 1 : k;
      next[k] = prev[from]! + logp(words[w]!, k);
      back[w * N_TAGS + k] = from;
    }
    [prev, next] = [next, prev];
  }
  let k = argmax(prev);
  for (let w = words.length - 1; w >= 0; w--) {
    out[words[w]!] = k;
    k = back[w * N_TAGS + k]!;
  }
  return out;
}

/**
 * Spans already cover whole words as the pieces split them; where the offsets skip characters (normalised text) or
 * the sequence length cuts a word, widen the span to the letters and digits around it, then merge spans that now
 * overlap, keeping the first one's type.
 */
function snapToWords(text: string, spans: ModelOutput["entities"]): ModelOutput["entities"] {
  const out: ModelOutput["entities"] = [];
  for (const sp of spans) {
    let { start, end } = sp;
    while (start > 0 && WORD_CHAR.test(text[start - 1]!) && WORD_CHAR.test(text[start]!)) start--;
    while (end < text.length && WORD_CHAR.test(text[end]!) && WORD_CHAR.test(text[end - 1]!)) end++;
    const prev = out[out.length - 1];
    if (prev && start < prev.end) {
      prev.end = Math.max(prev.end, end);
      prev.text = text.slice(prev.start, prev.end);
      continue;
    }
    out.push({ ...sp, start, end, text: text.slice(start, end) });
  }
  return out;
}

/** Tokens below this share of the item's largest attention weight are left out of its attributions. */
export const ATTRIBUTION_MIN = 0.05;

/**
 * Turns one item's network outputs into a ModelOutput.
 * score = p(bullish) − p(bearish) ∈ [-1,1]; confidence = the winning class's probability.
 * Attributions: last-layer [CLS]→token attention (head-averaged), renormalised over the text's tokens; only the
 * tokens with at least ATTRIBUTION_MIN of the largest weight are listed.
 */
export function decodeItem(o: RawItemOutput): ModelOutput {
  const t = argmax(o.topic);
  const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
  const attributions: NonNullable<ModelOutput["attributions"]> = [];
  let total = 0;
  let most = 0;
  for (let i = 1; i < o.length; i++) {
    if (o.offsets[2 * i]! < 0) continue;
    total += o.attention[i]!;
    most = Math.max(most, o.attention[i]!);
  }
  for (let i = 1; i < o.length; i++) {
    const start = o.offsets[2 * i]!;
    // Only tokens with at least ATTRIBUTION_MIN of the top token's weight: the dashboard shades words from 8 % of the
    // largest weight up, and the near-zero rest made up ~40 % of every stored and published score.
    if (start < 0 || o.attention[i]! < ATTRIBUTION_MIN * most) continue;
    const weight = total > 0 ? toOutputDigits(o.attention[i]! / total) : 0;
    attributions.push({ start, end: o.offsets[2 * i + 1]!, weight });
  }
  return {
    sentiment: sentimentOutput(o.sentiment),
    topic: { label: TOPIC_LABELS[t]!, index: t, confidence: toOutputDigits(clamp01(o.topic[t]!)) },
    entities: decodeEntities(o),
    attributions,
  };
}
