import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ModelConfig } from "../nn/config.ts";
import { saveWeights, WEIGHTS_BIN } from "../nn/io.ts";
import { paramCount, type RawWeights } from "../nn/weights.ts";
import { buildOnnxModel } from "../onnx/graph.ts";
import type { Tokenizer } from "../tokenizer/index.ts";
import { sha256 } from "./files.ts";
import { Manifest, MANIFEST_FILE, MODEL_FILES } from "./manifest.ts";

export interface WriteModelInput {
  id: string;
  parent?: string | null;
  config: ModelConfig;
  raw: RawWeights;
  tokenizer: Tokenizer;
  metrics?: Manifest["metrics"];
  data?: Manifest["data"];
  training?: Record<string, unknown>;
  /** Markdown for MODEL_CARD.md (a minimal card is written when omitted). */
  card?: string;
  createdAt?: Date;
}

/** Writes a complete model directory: tfjs weights, ONNX graph, tokenizer, metrics, card and a validated manifest. */
export async function writeModelDir(dir: string, m: WriteModelInput): Promise<Manifest> {
  await mkdir(dir, { recursive: true });
  await saveWeights(dir, m.config, m.raw);
  const onnx = buildOnnxModel(m.config, m.raw, { id: m.id });
  await writeFile(join(dir, MODEL_FILES.onnx), onnx);
  const tokJson = JSON.stringify(m.tokenizer.toJSON());
  await writeFile(join(dir, MODEL_FILES.tokenizer), tokJson);
  const metrics = m.metrics ?? {};
  await writeFile(join(dir, MODEL_FILES.metrics), JSON.stringify(metrics, null, 2) + "\n");
  const manifest = Manifest.parse({
    format: "finsentry-model/1",
    id: m.id,
    created_at: (m.createdAt ?? new Date()).toISOString(),
    parent: m.parent ?? null,
    maxLen: m.config.maxLen,
    sizes: {
      vocabSize: m.config.vocabSize,
      dModel: m.config.dModel,
      nLayers: m.config.nLayers,
      nHeads: m.config.nHeads,
      dFF: m.config.dFF,
      params: paramCount(m.config),
      ...(m.config.wide ? { wide: true as const } : {}),
    },
    files: {
      onnx: sha256(onnx),
      tokenizer: sha256(Buffer.from(tokJson, "utf8")),
      weightsBin: sha256(await readFile(join(dir, WEIGHTS_BIN))),
    },
    metrics,
    data: m.data ?? { sources: [] },
    ...(m.training ? { training: m.training } : {}),
  });
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  await writeFile(join(dir, MODEL_FILES.card), m.card ?? `# Model ${m.id}\n\nNo card was provided for this model.\n`);
  return manifest;
}
