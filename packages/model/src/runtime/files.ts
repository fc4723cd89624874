import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "../tokenizer/index.ts";
import { Manifest, MANIFEST_FILE, MODEL_FILES } from "./manifest.ts";

export const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export interface ModelDir {
  dir: string;
  manifest: Manifest;
  tokenizer: Tokenizer;
  onnx: Uint8Array;
}

/** Reads one file of a model directory; a missing file is an error naming the directory (`what`) and the file. */
export async function readIn(dir: string, file: string, what = "model dir"): Promise<Buffer> {
  try {
    return await readFile(join(dir, file));
  } catch (e) {
    throw new Error(`${what} ${dir}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
}

/** Reads and validates a model directory: manifest schema, file hashes, tokenizer schema and vocab size. */
export async function readModelDir(dir: string): Promise<ModelDir> {
  let json: unknown;
  try {
    json = JSON.parse((await readIn(dir, MANIFEST_FILE)).toString("utf8"));
  } catch (e) {
    throw new Error(`model dir ${dir}: ${MANIFEST_FILE} is not JSON: ${(e as Error).message}`);
  }
  const parsed = Manifest.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`model dir ${dir}: invalid ${MANIFEST_FILE}: ${issues.join("; ")}`);
  }
  const manifest = parsed.data;
  const onnx = await readIn(dir, MODEL_FILES.onnx);
  if (sha256(onnx) !== manifest.files.onnx) throw new Error(`model dir ${dir}: ${MODEL_FILES.onnx} sha256 does not match the manifest`);
  const tokBytes = await readIn(dir, MODEL_FILES.tokenizer);
  if (sha256(tokBytes) !== manifest.files.tokenizer)
    throw new Error(`model dir ${dir}: ${MODEL_FILES.tokenizer} sha256 does not match the manifest`);
  const tokenizer = Tokenizer.fromJSON(JSON.parse(tokBytes.toString("utf8")));
  if (tokenizer.vocabSize !== manifest.sizes.vocabSize) {
    throw new Error(`model dir ${dir}: tokenizer has ${tokenizer.vocabSize} tokens, model expects ${manifest.sizes.vocabSize}`);
  }
  return { dir, manifest, tokenizer, onnx: new Uint8Array(onnx) };
}
