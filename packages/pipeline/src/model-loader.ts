import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "@finsentry/core";
import type { TextScorer } from "@finsentry/model";
import * as model from "@finsentry/model";
import { LexiconBaselineScorer } from "./lexicon-baseline.ts";

/** The model bundled with the repository. */
export const BUNDLED_MODEL_DIR = fileURLToPath(new URL("../../../models/default", import.meta.url));

/**
 * Loads the multitask ONNX model from `dir` (default: the bundled one). Falls back to the lexicon baseline only
 * when no model directory exists, and says so loudly; a model directory that fails validation is an error.
 */
export async function loadTextScorer(log: Logger, dir = BUNDLED_MODEL_DIR): Promise<TextScorer> {
  const loadScorer = (model as Record<string, unknown>).loadScorer as ((d: string) => Promise<TextScorer>) | undefined;
  if (loadScorer && existsSync(join(dir, "manifest.json"))) {
    const s = await loadScorer(dir);
    log.info({ model: s.version, dir }, "model loaded");
    return s;
  }
  log.warn({ dir }, "no trained model found: scoring with the LEXICON BASELINE (not the multitask model)");
  return new LexiconBaselineScorer();
}
