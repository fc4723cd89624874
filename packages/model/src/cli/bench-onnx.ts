#!/usr/bin/env tsx
/**
 * Times float32 vs dynamically quantized int8 copies of a BERT-style ONNX (inputs input_ids + attention_mask, e.g.
 * the accurate tier's export) in ONE process, in alternating rounds, and checks their argmax agreement on real texts.
 *   npm run quantize:onnx -- --in /tmp/accurate-out/accurate.onnx --out /tmp/accurate-int8.onnx
 *   npx tsx packages/model/src/cli/bench-onnx.ts --fp32 /tmp/accurate-out/accurate.onnx --int8 /tmp/accurate-int8.onnx \
 *     --vocab infra/pretrained/bge-small-en-v1.5/tokenizer.json --texts ../shared/data/twitter-financial-news-sentiment/train.csv
 * Texts are read at run time (first --n rows of the CSV's `text` column) and never written anywhere. Optional
 * --student <dir> also times a finsentry model directory's model.onnx (input_ids only) in the same rounds.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import * as ort from "onnxruntime-node";
import { wordPieceIds, wordPieceVocab, type WordPieceVocab } from "../pretrained/wordpiece.ts";

const cmd = new Command("bench-onnx")
  .requiredOption("--fp32 <file>", "float32 ONNX")
  .requiredOption("--int8 <file>", "quantized ONNX")
  .requiredOption("--vocab <tokenizer.json>", "BERT WordPiece tokenizer.json")
  .requiredOption("--texts <csv>", "CSV with a text column (first column)")
  .option("--n <rows>", "texts for the agreement check", "300")
  .option("--max-len <n>", "max pieces per text in the agreement check", "128")
  .option("--seq <list>", "sequence lengths to time (batch 64)", "32,64")
  .option("--batch <n>", "batch size for timing", "64")
  .option("--threads <n>", "intra-op threads", "2")
  .option("--rounds <n>", "alternating rounds per sequence length", "5")
  .option("--seconds <s>", "minimum timing window per model per round", "2")
  .option("--margin <x>", "also report agreement where fp32's top-1 − top-2 output is at least this", "1")
  .option("--student <dir>", "also time this finsentry model directory's model.onnx");

/** Minimal CSV reader (quoted fields, "" escapes) returning the first column of the first n data rows. */
function firstColumn(csv: string, n: number): string[] {
  const out: string[] = [];
  let i = csv.indexOf("\n") + 1; // skip header
  while (i < csv.length && out.length < n) {
    let field = "";
    if (csv[i] === '"') {
      i++;
      for (;;) {
        const j = csv.indexOf('"', i);
        if (j < 0) throw new Error("unterminated quote");
        field += csv.slice(i, j);
        i = j + 1;
        if (csv[i] === '"') {
          field += '"';
          i++;
        } else break;
      }
    } else {
      let j = i;
      while (j < csv.length && csv[j] !== "," && csv[j] !== "\n") j++;
      field = csv.slice(i, j);
      i = j;
    }
    const eol = csv.indexOf("\n", i);
    i = eol < 0 ? csv.length : eol + 1;
    if (field.trim()) out.push(field);
  }
  return out;
}

/** BERT basic tokenisation (whitespace, punctuation split, lowercase/accents via wordPieceIds) + WordPiece. */
function encode(text: string, v: WordPieceVocab, maxLen: number): number[] {
  const id = (p: string) => v.ids.get(p)!;
  const ids = [id("[CLS]")];
  const words = text
    .replace(/[\u0000\ufffd\p{Cc}]/gu, " ")
    .split(/\s+/u)
    .flatMap((w) => w.split(/([\p{P}\p{S}])/u))
    .filter((w) => w.length > 0);
  for (const w of words) {
    const p = wordPieceIds(w, v);
    ids.push(...(p.length ? p : [id("[UNK]")]));
    if (ids.length >= maxLen - 1) break;
  }
  return [...ids.slice(0, maxLen - 1), id("[SEP]")];
}

function batchFeeds(rows: number[][], T: number, withMask = true): Record<string, ort.Tensor> {
  const B = rows.length;
  const ids = new BigInt64Array(B * T);
  const mask = new BigInt64Array(B * T);
  rows.forEach((r, b) =>
    r.slice(0, T).forEach((x, t) => {
      ids[b * T + t] = BigInt(x);
      mask[b * T + t] = 1n;
    }),
  );
  return withMask
    ? { input_ids: new ort.Tensor("int64", ids, [B, T]), attention_mask: new ort.Tensor("int64", mask, [B, T]) }
    : { input_ids: new ort.Tensor("int64", ids, [B, T]) };
}

const argmax = (a: Float32Array, off: number, K: number) => {
  let m = 0;
  for (let k = 1; k < K; k++) if (a[off + k]! > a[off + m]!) m = k;
  return m;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  cmd.parse();
  const a = cmd.opts<{
    fp32: string;
    int8: string;
    vocab: string;
    texts: string;
    n: string;
    maxLen: string;
    seq: string;
    batch: string;
    threads: string;
    rounds: string;
    seconds: string;
    margin: string;
    student?: string;
  }>();
  const opt: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: Number(a.threads),
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  };
  const vocab = wordPieceVocab(JSON.parse(await readFile(a.vocab, "utf8")));
  const texts = firstColumn(await readFile(a.texts, "utf8"), Number(a.n));
  const enc = texts.map((t) => encode(t, vocab, Number(a.maxLen)));
  const lens = enc.map((e) => e.length).sort((x, y) => x - y);
  console.log(`${texts.length} texts, pieces median ${lens[lens.length >> 1]} max ${lens[lens.length - 1]}`);
  const [{ size: s32 }, { size: s8 }] = await Promise.all([
    import("node:fs/promises").then((f) => f.stat(a.fp32)),
    import("node:fs/promises").then((f) => f.stat(a.int8)),
  ]);
  console.log(`size: fp32 ${(s32 / 2 ** 20).toFixed(1)} MiB, int8 ${(s8 / 2 ** 20).toFixed(1)} MiB (${(s32 / s8).toFixed(2)}× smaller)`);
  const fp32 = await ort.InferenceSession.create(a.fp32, opt);
  const int8 = await ort.InferenceSession.create(a.int8, opt);

  // Agreement: batches of 32, padded to the longest text in the batch.
  const agree: Record<string, [number, number]> = { sentiment: [0, 0], topic: [0, 0], tags: [0, 0] };
  const maxDiff: Record<string, number> = { sentiment: 0, topic: 0, tags: 0 };
  // Agreement where float32 is confident: top-1 minus top-2 output ≥ --margin (logits: 1 ≈ 2.7× odds).
  const confident: Record<string, [number, number]> = { sentiment: [0, 0], topic: [0, 0], tags: [0, 0] };
  const margin = (x: Float32Array, off: number, K: number) => {
    const v = Array.from(x.subarray(off, off + K)).sort((p, q) => q - p);
    return v[0]! - v[1]!;
  };
  for (let s = 0; s < enc.length; s += 32) {
    const rows = enc.slice(s, s + 32);
    const T = Math.max(...rows.map((r) => r.length));
    const feeds = batchFeeds(rows, T);
    const [o32, o8] = [await fp32.run(feeds), await int8.run(feeds)];
    for (const head of ["sentiment", "topic", "tags"]) {
      const x = o32[head]!.data as Float32Array;
      const y = o8[head]!.data as Float32Array;
      const K = o32[head]!.dims[o32[head]!.dims.length - 1]!;
      for (let b = 0; b < rows.length; b++) {
        const positions = head === "tags" ? rows[b]!.map((_, t) => (b * T + t) * K) : [b * K];
        for (const off of positions) {
          agree[head]![1]++;
          const same = argmax(x, off, K) === argmax(y, off, K);
          if (same) agree[head]![0]++;
          if (margin(x, off, K) >= Number(a.margin)) {
            confident[head]![1]++;
            if (same) confident[head]![0]++;
          }
          for (let k = 0; k < K; k++) maxDiff[head] = Math.max(maxDiff[head]!, Math.abs(x[off + k]! - y[off + k]!));
        }
      }
    }
  }
  const pct = (p: [number, number]) => `${p[0]}/${p[1]} = ${((100 * p[0]) / p[1]).toFixed(2)} %`;
  for (const h of Object.keys(agree))
    console.log(
      `agreement ${h}: ${pct(agree[h]!)} argmax, max |Δ output| ${maxDiff[h]!.toFixed(4)}; where fp32 margin ≥ ${a.margin}: ${pct(confident[h]!)}`,
    );

  // Throughput: alternating rounds, batch × T real texts truncated / padded to T.
  let student: ort.InferenceSession | null = null;
  if (a.student) student = await ort.InferenceSession.create(join(a.student, "model.onnx"), opt);
  const B = Number(a.batch);
  for (const T of Number(a.rounds) > 0 ? a.seq.split(",").map(Number) : []) {
    const rows = Array.from({ length: B }, (_, i) => enc[i % enc.length]!);
    const feeds = batchFeeds(rows, T); // shorter texts padded (mask 0): the graph computes all T positions either way
    const studentFeeds = batchFeeds(
      Array.from({ length: B }, (_, i) => Array.from({ length: T }, (_, t) => (t === 0 ? 2 : 5 + ((i * 31 + t * 7) % 900)))),
      T,
      false,
    );
    const models: [string, ort.InferenceSession, Record<string, ort.Tensor>][] = [
      ["fp32", fp32, feeds],
      ["int8", int8, feeds],
    ];
    if (student) models.push(["student", student, studentFeeds]);
    for (const [, s, f] of models) await s.run(f); // warm-up
    const rates: Record<string, number[]> = Object.fromEntries(models.map(([n]) => [n, []]));
    for (let r = 0; r < Number(a.rounds); r++)
      for (const [name, s, f] of models) {
        let n = 0;
        const t0 = performance.now();
        while (performance.now() - t0 < Number(a.seconds) * 1000 || n < 2) {
          await s.run(f);
          n++;
        }
        rates[name]!.push((n * B * 1000) / (performance.now() - t0));
      }
    const line = models
      .map(([n]) => `${n} ${median(rates[n]!).toFixed(0)} items/s [${rates[n]!.map((x) => x.toFixed(0)).join(", ")}]`)
      .join("; ");
    const ratios = rates["int8"]!.map((x, i) => x / rates["fp32"]![i]!);
    console.log(
      `batch ${B} × ${T}: ${line}; int8/fp32 per round ${ratios.map((x) => x.toFixed(2)).join(", ")} (median ${median(ratios).toFixed(2)})` +
        (student ? `; student/int8 ${(median(rates["student"]!) / median(rates["int8"]!)).toFixed(1)}×` : ""),
    );
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
