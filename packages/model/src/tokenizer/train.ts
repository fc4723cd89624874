import { z } from "zod";
import { PairHeap } from "./heap.ts";
import { foldText } from "./normalize.ts";
import { preTokenize } from "./pretokenize.ts";
import { CONTINUATION, SPECIAL_TOKENS } from "./specials.ts";

export const TrainOptions = z.object({
  vocabSize: z.number().int().min(256).max(1_000_000).default(8000),
  minFreq: z.number().int().min(1).default(2),
});
export type TrainOptions = z.input<typeof TrainOptions>;

/** Words longer than this (in UTF-16 units) are not split: they map to [UNK] (base64 blobs, hashes). */
export const MAX_WORD_CHARS = 64;

/** Always in the vocabulary so tiny corpora still cover plain English/ASCII text. */
const BASE_LETTERS = "abcdefghijklmnopqrstuvwxyz0";
const BASE_SYMBOLS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~€£¥₹";

interface Counts {
  words: Map<string, number>;
  symbols: Map<string, number>;
  shapes: Map<string, number>;
  cashtags: Map<string, number>;
  emoji: Map<string, number>;
}

function bump(m: Map<string, number>, k: string, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

/** Counts every vocabulary candidate, including the pieces rare cashtags/percentages fall back to. */
function countCorpus(texts: Iterable<string>): Counts {
  const c: Counts = { words: new Map(), symbols: new Map(), shapes: new Map(), cashtags: new Map(), emoji: new Map() };
  const countPlain = (kind: string, norm: string): void => {
    if (kind === "word") bump(c.words, norm);
    else if (kind === "number") bump(c.shapes, norm);
    else if (kind === "symbol") bump(c.symbols, norm);
  };
  for (const text of texts) {
    for (const t of preTokenize(foldText(text))) {
      switch (t.kind) {
        case "cashtag":
          bump(c.cashtags, t.norm);
          bump(c.symbols, "$");
          for (const p of preTokenize(t.norm.slice(1))) countPlain(p.kind, p.norm);
          break;
        case "percent": {
          bump(c.shapes, t.norm);
          const body = t.norm.replace(/^[+-]/, "").slice(0, -1);
          bump(c.shapes, body);
          bump(c.symbols, "%");
          if (/^[+-]/.test(t.norm)) bump(c.symbols, t.norm[0]!);
          break;
        }
        case "emoji":
          bump(c.emoji, t.norm);
          break;
        case "url":
          break;
        default:
          countPlain(t.kind, t.norm);
      }
    }
  }
  return c;
}

/** Most frequent keys with count >= min, ties broken by code-unit order (locale-independent, deterministic). */
function topKeys(m: Map<string, number>, min: number, limit: number): string[] {
  return [...m.entries()]
    .filter(([, n]) => n >= min)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, Math.max(0, limit))
    .map(([k]) => k);
}

/** Piece string for code point `ch` at word position `i`. */
const piece = (ch: string, i: number): string => (i === 0 ? ch : CONTINUATION + ch);

/**
 * Learns a WordPiece vocabulary the way HF `tokenizers`' WordPieceTrainer does: BPE merges over "##"-prefixed
 * characters (most frequent adjacent pair first), inference then being WordPiece greedy longest-match.
 * Besides subwords it reserves budget for whole frequent cashtags, number/percent shapes and emoji.
 */
export function learnVocab(texts: Iterable<string>, options: TrainOptions = {}): string[] {
  const { vocabSize, minFreq } = TrainOptions.parse(options);
  const c = countCorpus(texts);
  const vocab: string[] = [...SPECIAL_TOKENS];
  const seen = new Set<string>(vocab);
  const add = (t: string): void => {
    if (vocab.length < vocabSize && !seen.has(t)) {
      seen.add(t);
      vocab.push(t);
    }
  };

  // Alphabet: characters of words (initial and ## forms) and standalone symbols, capped at a quarter of the budget.
  const chars = new Map<string, number>();
  for (const [w, n] of c.words) {
    if (w.length > MAX_WORD_CHARS) continue;
    let i = 0;
    for (const ch of w) bump(chars, piece(ch, i++), n);
  }
  for (const [s, n] of c.symbols) bump(chars, s, n);
  for (const ch of BASE_LETTERS) {
    add(ch);
    add(CONTINUATION + ch);
  }
  for (const ch of BASE_SYMBOLS) add(ch);
  for (const t of topKeys(chars, minFreq, Math.floor(vocabSize / 4))) add(t);

  const budget = (fraction: number): number => vocab.length + Math.floor(vocabSize * fraction);
  const shapeCap = budget(0.03);
  for (const t of topKeys(c.shapes, minFreq, shapeCap - vocab.length)) add(t);
  const cashCap = budget(0.08);
  for (const t of topKeys(c.cashtags, Math.max(2, minFreq), cashCap - vocab.length)) add(t);
  const emojiCap = budget(0.02);
  for (const t of topKeys(c.emoji, minFreq, emojiCap - vocab.length)) add(t);

  mergeSubwords(c.words, vocab, seen, vocabSize, minFreq);
  return vocab;
}

const PAIR_SHIFT = 2 ** 21;

/** BPE merge loop with incremental pair counts and a lazy max-heap (stale entries skipped on pop). */
function mergeSubwords(wordCounts: Map<string, number>, vocab: string[], seen: Set<string>, vocabSize: number, minFreq: number): void {
  const symbols: string[] = [];
  const symId = new Map<string, number>();
  const idOf = (s: string): number => {
    let id = symId.get(s);
    if (id === undefined) {
      id = symbols.length;
      symbols.push(s);
      symId.set(s, id);
    }
    return id;
  };

  // Words sorted for order-independence; words with characters outside the alphabet cannot be merged and are skipped.
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const w of [...wordCounts.keys()].sort()) {
    if (w.length > MAX_WORD_CHARS) continue;
    const pieces = Array.from(w, (ch, i) => piece(ch, i));
    if (pieces.length < 2 || !pieces.every((p) => seen.has(p))) continue;
    words.push(pieces.map(idOf));
    freqs.push(wordCounts.get(w)!);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const touched = new Set<number>();
  const addPairs = (wi: number, sign: 1 | -1): void => {
    const syms = words[wi]!;
    const f = freqs[wi]! * sign;
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = syms[i]! * PAIR_SHIFT + syms[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + f);
      touched.add(key);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1);

  const heap = new PairHeap();
  const flush = (): void => {
    for (const key of touched) {
      const n = pairCount.get(key) ?? 0;
      if (n >= minFreq) heap.push(n, key);
    }
    touched.clear();
  };
  flush();

  while (vocab.length < vocabSize) {
    const top = heap.pop();
    if (!top) break;
    if (pairCount.get(top.key) !== top.count) continue; // stale entry
    if (top.count < minFreq) break;
    const a = Math.floor(top.key / PAIR_SHIFT);
    const b = top.key % PAIR_SHIFT;
    const merged = symbols[a]! + symbols[b]!.slice(CONTINUATION.length);
    const m = idOf(merged);
    if (!seen.has(merged)) {
      seen.add(merged);
      vocab.push(merged);
    }
    for (const wi of pairWords.get(top.key) ?? []) {
      const syms = words[wi]!;
      addPairs(wi, -1);
      const next: number[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          next.push(m);
          i++;
        } else next.push(syms[i]!);
      }
      words[wi] = next;
      addPairs(wi, 1);
    }
    pairWords.delete(top.key);
    pairCount.delete(top.key);
    touched.delete(top.key);
    flush();
  }
}
