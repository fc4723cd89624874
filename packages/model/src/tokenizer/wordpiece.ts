import { CONTINUATION } from "./specials.ts";

export interface GreedyOptions {
  /** Longest piece tried, in UTF-16 units (default: the whole rest of the word). */
  maxPieceLen?: number;
  /** Treat the word as the inside of a longer word: its first piece carries the continuation prefix too. */
  continuation?: boolean;
  /**
   * Where no piece matches: "fail" returns null (BERT's rule: the caller emits one [UNK] for the whole word, or
   * skips it); "char" emits `unkId` for that one code point and matches on after it (the fast model's rule).
   */
  onUnknown: "fail" | "char";
  unkId?: number;
}

/**
 * Greedy longest-match-first WordPiece over one already normalised word: the one implementation behind the fast
 * model's tokenizer, the accurate tier's BERT tokenizer (accurate/offsetWordPiece.ts, checked piece for piece against
 * the training side's Python) and the pretrained-embedding mapping. Returns packed triples [id, relStart, relEnd, ...]
 * with offsets relative to the word in UTF-16 units; a surrogate pair is never split, so candidates are exactly the
 * code-point substrings BERT's reference implementation tries.
 */
export function greedyWordPiece(word: string, vocab: ReadonlyMap<string, number>, opts: GreedyOptions): Int32Array | null {
  const out: number[] = [];
  const n = word.length;
  const max = opts.maxPieceLen ?? n;
  let i = 0;
  while (i < n) {
    let found = -1;
    let end = Math.min(n, i + max);
    for (; end > i; end--) {
      const c = word.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff) continue; // never split a surrogate pair
      const id = vocab.get(i === 0 && !opts.continuation ? word.slice(0, end) : CONTINUATION + word.slice(i, end));
      if (id !== undefined) {
        found = id;
        break;
      }
    }
    if (found < 0) {
      if (opts.onUnknown === "fail") return null;
      const cp = word.codePointAt(i)!;
      end = i + (cp > 0xffff ? 2 : 1);
      found = opts.unkId ?? -1;
    }
    out.push(found, i, end);
    i = end;
  }
  return Int32Array.from(out);
}

/**
 * The fast model's rule: where no piece matches, that single code point becomes `unkId` and matching resumes after
 * it (BERT would turn the whole word into [UNK]; this keeps the rest usable).
 */
export function wordPiece(word: string, vocab: Map<string, number>, maxPieceLen: number, unkId: number): Int32Array {
  return greedyWordPiece(word, vocab, { maxPieceLen, onUnknown: "char", unkId })!;
}
