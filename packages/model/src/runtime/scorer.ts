import * as ort from "onnxruntime-node";
import type { ModelOutput } from "@finsentry/schemas";
import { N_SENTIMENT, N_TAGS, N_TOPIC } from "../nn/config.ts";
import { ONNX_INPUT, ONNX_OUTPUTS } from "../onnx/graph.ts";
import type { Tokenizer } from "../tokenizer/index.ts";
import type { TextScorer } from "../types.ts";
import { DynamicBatcher } from "./batcher.ts";
import { decodeItem } from "./decode.ts";
import { readModelDir } from "./files.ts";
import type { Manifest } from "./manifest.ts";
import { createSession, type SessionOptions } from "./session.ts";
import type { ModelSession } from "./worker-session.ts";

export interface ScorerOptions extends SessionOptions {
  /** Largest batch one session.run sees (default 64). */
  maxBatch?: number;
  /** How long the first waiting request waits for company (default 2 ms). */
  maxWaitMs?: number;
}

export interface OnnxScorer extends TextScorer {
  readonly manifest: Manifest;
  readonly provider: "cpu" | "cuda";
  readonly tokenizer: Tokenizer;
}

/** Tokenises, runs one padded batch (padded only to the batch's longest text) and decodes each row. */
async function runBatch(session: ModelSession, tok: Tokenizer, maxLen: number, texts: string[]): Promise<ModelOutput[]> {
  const enc = tok.encodeBatch(texts, maxLen);
  const B = texts.length;
  const T = Math.max(2, ...enc.lengths);
  const ids = new BigInt64Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) ids[b * T + t] = BigInt(enc.ids[b * maxLen + t]!);
  const out = await session.run({ [ONNX_INPUT]: new ort.Tensor("int64", ids, [B, T]) });
  const get = (k: string) => {
    const v = out[k];
    if (!v) throw new Error(`model output ${k} missing`);
    return v.data as Float32Array;
  };
  const [sent, topic, tags, attn] = [
    get(ONNX_OUTPUTS.sentiment),
    get(ONNX_OUTPUTS.topic),
    get(ONNX_OUTPUTS.tags),
    get(ONNX_OUTPUTS.attention),
  ];
  const res = texts.map((text, b) =>
    decodeItem({
      text,
      sentiment: sent.subarray(b * N_SENTIMENT, (b + 1) * N_SENTIMENT),
      topic: topic.subarray(b * N_TOPIC, (b + 1) * N_TOPIC),
      tags: tags.subarray(b * T * N_TAGS, (b + 1) * T * N_TAGS),
      attention: attn.subarray(b * T, (b + 1) * T),
      length: enc.lengths[b]!,
      offsets: enc.offsets.subarray(b * maxLen * 2, (b + 1) * maxLen * 2),
    }),
  );
  for (const v of Object.values(out)) v.dispose?.();
  return res;
}

/**
 * Loads a model directory (manifest, hashes, tokenizer validated) into an onnxruntime-node session behind a dynamic
 * batcher: concurrent score() calls share session.run calls of up to maxBatch texts.
 */
export async function loadScorer(dir: string, opts: ScorerOptions = {}): Promise<OnnxScorer> {
  const md = await readModelDir(dir);
  const { session, provider } = await createSession(md.onnx, opts);
  // Only the manifest and tokenizer stay referenced: the model bytes live in the session now.
  const { manifest, tokenizer } = md;
  return {
    manifest,
    provider,
    tokenizer,
    ...batchedSession(manifest.id, session, (texts) => runBatch(session, tokenizer, manifest.maxLen, texts), opts),
  };
}

/**
 * A session behind a dynamic batcher as a TextScorer: concurrent score() calls share runs of up to maxBatch texts;
 * close drains the batcher, then releases the session. Shared by the fast model and the accurate tier.
 */
export function batchedSession(
  version: string,
  session: ModelSession,
  run: (texts: string[]) => Promise<ModelOutput[]>,
  opts: Pick<ScorerOptions, "maxBatch" | "maxWaitMs">,
): TextScorer {
  // Two batches at once: the next one is tokenised while the session's worker thread runs the current one.
  const batcher = new DynamicBatcher<string, ModelOutput>(run, opts.maxBatch ?? 64, opts.maxWaitMs ?? 2, 2);
  return {
    version,
    score: (texts) => (texts.length === 0 ? Promise.resolve([]) : batcher.submit(texts)),
    close: async () => {
      await batcher.close();
      await session.release();
    },
  };
}
