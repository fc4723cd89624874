import { wordPieceVocab } from "../pretrained/wordpiece.ts";
import { greedyWordPiece } from "../tokenizer/wordpiece.ts";

/** One encoded text: [CLS] pieces [SEP], with each piece's UTF-16 [start, end) in the original text (-1 for specials). */
export interface OffsetEncoding {
  ids: number[];
  /** 2 per position: start, end. */
  offsets: number[];
}

const CONTROL = /\p{C}/u;
const SPACE = /\s/u;
const PUNCT = /\p{P}/u;
const MARK = /\p{Mn}/gu;
/** Longest word the WordPiece loop tries to split; longer ones are one [UNK] (BERT's max_input_chars_per_word). */
const MAX_WORD_CHARS = 100;

function isPunct(cp: number, ch: string): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return cp > 127 && PUNCT.test(ch);
}

function isCjk(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0xf900 && cp <= 0xfaff);
}

interface Word {
  /** Normalised text (lower case, accents stripped). */
  chars: string;
  /** Per normalised code point: UTF-16 start and end of the original character it came from. */
  starts: number[];
  ends: number[];
}

/**
 * BERT-uncased tokenisation (basic tokenizer + greedy longest-match WordPiece) that keeps each piece's character
 * offsets, so tag predictions decode to spans of the original text. The same algorithm as the training side's
 * `OffsetWordPiece` (infra/accurate/common.py): the model was trained on exactly these pieces, so a difference here is
 * a silent accuracy loss (the test compares both on the same texts). Offsets are UTF-16 (JavaScript string indices),
 * the convention of every span in ModelOutput.
 */
export class OffsetWordPiece {
  readonly cls: number;
  readonly sep: number;
  readonly pad: number;
  readonly unk: number;
  private constructor(private readonly vocab: ReadonlyMap<string, number>) {
    const need = (t: string) => {
      const id = vocab.get(t);
      if (id === undefined) throw new Error(`WordPiece vocabulary has no ${t}`);
      return id;
    };
    this.cls = need("[CLS]");
    this.sep = need("[SEP]");
    this.pad = need("[PAD]");
    this.unk = need("[UNK]");
  }

  /** From a Hugging Face tokenizer.json holding a lower-casing WordPiece model (bert-base-uncased's vocabulary). */
  static fromTokenizerJson(json: unknown): OffsetWordPiece {
    const v = wordPieceVocab(json);
    if (v.prefix !== "##") throw new Error(`WordPiece continuation prefix must be "##", got ${JSON.stringify(v.prefix)}`);
    return new OffsetWordPiece(v.ids);
  }

  get vocabSize(): number {
    return this.vocab.size;
  }

  /** The basic tokenizer: words split at whitespace, punctuation and CJK characters, lower-cased, accents stripped. */
  words(text: string): Word[] {
    const out: Word[] = [];
    let cur: Word = { chars: "", starts: [], ends: [] };
    const flush = () => {
      if (cur.chars) out.push(cur);
      cur = { chars: "", starts: [], ends: [] };
    };
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const ch = w === 2 ? text.slice(i, i + 2) : text[i]!;
      const end = i + w;
      if (cp < 128) {
        // ASCII fast path (most of the text): no accents, no control characters but tab/newline.
        if (cp === 9 || cp === 10 || cp === 13 || cp === 32) flush();
        else if (cp < 32 || cp === 127) {
          /* control: dropped */
        } else if (isPunct(cp, ch)) {
          flush();
          out.push({ chars: ch, starts: [i], ends: [end] });
        } else {
          const lc = cp >= 65 && cp <= 90 ? String.fromCharCode(cp + 32) : ch;
          cur.chars += lc;
          cur.starts.push(i);
          cur.ends.push(end);
        }
      } else if (cp === 0xfffd || CONTROL.test(ch)) {
        /* replacement character or control: dropped */
      } else if (SPACE.test(ch)) flush();
      else if (isCjk(cp) || isPunct(cp, ch)) {
        flush();
        out.push({ chars: ch.toLowerCase(), starts: [i], ends: [end] });
      } else {
        const n = ch.toLowerCase().normalize("NFD").replace(MARK, "");
        for (const x of n) {
          cur.chars += x;
          cur.starts.push(i);
          cur.ends.push(end);
        }
      }
      i = end;
    }
    flush();
    return out;
  }

  /** [CLS] pieces [SEP], cut to maxLen positions (pieces beyond maxLen - 2 are dropped). */
  encode(text: string, maxLen = 128): OffsetEncoding {
    const ids: number[] = [this.cls];
    const offsets: number[] = [-1, -1];
    const room = maxLen - 2;
    for (const w of this.words(text)) {
      if (ids.length - 1 >= room) break;
      const cps = Array.from(w.chars);
      if (cps.length > MAX_WORD_CHARS) {
        ids.push(this.unk);
        offsets.push(w.starts[0]!, w.ends[w.ends.length - 1]!);
        continue;
      }
      // w.starts / w.ends hold one entry per code point; the pieces' offsets are UTF-16 units of w.chars.
      const cpAt = new Int32Array(w.chars.length + 1); // UTF-16 boundary -> code point index
      for (let u = 0, c = 0; c <= cps.length; u += cps[c]?.length ?? 0, c++) cpAt[u] = c;
      const triples = greedyWordPiece(w.chars, this.vocab, { onUnknown: "fail" });
      if (!triples) {
        ids.push(this.unk);
        offsets.push(w.starts[0]!, w.ends[w.ends.length - 1]!);
        continue;
      }
      for (let k = 0; k < triples.length && ids.length - 1 < room; k += 3) {
        ids.push(triples[k]!);
        offsets.push(w.starts[cpAt[triples[k + 1]!]!]!, w.ends[cpAt[triples[k + 2]!]! - 1]!);
      }
    }
    ids.push(this.sep);
    offsets.push(-1, -1);
    return { ids, offsets };
  }
}
