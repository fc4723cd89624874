import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Example } from "../data/example.ts";
import { loadWeights } from "../nn/io.ts";
import { readModelDir, sha256 } from "../runtime/files.ts";
import type { Manifest } from "../runtime/manifest.ts";
import { MODEL_FILES } from "../runtime/manifest.ts";
import { saveTrained } from "./save.ts";
import { trainModel, type TrainInput, type TrainProgress, type TrainResult } from "./trainer.ts";
import type { TrainOptionsInput } from "./options.ts";

export interface FineTuneOptions {
  /** Where the new model directory goes. */
  outDir: string;
  /** New model id (default `<parent>-ft-<timestamp>`). */
  id?: string;
  dev?: readonly Example[];
  /** Defaults for online learning: few epochs, low LR, short warm-up. */
  train?: TrainOptionsInput;
  log?: (line: string) => void;
  /** Unlabelled texts (e.g. recent stream items) for continued masked-token training; used when `train.mlmEpochs` > 0. */
  unlabelled?: readonly string[];
  /** Structured progress after every step (epoch, step/total, per-task losses, examples/s, ETA). */
  onProgress?: (p: TrainProgress) => void;
}

/**
 * Continues training an existing model on new labelled examples (online learning). The tokenizer is reused
 * unchanged (ids must keep their meaning); the result records the parent id in its manifest.
 */
export async function fineTune(
  fromModelDir: string,
  examples: readonly Example[],
  opts: FineTuneOptions,
): Promise<{ manifest: Manifest; result: TrainResult }> {
  const parent = await readModelDir(fromModelDir);
  const wbin = await readFile(join(fromModelDir, MODEL_FILES.weightsBin));
  if (sha256(wbin) !== parent.manifest.files.weightsBin) throw new Error(`${fromModelDir}: weights.bin sha256 does not match the manifest`);
  const { config, raw } = await loadWeights(fromModelDir);
  const input: TrainInput = {
    train: examples,
    dev: opts.dev ?? [],
    tokenizer: parent.tokenizer,
    init: { config, raw },
    options: { epochs: 2, lr: 2e-4, warmupFrac: 0.1, patience: 0, ...opts.train },
    log: opts.log,
    ...(opts.unlabelled?.length ? { unlabelled: opts.unlabelled } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
  const result = await trainModel(input);
  const id = opts.id ?? `${parent.manifest.id}-ft-${new Date().toISOString().replace(/[:.]/g, "").slice(0, 15)}`;
  const manifest = await saveTrained(opts.outDir, result, {
    id,
    parent: parent.manifest.id,
    tokenizer: parent.tokenizer,
    train: examples,
    command: `fineTune(${JSON.stringify(fromModelDir)}, <${examples.length} examples>)`,
    backend: "tfjs",
  });
  return { manifest, result };
}
