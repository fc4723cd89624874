import { ENTITY_TYPES, SENTIMENT_LABELS } from "@finsentry/schemas";
import type { Example } from "../data/example.ts";
import { continuesWord, type Tokenizer } from "../tokenizer/index.ts";

/** Label value meaning "this example has no label for the task" (masked out of that task's loss). */
export const NO_LABEL = -1;

/** One tokenised training example; arrays have the example's own length (no padding). */
export interface Encoded {
  ids: Int32Array;
  /** BIO tag per word (on its first piece; NO_LABEL at [CLS] and on later pieces); null without entity annotation. */
  tags: Int8Array | null;
  sentiment: number;
  topic: number;
}

/**
 * Char spans → BIO tags through the tokenizer's offsets, one per word: a word's first piece inside a span is B if
 * it is the span's first word, else I; the word's other pieces get NO_LABEL (spans are whole words, so tagging every
 * piece only adds labels the decoder must then reconcile). Pieces that straddle a span boundary count as inside.
 */
export function encodeExample(e: Example, tok: Tokenizer, maxLen: number): Encoded {
  const enc = tok.encode(e.text, maxLen);
  const n = enc.length;
  const ids = enc.ids.slice(0, n);
  let tags: Int8Array | null = null;
  if (e.entities) {
    tags = new Int8Array(n);
    tags[0] = NO_LABEL;
    const spans = [...e.entities].sort((a, b) => a.start - b.start);
    let si = 0;
    let lastSpan = -1;
    for (let t = 1; t < n; t++) {
      if (continuesWord(e.text, enc.offsets, t)) {
        tags[t] = NO_LABEL;
        continue;
      }
      const s = enc.offsets[2 * t]!;
      let last = t; // the word's last piece: a span may start or end inside the word
      while (last + 1 < n && continuesWord(e.text, enc.offsets, last + 1)) last++;
      const end = enc.offsets[2 * last + 1]!;
      while (si < spans.length && spans[si]!.end <= s) si++;
      const sp = spans[si];
      if (sp && sp.start < end && s < sp.end) {
        const k = ENTITY_TYPES.indexOf(sp.type);
        tags[t] = lastSpan === si ? 2 + 2 * k : 1 + 2 * k;
        lastSpan = si;
      } else tags[t] = 0;
    }
  }
  return {
    ids,
    tags,
    sentiment: e.sentiment ? SENTIMENT_LABELS.indexOf(e.sentiment) : NO_LABEL,
    topic: e.topic ?? NO_LABEL,
  };
}
