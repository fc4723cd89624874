import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "@finsentry/core";
import * as model from "@finsentry/model";
import type { TextScorer } from "@finsentry/model";
import { LexiconBaselineScorer } from "./lexicon-baseline.ts";

/** The model bundled with the repository. */
export const BUNDLED_MODEL_DIR = fileURLToPath(new URL("../../../models/default", import.meta.url));

/** The scorer cannot start: its message is the one line an operator needs. */
export class ModelLoadError extends Error {
  override name = "ModelLoadError";
}

/**
 * Loads the multitask ONNX model from `dir` (default: the bundled one). A directory without a manifest is an error
 * naming the directory: a mistyped MODEL_DIR must not quietly score with regexes. The lexicon baseline serves only
 * when asked for (`SCORER_FALLBACK=lexicon`), and then says so at every start.
 */
export async function loadTextScorer(log: Logger, dir = BUNDLED_MODEL_DIR, fallback: "none" | "lexicon" = "none"): Promise<TextScorer> {
  if (existsSync(join(dir, "manifest.json"))) {
    const s = await model.loadScorer(dir).catch((err: unknown) => {
      throw new ModelLoadError(`MODEL_DIR ${dir} holds an invalid model: ${err instanceof Error ? err.message : String(err)}`);
    });
    log.info({ model: s.version, dir }, "model loaded");
    return s;
  }
  if (fallback === "lexicon") {
    log.warn({ dir }, "SCORER_FALLBACK=lexicon and no model found: scoring with the LEXICON BASELINE (regexes, not the multitask model)");
    return new LexiconBaselineScorer();
  }
  throw new ModelLoadError(
    `no model at MODEL_DIR ${dir} (no manifest.json): point MODEL_DIR at a model version directory, or set SCORER_FALLBACK=lexicon to score with the regex baseline on purpose`,
  );
}
