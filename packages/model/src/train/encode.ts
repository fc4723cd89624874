import { ENTITY_TYPES, SENTIMENT_LABELS } from "@finsentry/schemas";
import type { Example } from "../data/example.ts";
import type { Tokenizer } from "../tokenizer/index.ts";

/** Label value meaning "this example has no label for the task" (masked out of that task's loss). */
export const NO_LABEL = -1;

/** One tokenised training example; arrays have the example's own length (no padding). */
export interface Encoded {
  ids: Int32Array;
  /** BIO tag per position (NO_LABEL at [CLS]); null when the example has no entity annotation. */
  tags: Int8Array | null;
  sentiment: number;
  topic: number;
  /** Teacher probabilities at the distillation temperature (`teacher.ts`), when a teacher covers this text. */
  soft?: { sentiment: Float32Array | null; topic: Float32Array | null };
  /** The teacher's feature vector for this text (`TrainOptions.featureWeight`). */
  feat?: Float32Array;
}

/**
 * Char spans → BIO tags through the tokenizer's offsets: a token inside a span is B if it is the span's first
 * token, else I. Tokens that straddle a span boundary count as inside (WordPiece pieces never cross words).
 * Every piece is labelled, though decoding reads only each word's first piece (runtime/decode.ts): labelling only
 * first pieces was measured and trained no better (docs/model.md), and the extra labels cost nothing.
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
      const s = enc.offsets[2 * t]!;
      const end = enc.offsets[2 * t + 1]!;
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
