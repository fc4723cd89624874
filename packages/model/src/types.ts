import type { ModelOutput } from "@finsentry/schemas";

/**
 * What the pipeline needs from a model: score a batch of texts in one pass.
 * Implementations: the ONNX multitask model (served by onnxruntime-node) and, until it exists, the lexicon baseline.
 */
export interface TextScorer {
  /** Immutable version id of the model that produced the outputs (stored with every score). */
  readonly version: string;
  score(texts: string[]): Promise<ModelOutput[]>;
  close(): Promise<void>;
}
