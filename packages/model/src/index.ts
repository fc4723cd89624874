// Serving entry point: nothing imported here loads TensorFlow.js (it costs memory and start-up time in every
// process that only scores). Training code is reached through `fineTune` (lazy) or src/train directly.
import type { Example } from "./data/example.ts";
import type { FineTuneOptions } from "./train/finetune.ts";

export type { TextScorer } from "./types.ts";
export {
  CascadeScorer,
  DEFAULT_SENTIMENT_BLEND,
  leastConfidence,
  type CascadeOptions,
  loadScorer,
  writeModelDir,
  readModelDir,
  Manifest,
  MODEL_FILES,
  type ScorerOptions,
  type OnnxScorer,
  type WriteModelInput,
  type ExecutionProvider,
} from "./runtime/index.ts";
export { loadAccurateScorer, readEncoderDir, EncoderManifest, OffsetWordPiece, type AccurateScorer } from "./accurate/index.ts";
export { ModelConfig, TAG_LABELS, DEFAULT_SIZES, BERT_BASE_SIZES } from "./nn/config.ts";
export { initRawWeights, paramCount, type RawWeights } from "./nn/weights.ts";
export { loadWeights, saveWeights } from "./nn/io.ts";
export { buildOnnxModel, ONNX_OUTPUTS, ONNX_INPUT } from "./onnx/index.ts";
export type { FineTuneOptions } from "./train/finetune.ts";
export type { TrainProgress } from "./train/trainer.ts";

/**
 * Continues training the model in `fromModelDir` on new labelled examples and writes a new model directory
 * (manifest.parent = the old id). Loads TensorFlow.js and picks its backend on first use.
 */
export async function fineTune(fromModelDir: string, examples: readonly Example[], opts: FineTuneOptions) {
  const [{ selectBackend }, train] = await Promise.all([import("./backend/index.ts"), import("./train/finetune.ts")]);
  await selectBackend(process.env.TFJS_BACKEND, opts.log);
  return train.fineTune(fromModelDir, examples, opts);
}
export type { Example } from "./data/example.ts";
// Metrics only (no TensorFlow.js): the trainer's gate scores champion and challenger with them.
export { classificationReport, entityReport, type ClassificationReport, type EntityReport } from "./eval/metrics.ts";
export { scoreTexts } from "./eval/curve.ts";
