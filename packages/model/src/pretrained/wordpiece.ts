import { CONTINUATION } from "../tokenizer/specials.ts";
import { greedyWordPiece } from "../tokenizer/wordpiece.ts";
import { z } from "zod";

/** The part of a Hugging Face tokenizer.json that a BERT WordPiece vocabulary needs. */
export const WordPieceTokenizerJSON = z.object({
  normalizer: z.object({ lowercase: z.boolean().optional() }).passthrough().nullable().optional(),
  model: z.object({
    type: z.literal("WordPiece"),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
    continuing_subword_prefix: z.string().default("##"),
  }),
});

export interface WordPieceVocab {
  ids: ReadonlyMap<string, number>;
  prefix: string;
  lowercase: boolean;
}

export function wordPieceVocab(json: unknown): WordPieceVocab {
  const p = WordPieceTokenizerJSON.safeParse(json);
  if (!p.success)
    throw new Error(
      `not a WordPiece tokenizer.json: ${p.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}`,
    );
  return {
    ids: new Map(Object.entries(p.data.model.vocab)),
    prefix: p.data.model.continuing_subword_prefix,
    lowercase: p.data.normalizer?.lowercase ?? false,
  };
}

/**
 * Greedy longest-match WordPiece ids of one string in another model's vocabulary (BERT's algorithm,
 * tokenizer/wordpiece.ts), as a word start or, with `continuation`, as the inside of a word. Accents are stripped when
 * the vocabulary is lowercased, as BERT's uncased normaliser does. Empty when some part has no piece (BERT would emit
 * [UNK]).
 */
export function wordPieceIds(text: string, v: WordPieceVocab, continuation = false): number[] {
  const w = v.lowercase
    ? text
        .toLowerCase()
        .normalize("NFD")
        .replace(/\p{Mn}/gu, "")
    : text;
  if (v.prefix !== CONTINUATION)
    throw new Error(`WordPiece continuation prefix must be ${JSON.stringify(CONTINUATION)}, got ${JSON.stringify(v.prefix)}`);
  const triples = greedyWordPiece(w, v.ids, { continuation, onUnknown: "fail" });
  if (!triples) return [];
  const out: number[] = [];
  for (let k = 0; k < triples.length; k += 3) out.push(triples[k]!);
  return out;
}
