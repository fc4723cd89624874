import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readOnnxFloatTensor, type FloatTensor } from "./onnxTensor.ts";
import { wordPieceVocab, type WordPieceVocab } from "./wordpiece.ts";

/** Where Hugging Face BERT-family ONNX exports keep the input-embedding table. */
export const BERT_EMBEDDING_TENSOR = "embeddings.word_embeddings.weight";

export interface PretrainedEmbeddings {
  vocab: WordPieceVocab;
  /** [vocabulary size, width]. */
  table: FloatTensor;
  /** What the folder's optional source.json says the model is, for model cards. */
  source?: { name: string; licence: string };
}

const SourceJSON = z.object({ name: z.string().min(1), licence: z.string().min(1) });

/**
 * A BERT-family model's WordPiece vocabulary and input embeddings from a directory holding `model.onnx`,
 * `tokenizer.json` and optionally `source.json` (infra/pretrained/fetch-minilm.sh writes all-MiniLM-L6-v2 that way).
 */
export async function loadPretrainedEmbeddings(dir: string): Promise<PretrainedEmbeddings> {
  const read = (f: string) =>
    readFile(join(dir, f)).catch((e: NodeJS.ErrnoException) => {
      throw new Error(
        `pre-trained model dir ${dir}: cannot read ${f} (${e.code ?? e.message}); infra/pretrained/fetch-minilm.sh writes one`,
      );
    });
  // One after the other, so that with both missing the error always names model.onnx (Promise.all reported whichever
  // read failed first).
  const onnx = await read("model.onnx");
  const tok = await read("tokenizer.json");
  let json: unknown;
  try {
    json = JSON.parse(tok.toString("utf8"));
  } catch (e) {
    throw new Error(`${join(dir, "tokenizer.json")}: not JSON (${e instanceof Error ? e.message : e})`);
  }
  const vocab = wordPieceVocab(json);
  const table = readOnnxFloatTensor(onnx, BERT_EMBEDDING_TENSOR);
  if (table.shape.length !== 2 || table.shape[0]! < vocab.ids.size)
    throw new Error(`${BERT_EMBEDDING_TENSOR} is [${table.shape}], the vocabulary has ${vocab.ids.size} pieces`);
  const sourceText = await readFile(join(dir, "source.json"), "utf8").catch(() => undefined);
  if (sourceText === undefined) return { vocab, table };
  const source = SourceJSON.safeParse(parseJsonOrUndefined(sourceText));
  if (!source.success) throw new Error(`${join(dir, "source.json")}: expected {"name", "licence"}`);
  return { vocab, table, source: { name: source.data.name, licence: source.data.licence } };
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
