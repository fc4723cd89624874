const WORDCHAR = /[\p{L}\p{N}]/u;

const startsWord = (text: string, start: number): boolean => start === 0 || !WORDCHAR.test(text[start - 1]!);
const endsWord = (text: string, end: number): boolean => end >= text.length || !WORDCHAR.test(text[end]!);

/** True when text[start, end) is not glued to letters/digits on either side ("BP" must not match inside "BPCL"). */
export function atWordBoundary(text: string, start: number, end: number): boolean {
  return startsWord(text, start) && endsWord(text, end);
}

/** True when the word ends with a possessive written without apostrophe ("HULs division"), as headlines often do. */
function bareGenitive(text: string, end: number): boolean {
  return text[end] === "s" && endsWord(text, end + 1);
}

/**
 * Every word-bounded occurrence of `name` in `text` (case-sensitive first, then case-insensitive if none); a bare
 * possessive "s" right after the name is tolerated. Surrounding spaces in `name` are ignored.
 */
export function findMentions(text: string, rawName: string): number[] {
  const name = rawName.trim();
  const scan = (hay: string, needle: string): number[] => {
    const out: number[] = [];
    if (!needle) return out;
    for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) {
      const end = i + needle.length;
      if (startsWord(hay, i) && (endsWord(hay, end) || bareGenitive(hay, end))) out.push(i);
    }
    return out;
  };
  const exact = scan(text, name);
  if (exact.length > 0) return exact;
  // toLowerCase can change lengths for a few characters; only trust the fallback when it does not.
  const lt = text.toLowerCase();
  const ln = name.toLowerCase();
  return lt.length === text.length && ln.length === name.length ? scan(lt, ln) : [];
}

/** The occurrence of `name` closest to `hint` (re-anchoring shifted offsets), or undefined. */
export function nearestMention(text: string, name: string, hint: number): number | undefined {
  let best: number | undefined;
  for (const i of findMentions(text, name)) if (best === undefined || Math.abs(i - hint) < Math.abs(best - hint)) best = i;
  return best;
}
