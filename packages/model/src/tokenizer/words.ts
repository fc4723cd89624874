/** A letter or digit: word pieces glued across such characters belong to one word. */
export const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * Whether position `t` of an encoding continues the word of position t−1: it starts exactly where that piece ends,
 * with a letter or digit on both sides of the join ("Ap|ellis", "CS|CO", but not "$|TSLA" or "5|%"). Entities are
 * whole words, so decoding reads each word's tag from its first piece only.
 * offsets: 2 per position (UTF-16 [start, end), −1 for [CLS] and padding), as in Encoding.
 */
export function continuesWord(text: string, offsets: ArrayLike<number>, t: number): boolean {
  if (t < 2) return false;
  const s = offsets[2 * t]!;
  return s > 0 && s === offsets[2 * t - 1] && WORD_CHAR.test(text[s - 1]!) && WORD_CHAR.test(text[s] ?? "");
}
