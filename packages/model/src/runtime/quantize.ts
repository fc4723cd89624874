import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { loadWeights } from "../nn/io.ts";
import { buildOnnxModel } from "../onnx/graph.ts";
import { int8WeightAxes } from "../onnx/quantize.ts";
import { readModelDir, sha256 } from "./files.ts";
import { Manifest, MANIFEST_FILE, MODEL_FILES } from "./manifest.ts";

export interface QuantizeModelOptions {
  /** Id of the new model (default: the source id + "-int8"). */
  id?: string;
  /**
   * Check that model.onnx is exactly what this exporter writes from weights.bin (default true), so the int8 model is
   * a quantization of the graph the source serves. Turn off only for a model exported by an older exporter.
   */
  verifySource?: boolean;
  createdAt?: Date;
}

export interface QuantizeModelResult {
  manifest: Manifest;
  bytes: { source: number; quantized: number };
}

/**
 * Writes an int8 copy of the model directory `srcDir` to `outDir`: model.onnx re-exported from the float32 weights
 * with `quantize: "int8"`, every other file copied unchanged (weights.bin stays float32 so the copy can be
 * fine-tuned), MODEL_CARD.md prefixed with a note, and a manifest with the new id, the new model.onnx hash and a
 * `quantization` record (source id and hash, quantized tensors, sizes). Dev metrics are carried over from the source.
 */
export async function quantizeModelDir(srcDir: string, outDir: string, opts: QuantizeModelOptions = {}): Promise<QuantizeModelResult> {
  if (resolve(srcDir) === resolve(outDir)) throw new Error("quantize: the output directory must differ from the source");
  const src = await readModelDir(srcDir);
  if (src.manifest.quantization) throw new Error(`quantize: ${srcDir} is already quantized (${src.manifest.quantization.dtype})`);
  const { config, raw } = await loadWeights(srcDir);
  if (config.maxLen !== src.manifest.maxLen || config.vocabSize !== src.manifest.sizes.vocabSize) {
    throw new Error(`quantize: weights.json config does not match the manifest of ${srcDir}`);
  }
  if (opts.verifySource !== false && sha256(buildOnnxModel(config, raw, { id: src.manifest.id })) !== src.manifest.files.onnx) {
    throw new Error(
      `quantize: ${srcDir}/${MODEL_FILES.onnx} is not what this exporter writes from its weights.bin (exported by an older version?); re-export it or skip the check`,
    );
  }
  const id = opts.id ?? `${src.manifest.id}-int8`;
  const onnx = buildOnnxModel(config, raw, { id }, { quantize: "int8" });

  await mkdir(outDir, { recursive: true });
  const regenerated = new Set<string>([MANIFEST_FILE, MODEL_FILES.onnx, MODEL_FILES.card]);
  for (const f of await readdir(srcDir)) {
    if (regenerated.has(f) || !(await stat(join(srcDir, f))).isFile()) continue;
    await copyFile(join(srcDir, f), join(outDir, f));
  }
  await writeFile(join(outDir, MODEL_FILES.onnx), onnx);

  const bytes = { source: src.onnx.byteLength, quantized: onnx.byteLength };
  const axes = int8WeightAxes(config);
  const manifest = Manifest.parse({
    ...src.manifest,
    id,
    created_at: (opts.createdAt ?? new Date()).toISOString(),
    files: { ...src.manifest.files, onnx: sha256(onnx) },
    quantization: {
      dtype: "int8",
      tensors: Object.fromEntries(Object.entries(axes).map(([name, axis]) => [name, { axis }])),
      source: { id: src.manifest.id, onnx: src.manifest.files.onnx },
      bytes,
      note: "weight-only symmetric int8 (zero point 0); metrics are the float32 source's dev metrics",
    },
  });
  await writeFile(join(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");

  const mb = (n: number) => (n / 1e6).toFixed(2);
  const card = await readFile(join(srcDir, MODEL_FILES.card), "utf8").catch(() => `# Model ${src.manifest.id}\n`);
  const note = [
    `> **\`${id}\`**: int8 copy of \`${src.manifest.id}\` written by \`npm run quantize\` on ${manifest.created_at.slice(0, 10)}.`,
    `> model.onnx ${mb(bytes.quantized)} MB (float32 source ${mb(bytes.source)} MB): ${Object.keys(axes).length} weight tensors stored as`,
    `> symmetric int8 (token embeddings per row, encoder matrices per output column); activations stay float32.`,
    `> The metrics below are the float32 source's; the int8 model's are in docs/model.md ("Quantization").`,
  ].join("\n");
  // After the card's title line when it has one, else on top.
  const nl = card.indexOf("\n");
  const out = card.startsWith("# ") && nl > 0 ? `${card.slice(0, nl + 1)}\n${note}\n${card.slice(nl + 1)}` : `${note}\n\n${card}`;
  await writeFile(join(outDir, MODEL_FILES.card), out);
  return { manifest, bytes };
}
