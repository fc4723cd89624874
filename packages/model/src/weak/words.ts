/** Word tokens for gazetteer lookups: letters/digits joined by & ' . - inside ("AT&T", "Coca-Cola", "J.P"). */
const WORD_RE = /[\p{L}\p{N}]+(?:[&'’.-][\p{L}\p{N}]+)*/gu;
/** A possessive ending is not part of the name: "Apple's" must match the alias "Apple". */
const POSSESSIVE = /['’]s$/;

export interface Word {
  text: string;
  start: number;
  end: number;
}

export function words(text: string): Word[] {
  const out: Word[] = [];
  for (const m of text.matchAll(WORD_RE)) {
    const w = m[0].replace(POSSESSIVE, "");
    out.push({ text: w, start: m.index, end: m.index + w.length });
  }
  return out;
}

/**
 * Phrase index: first word → phrases (as word lists), longest first. Matching is case-sensitive on purpose:
 * "Apple"/"Target"/"Gap" as companies, "apple"/"target"/"gap" as words.
 */
export class PhraseIndex {
  private readonly byFirst = new Map<string, string[][]>();
  size = 0;

  add(phrase: string): void {
    const ws = words(phrase).map((w) => w.text);
    if (ws.length === 0) return;
    const list = this.byFirst.get(ws[0]!) ?? [];
    if (list.some((p) => p.length === ws.length && p.every((w, i) => w === ws[i]))) return;
    list.push(ws);
    list.sort((a, b) => b.length - a.length);
    this.byFirst.set(ws[0]!, list);
    this.size++;
  }

  /** Length (in words) of the longest phrase starting at ws[i], or 0. */
  matchAt(ws: Word[], i: number): number {
    const list = this.byFirst.get(ws[i]!.text);
    if (!list) return 0;
    for (const p of list) {
      if (i + p.length > ws.length) continue;
      let ok = true;
      for (let k = 1; k < p.length && ok; k++) ok = ws[i + k]!.text === p[k];
      if (ok) return p.length;
    }
    return 0;
  }
}
