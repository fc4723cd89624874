import { CONTINUATION } from "./specials.ts";

/**
 * Greedy longest-match-first WordPiece over one folded word. Returns packed triples [id, relStart, relEnd, ...]
 * with offsets relative to the word, in UTF-16 units. Where no piece matches, that single code point becomes
 * `unkId` and matching resumes after it (BERT would turn the whole word into [UNK]; this keeps the rest usable).
 */
export function wordPiece(word: string, vocab: Map<string, number>, maxPieceLen: number, unkId: number): Int32Array {
  const out: number[] = [];
  const n = word.length;
  let i = 0;
  while (i < n) {
    let found = -1;
    let end = Math.min(n, i + maxPieceLen);
    for (; end > i; end--) {
      const c = word.charCodeAt(end - 1);
      if (c >= 0xd800 && c <= 0xdbff) continue; // never split a surrogate pair
      const id = vocab.get(i === 0 ? word.slice(0, end) : CONTINUATION + word.slice(i, end));
      if (id !== undefined) {
        found = id;
        break;
      }
    }
    if (found < 0) {
      const cp = word.codePointAt(i)!;
      end = i + (cp > 0xffff ? 2 : 1);
      found = unkId;
    }
    out.push(found, i, end);
    i = end;
  }
  return Int32Array.from(out);
}
