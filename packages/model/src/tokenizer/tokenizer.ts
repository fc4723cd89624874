import { z } from "zod";
import { caseShape, CASE_SHAPES, foldText } from "./normalize.ts";
import { preTokenize, type PreToken } from "./pretokenize.ts";
import { CLS_ID, CONTINUATION, EMOJI_ID, MASK_ID, NUM_ID, PAD_ID, SPECIAL_TOKENS, UNK_ID, URL_ID } from "./specials.ts";
import { learnVocab, MAX_WORD_CHARS, type TrainOptions } from "./train.ts";
import { wordPiece } from "./wordpiece.ts";

export const TOKENIZER_FORMAT = "finsentry-wordpiece";

/** tokenizer.json as saved next to each model version. */
export const TokenizerJSON = z
  .object({
    format: z.literal(TOKENIZER_FORMAT),
    version: z.literal(1),
    /** Documented decisions, fixed for format v1: uncased, Latin accents folded, digits shaped to "0". */
    lowercase: z.literal(true),
    foldAccents: z.literal(true),
    maxWordChars: z.number().int().positive(),
    vocab: z.array(z.string().min(1)).min(SPECIAL_TOKENS.length),
  })
  .superRefine((j, ctx) => {
    SPECIAL_TOKENS.forEach((s, i) => {
      if (j.vocab[i] !== s)
        ctx.addIssue({
          code: "custom",
          path: ["vocab", i],
          message: `expected special token ${s} at id ${i}, got ${JSON.stringify(j.vocab[i])}`,
        });
    });
    const seen = new Map<string, number>();
    j.vocab.forEach((t, i) => {
      const prev = seen.get(t);
      if (prev !== undefined)
        ctx.addIssue({ code: "custom", path: ["vocab", i], message: `duplicate token ${JSON.stringify(t)} (also id ${prev})` });
      seen.set(t, i);
    });
  });
export type TokenizerJSON = z.infer<typeof TokenizerJSON>;

export interface Encoding {
  /** maxLen ids: [CLS], tokens, then [PAD] (=0). */
  ids: Int32Array;
  /** 2*maxLen UTF-16 offsets into the original text (start, end per position); -1 for [CLS] and padding. */
  offsets: Int32Array;
  /** maxLen case-shape ids (CASE_SHAPES: 0 special/pad, 1 no letters, 2 lower, 3 Title, 4 UPPER, 5 mIxed). */
  caseShapes: Uint8Array;
  /** Positions used, [CLS] included. */
  length: number;
}

export interface BatchEncoding {
  ids: Int32Array; // batch*maxLen
  offsets: Int32Array; // batch*maxLen*2
  caseShapes: Uint8Array; // batch*maxLen
  lengths: Int32Array; // batch
}

const WORD_CACHE_LIMIT = 200_000;

/**
 * Finance-aware WordPiece tokenizer (see pretokenize.ts for what is kept whole and normalize.ts for casing).
 * Offsets are UTF-16 code-unit indices into the text as given, i.e. what `text.slice(start, end)` expects, so a
 * span never splits a surrogate pair.
 */
export class Tokenizer {
  readonly vocabSize: number;
  readonly padId = PAD_ID;
  readonly clsId = CLS_ID;
  readonly maskId = MASK_ID;
  readonly unkId = UNK_ID;
  private readonly vocab: readonly string[];
  private readonly ids: Map<string, number>;
  private readonly maxPieceLen: number;
  private readonly maxWordChars: number;
  private readonly dollarId: number;
  private readonly wordCache = new Map<string, Int32Array>();

  private constructor(vocab: readonly string[], maxWordChars: number) {
    this.vocab = vocab;
    this.vocabSize = vocab.length;
    this.maxWordChars = maxWordChars;
    this.ids = new Map(vocab.map((t, i) => [t, i]));
    this.maxPieceLen = vocab.reduce((m, t) => Math.max(m, t.startsWith(CONTINUATION) ? t.length - CONTINUATION.length : t.length), 1);
    this.dollarId = this.ids.get("$") ?? UNK_ID;
  }

  /** Learns a vocabulary (default 8000 entries, pieces seen at least twice) from raw texts. Deterministic. */
  static train(texts: Iterable<string>, opts?: TrainOptions): Tokenizer {
    return new Tokenizer(learnVocab(texts, opts), MAX_WORD_CHARS);
  }

  static fromJSON(json: unknown): Tokenizer {
    const parsed = TokenizerJSON.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
      throw new Error(`invalid tokenizer.json: ${where.join("; ")}`);
    }
    return new Tokenizer(parsed.data.vocab, parsed.data.maxWordChars);
  }

  toJSON(): TokenizerJSON {
    return {
      format: TOKENIZER_FORMAT,
      version: 1,
      lowercase: true,
      foldAccents: true,
      maxWordChars: this.maxWordChars,
      vocab: [...this.vocab],
    };
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id];
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  encode(text: string, maxLen: number): Encoding {
    checkMaxLen(maxLen);
    const ids = new Int32Array(maxLen);
    const offsets = new Int32Array(2 * maxLen).fill(-1);
    const caseShapes = new Uint8Array(maxLen);
    const length = this.encodeInto(text, maxLen, ids, offsets, caseShapes, 0);
    return { ids, offsets, caseShapes, length };
  }

  encodeBatch(texts: string[], maxLen: number): BatchEncoding {
    checkMaxLen(maxLen);
    const ids = new Int32Array(texts.length * maxLen);
    const offsets = new Int32Array(2 * texts.length * maxLen).fill(-1);
    const caseShapes = new Uint8Array(texts.length * maxLen);
    const lengths = new Int32Array(texts.length);
    for (let b = 0; b < texts.length; b++) lengths[b] = this.encodeInto(texts[b]!, maxLen, ids, offsets, caseShapes, b * maxLen);
    return { ids, offsets, caseShapes, lengths };
  }

  /** Token strings without [CLS]/padding, for debugging. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    this.walk(text, (id) => {
      out.push(this.vocab[id]!);
      return true;
    });
    return out;
  }

  /** Writes one row at `base`; arrays must arrive zeroed (ids, shapes) and -1 filled (offsets). */
  private encodeInto(text: string, maxLen: number, ids: Int32Array, offsets: Int32Array, shapes: Uint8Array, base: number): number {
    ids[base] = CLS_ID;
    let pos = 1;
    const emit = (id: number, start: number, end: number, shape: number): boolean => {
      if (pos >= maxLen) return false;
      const at = base + pos++;
      ids[at] = id;
      offsets[2 * at] = start;
      offsets[2 * at + 1] = end;
      shapes[at] = shape;
      return true;
    };
    this.walk(text, emit, maxLen - 1, () => (pos = 1));
    return pos;
  }

  /**
   * Calls `emit` per token in order until it returns false (truncation). Long texts (articles) are first
   * pre-tokenized only up to a generous prefix (32 chars per token), minus its possibly cut last piece; only if that
   * prefix does not fill `maxTokens` is the whole text processed (the prefix tokens are identical either way).
   */
  private walk(
    text: string,
    emit: (id: number, start: number, end: number, shape: number) => boolean,
    maxTokens = Infinity,
    restart?: () => void,
  ): void {
    if (maxTokens <= 0) return;
    const prefix = maxTokens * 32;
    if (text.length > prefix) {
      const pieces = preTokenize(foldText(text.slice(0, prefix)));
      pieces.pop();
      let emitted = 0;
      let full = false;
      const counting = (id: number, start: number, end: number, shape: number): boolean => {
        if (emitted >= maxTokens) {
          full = true;
          return false;
        }
        emitted++;
        return emit(id, start, end, shape);
      };
      for (const t of pieces) if (!this.emitPreToken(text, t, counting)) return;
      if (full) return;
      restart?.(); // the prefix did not fill the row: redo from scratch over the whole text
    }
    for (const t of preTokenize(foldText(text))) {
      if (!this.emitPreToken(text, t, emit)) return;
    }
  }

  private emitPreToken(text: string, t: PreToken, emit: (id: number, start: number, end: number, shape: number) => boolean): boolean {
    // A decoded entity ("&amp;") is longer in the text than its symbol: its letters say nothing about casing.
    const shape =
      t.kind === "url"
        ? CASE_SHAPES.special
        : t.kind === "symbol" && t.end - t.start !== t.norm.length
          ? CASE_SHAPES.none
          : caseShape(text, t.start, t.end);
    switch (t.kind) {
      case "url":
        return emit(URL_ID, t.start, t.end, shape);
      case "number":
        return emit(this.ids.get(t.norm) ?? NUM_ID, t.start, t.end, shape);
      case "emoji":
        return emit(this.ids.get(t.norm) ?? EMOJI_ID, t.start, t.end, shape);
      case "symbol":
        return emit(this.ids.get(t.norm) ?? UNK_ID, t.start, t.end, shape);
      case "word":
        return this.emitWord(t.norm, t.start, shape, emit);
      case "cashtag": {
        const whole = this.ids.get(t.norm);
        if (whole !== undefined) return emit(whole, t.start, t.end, shape);
        if (!emit(this.dollarId, t.start, t.start + 1, CASE_SHAPES.none)) return false;
        for (const p of preTokenize(t.norm.slice(1), t.start + 1)) if (!this.emitPreToken(text, p, emit)) return false;
        return true;
      }
      case "percent": {
        const whole = this.ids.get(t.norm);
        if (whole !== undefined) return emit(whole, t.start, t.end, shape);
        let s = t.start;
        const signed = t.norm[0] === "-" || t.norm[0] === "+";
        if (signed && !emit(this.ids.get(t.norm[0]!) ?? UNK_ID, s, ++s, shape)) return false;
        const body = t.norm.slice(signed ? 1 : 0, -1);
        if (!emit(this.ids.get(body) ?? NUM_ID, s, t.end - 1, shape)) return false;
        return emit(this.ids.get("%") ?? UNK_ID, t.end - 1, t.end, shape);
      }
    }
  }

  private emitWord(
    word: string,
    start: number,
    shape: number,
    emit: (id: number, start: number, end: number, shape: number) => boolean,
  ): boolean {
    if (word.length > this.maxWordChars) return emit(UNK_ID, start, start + word.length, shape);
    let pieces = this.wordCache.get(word);
    if (pieces === undefined) {
      pieces = wordPiece(word, this.ids, this.maxPieceLen, UNK_ID);
      if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
      this.wordCache.set(word, pieces);
    }
    for (let i = 0; i < pieces.length; i += 3) {
      if (!emit(pieces[i]!, start + pieces[i + 1]!, start + pieces[i + 2]!, shape)) return false;
    }
    return true;
  }
}

function checkMaxLen(maxLen: number): void {
  if (!Number.isInteger(maxLen) || maxLen < 1) throw new RangeError(`maxLen must be a positive integer, got ${maxLen}`);
}
