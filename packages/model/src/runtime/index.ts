export { loadScorer, type ScorerOptions, type OnnxScorer } from "./scorer.ts";
export { Manifest, DataSource, Quantization, MANIFEST_FILE, MODEL_FILES } from "./manifest.ts";
export { readModelDir, sha256, type ModelDir } from "./files.ts";
export { createSession, type ExecutionProvider, type SessionOptions } from "./session.ts";
export type { ModelSession } from "./worker-session.ts";
export { DynamicBatcher } from "./batcher.ts";
export { decodeItem, decodeEntities, type RawItemOutput } from "./decode.ts";
export { writeModelDir, type WriteModelInput } from "./write.ts";
export { quantizeModelDir, type QuantizeModelOptions, type QuantizeModelResult } from "./quantize.ts";
export {
  CascadeScorer,
  DEFAULT_SENTIMENT_BLEND,
  escalatedOutput,
  escalates,
  leastConfidence,
  uncoveredName,
  type CascadeOptions,
} from "./cascade.ts";
export { blendSentiment } from "./sentiment-blend.ts";
