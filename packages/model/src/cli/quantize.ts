#!/usr/bin/env tsx
/**
 * Writes an int8 (weight-only) copy of a model directory and prints model.onnx's size before and after.
 *   npm run quantize -- --model models/default --out /tmp/finsentry-int8 [--id finsentry-default-v2-int8]
 * The new directory is complete (tokenizer, float32 weights for fine-tuning, metrics, card, manifest) and loads with
 * loadScorer like any other; its manifest records the quantization and the source model's id and model.onnx hash.
 */
import { Command } from "commander";
import { quantizeModelDir } from "../runtime/quantize.ts";

const cmd = new Command("quantize")
  .description("write an int8 weight-only copy of a model directory")
  .requiredOption("--model <dir>", "float32 model directory to quantize")
  .requiredOption("--out <dir>", "model directory to write (must differ from --model)")
  .option("--id <id>", "id of the new model (default: <source id>-int8)")
  .option("--no-verify-source", "skip checking that model.onnx is this exporter's export of weights.bin")
  .option("--json", "print one JSON object on stdout");

async function main(): Promise<void> {
  cmd.parse();
  const a = cmd.opts<{ model: string; out: string; id?: string; verifySource: boolean; json?: boolean }>();
  const { manifest, bytes } = await quantizeModelDir(a.model, a.out, { ...(a.id ? { id: a.id } : {}), verifySource: a.verifySource });
  const mb = (n: number) => (n / 1e6).toFixed(2);
  if (a.json) {
    console.log(JSON.stringify({ out: a.out, id: manifest.id, source: manifest.quantization!.source.id, bytes }));
    return;
  }
  console.log(`${manifest.quantization!.source.id} → ${manifest.id} in ${a.out}`);
  console.log(
    `model.onnx: ${mb(bytes.source)} MB (float32) → ${mb(bytes.quantized)} MB (int8), ${(bytes.source / bytes.quantized).toFixed(1)}× smaller`,
  );
  console.log(`int8 tensors: ${Object.keys(manifest.quantization!.tensors).join(", ")}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
