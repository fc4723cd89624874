import * as ort from "onnxruntime-node";
import type { ModelOutput } from "@finsentry/schemas";
import { readIn, sha256 } from "../runtime/files.ts";
import { createSession } from "../runtime/session.ts";
import type { ModelSession } from "../runtime/worker-session.ts";
import { batchedSession, type ScorerOptions } from "../runtime/scorer.ts";
import type { TextScorer } from "../types.ts";
import { decodeEncoderItem, decodeNameSpans, DEFAULT_NAME_FILTER, filterNames, type NameFilter } from "./decode.ts";
import { ENCODER_FILES, ENCODER_TAGS, EncoderManifest } from "./manifest.ts";
import { OffsetWordPiece, type OffsetEncoding } from "./offsetWordPiece.ts";

export interface AccurateOptions extends ScorerOptions {
  /** Which predicted names are kept (default: the measured best, DEFAULT_NAME_FILTER). */
  nameFilter?: NameFilter;
  /** Run each batch as length groups (default true; false pads the whole batch to its longest text, for measurement). */
  lengthGroups?: boolean;
}

export interface AccurateScorer extends TextScorer {
  readonly manifest: EncoderManifest;
  readonly provider: "cpu" | "cuda";
  readonly tokenizer: OffsetWordPiece;
}

const WHAT = "accurate model dir";

/** Reads and validates an accurate-tier directory: manifest schema and label orders, file hashes, vocabulary. */
export async function readEncoderDir(dir: string): Promise<{ manifest: EncoderManifest; onnx: Uint8Array; tokenizer: OffsetWordPiece }> {
  let json: unknown;
  try {
    json = JSON.parse((await readIn(dir, "manifest.json", WHAT)).toString("utf8"));
  } catch (e) {
    throw new Error(`accurate model dir ${dir}: manifest.json is not JSON: ${(e as Error).message}`);
  }
  const parsed = EncoderManifest.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`accurate model dir ${dir}: invalid manifest.json: ${issues.join("; ")}`);
  }
  const onnx = await readIn(dir, ENCODER_FILES.onnx, WHAT);
  if (sha256(onnx) !== parsed.data.files.onnx)
    throw new Error(`accurate model dir ${dir}: ${ENCODER_FILES.onnx} sha256 does not match the manifest`);
  const tok = await readIn(dir, ENCODER_FILES.tokenizer, WHAT);
  if (sha256(tok) !== parsed.data.files.tokenizer)
    throw new Error(`accurate model dir ${dir}: ${ENCODER_FILES.tokenizer} sha256 does not match the manifest`);
  let tokenizer: OffsetWordPiece;
  try {
    tokenizer = OffsetWordPiece.fromTokenizerJson(JSON.parse(tok.toString("utf8")));
  } catch (e) {
    throw new Error(`accurate model dir ${dir}: ${ENCODER_FILES.tokenizer}: ${(e as Error).message}`);
  }
  return { manifest: parsed.data, onnx: new Uint8Array(onnx), tokenizer };
}

/**
 * Texts sorted by length, cut into runs whose longest is at most 1.5x (+8 pieces) their shortest: padding wastes
 * encoder time and, under dynamic int8, widens the activation range every real token is quantised with.
 */
export function lengthGroups(lengths: readonly number[]): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]!);
  const groups: number[][] = [];
  let cur: number[] = [];
  for (const i of order) {
    if (cur.length > 0 && lengths[i]! > lengths[cur[0]!]! * 1.5 + 8) {
      groups.push(cur);
      cur = [];
    }
    cur.push(i);
  }
  if (cur.length) groups.push(cur);
  return groups;
}

/** Encodes a batch, runs it as length groups (see lengthGroups) and returns the outputs in input order. */
async function runBatch(
  session: ModelSession,
  tok: OffsetWordPiece,
  maxLen: number,
  nameFilter: NameFilter,
  grouped: boolean,
  texts: string[],
): Promise<ModelOutput[]> {
  const enc = texts.map((t) => tok.encode(t, maxLen));
  const out = new Array<ModelOutput>(texts.length);
  for (const g of grouped ? lengthGroups(enc.map((e) => e.ids.length)) : [texts.map((_, i) => i)]) {
    const res = await runPadded(
      session,
      tok,
      nameFilter,
      g.map((i) => texts[i]!),
      g.map((i) => enc[i]!),
    );
    g.forEach((i, k) => (out[i] = res[k]!));
  }
  return out;
}

/** Pads one group to its longest text, runs the encoder once and decodes every row. */
async function runPadded(
  session: ModelSession,
  tok: OffsetWordPiece,
  nameFilter: NameFilter,
  texts: string[],
  enc: OffsetEncoding[],
): Promise<ModelOutput[]> {
  const B = texts.length;
  const T = Math.max(...enc.map((e) => e.ids.length));
  const ids = new BigInt64Array(B * T);
  const mask = new BigInt64Array(B * T);
  enc.forEach((e, b) => {
    for (let t = 0; t < T; t++) {
      ids[b * T + t] = BigInt(t < e.ids.length ? e.ids[t]! : tok.pad);
      mask[b * T + t] = t < e.ids.length ? 1n : 0n;
    }
  });
  const out = await session.run({ input_ids: new ort.Tensor("int64", ids, [B, T]), attention_mask: new ort.Tensor("int64", mask, [B, T]) });
  const get = (k: string) => {
    const v = out[k];
    if (!v) throw new Error(`accurate model output ${k} missing`);
    return v.data as Float32Array;
  };
  const [sent, topic, tags] = [get("sentiment"), get("topic"), get("tags")];
  const NT = ENCODER_TAGS.length;
  const res = texts.map((text, b) => {
    const e = enc[b]!;
    const names = filterNames(
      text,
      decodeNameSpans(text, tags.subarray(b * T * NT, (b + 1) * T * NT), e.offsets, e.ids.length),
      nameFilter,
    );
    return decodeEncoderItem(text, sent.subarray(b * 3, b * 3 + 3), topic.subarray(b * 20, b * 20 + 20), names);
  });
  for (const v of Object.values(out)) v.dispose?.();
  return res;
}

/**
 * Loads the accurate tier (a fine-tuned pretrained encoder, int8 ONNX) into an onnxruntime-node session — CUDA when
 * the build has it — behind the same dynamic batcher as the fast model.
 */
export async function loadAccurateScorer(dir: string, opts: AccurateOptions = {}): Promise<AccurateScorer> {
  const md = await readEncoderDir(dir);
  const { session, provider } = await createSession(md.onnx, opts);
  for (const name of ["input_ids", "attention_mask"]) {
    if (!session.inputNames.includes(name)) throw new Error(`accurate model dir ${dir}: model.onnx has no input ${name}`);
  }
  // Only the manifest and tokenizer stay referenced: the model bytes live in the session now.
  const { manifest, tokenizer } = md;
  const run = (texts: string[]) =>
    runBatch(session, tokenizer, manifest.maxLen, opts.nameFilter ?? DEFAULT_NAME_FILTER, opts.lengthGroups ?? true, texts);
  return { manifest, provider, tokenizer, ...batchedSession(manifest.id, session, run, opts) };
}
