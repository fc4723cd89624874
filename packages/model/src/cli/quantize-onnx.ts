#!/usr/bin/env tsx
/**
 * Dynamic int8 quantization of any ONNX file (onnxruntime's quantize_dynamic construction for MatMul; see
 * onnx/dynamic.ts), e.g. the accurate tier's PyTorch export:
 *   npm run quantize:onnx -- --in /tmp/accurate-out/accurate.onnx --out /tmp/accurate-int8.onnx
 * Weights are 7-bit (±63) unless --full-range: 8-bit weights saturate onnxruntime's u8×s8 kernel on x86 CPUs without
 * VNNI, so the model would read differently there. Prints the sizes and how many MatMuls were quantized or kept (and why).
 */
import { readFile, writeFile } from "node:fs/promises";
import { Command } from "commander";
import { quantizeDynamicOnnx } from "../onnx/dynamic.ts";

const cmd = new Command("quantize:onnx")
  .description("dynamic int8 quantization of the constant-weight MatMuls of an ONNX graph")
  .requiredOption("--in <file>", "float32 ONNX model")
  .requiredOption("--out <file>", "ONNX file to write")
  .option("--gather", "also store Gather embedding tables as int8 (one scale per row)")
  .option("--per-tensor", "one weight scale per matrix (default: one per output column)")
  .option("--full-range", "8-bit weights (default 7-bit: 8-bit saturates on x86 CPUs without VNNI)")
  .option("--per-row", "one activation scale per row (token): results independent of the batch")
  .option("--no-share", "one DynamicQuantizeLinear per MatMul instead of one per distinct activation")
  .option("--min-elements <n>", "leave weights with fewer elements in float", "0")
  .option("--exclude <names>", "comma-separated initializer names to leave in float", "")
  .option("--json", "print one JSON object on stdout");

async function main(): Promise<void> {
  cmd.parse();
  const a = cmd.opts<{
    in: string;
    out: string;
    perTensor?: boolean;
    fullRange?: boolean;
    perRow?: boolean;
    gather?: boolean;
    share: boolean;
    minElements: string;
    exclude: string;
    json?: boolean;
  }>();
  if (a.in === a.out) throw new Error("--out must differ from --in");
  const t0 = performance.now();
  const { bytes, report } = quantizeDynamicOnnx(await readFile(a.in), {
    perChannel: !a.perTensor,
    fullRange: !!a.fullRange,
    perRowActivations: !!a.perRow,
    gather: !!a.gather,
    shareActivationQuant: a.share,
    minElements: Number(a.minElements),
    exclude: a.exclude ? a.exclude.split(",") : [],
  });
  await writeFile(a.out, bytes);
  const ms = performance.now() - t0;
  if (a.json) {
    console.log(JSON.stringify({ in: a.in, out: a.out, ms: Math.round(ms), ...report }));
    return;
  }
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  console.log(
    `${a.in}: ${mib(report.bytesIn)} MiB → ${a.out}: ${mib(report.bytesOut)} MiB (${(report.bytesIn / report.bytesOut).toFixed(2)}× smaller, ${(ms / 1000).toFixed(1)} s)`,
  );
  console.log(
    `MatMuls quantized: ${report.quantizedMatMuls} (${report.quantizedWeights} weights, ${(report.quantizedParams / 1e6).toFixed(2)} M params, ${report.activationQuantizers} activation quantizers)`,
  );
  if (report.quantizedGathers) console.log(`Gather tables quantized: ${report.quantizedGathers}`);
  console.log(
    `MatMuls kept float: ${report.keptMatMuls}${
      Object.keys(report.keptReasons).length
        ? ` (${Object.entries(report.keptReasons)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ")})`
        : ""
    }`,
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
