#!/usr/bin/env tsx
/**
 * Inference benchmark (wire as `npm run bench:model`): items/s through onnxruntime-node at batch 1/16/64 for the
 * bundled model vs a random-weight BERT-base-sized encoder at the same sequence length, end-to-end scorer
 * throughput, and the resident memory of a process holding the scorer.
 *   tsx packages/model/src/cli/bench.ts [--model models/default] [--seq-len 32] [--skip-bert]
 * Two models (e.g. float32 vs its int8 copy from `npm run quantize`), timed in alternating rounds so that load from
 * other processes hits both alike; median and best items/s and median process CPU µs per item per batch size, the
 * same end to end, and RSS for each:
 *   tsx packages/model/src/cli/bench.ts --model models/default --compare /tmp/finsentry-int8 [--rounds 5 --seconds 1]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import * as ort from "onnxruntime-node";
import { BERT_BASE_SIZES, ModelConfig } from "../nn/config.ts";
import { initRawWeights } from "../nn/weights.ts";
import { buildOnnxModel, ONNX_INPUT } from "../onnx/graph.ts";
import { readModelDir } from "../runtime/files.ts";
import { loadScorer, type OnnxScorer } from "../runtime/scorer.ts";
import { createSession } from "../runtime/session.ts";
import type { ModelSession } from "../runtime/worker-session.ts";
import { benchTiers, tierRssChild } from "./bench-tiers.ts";

const BATCHES = [1, 16, 64];

/** Session options of the bare-session rows: CPU, `session.run` on this thread (no worker hop in the timing). */
const bareSession = (threads?: number) => ({
  executionProvider: "cpu" as const,
  intraOpThreads: threads,
  thread: "main" as const,
  log: () => {},
});

/**
 * Items/s of session.run on random ids [batch, seqLen], timed over at least `minSeconds` after one warm-up run, and
 * the process CPU time per item (µs; far less sensitive than items/s to other processes sharing the cores).
 */
async function measure(
  s: ModelSession,
  vocab: number,
  batch: number,
  seqLen: number,
  minSeconds: number,
): Promise<{ ips: number; cpuUs: number }> {
  const ids = new BigInt64Array(batch * seqLen);
  for (let i = 0; i < ids.length; i++) ids[i] = BigInt(8 + ((i * 7919) % (vocab - 8)));
  for (let b = 0; b < batch; b++) ids[b * seqLen] = 2n; // [CLS]
  const feed = { [ONNX_INPUT]: new ort.Tensor("int64", ids, [batch, seqLen]) };
  await s.run(feed);
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < minSeconds * 1000 || n < 2) {
    await s.run(feed);
    n++;
  }
  const cpu = process.cpuUsage(c0);
  return { ips: (n * batch) / ((performance.now() - t0) / 1000), cpuUs: (cpu.user + cpu.system) / (n * batch) };
}

const throughput = async (...a: Parameters<typeof measure>): Promise<number> => (await measure(...a)).ips;

/** Child mode: hold a scorer, score a little, print RSS in MB. */
async function rssChild(dir: string): Promise<void> {
  const scorer = await loadScorer(dir, { executionProvider: "cpu", log: () => {} });
  const texts = Array.from(
    { length: 256 },
    (_, i) => `Shares of Example Corp ($EXM) rose ${i % 17}% after earnings beat estimates in New York`,
  );
  for (let i = 0; i < 4; i++) await scorer.score(texts);
  globalThis.gc?.();
  console.log(JSON.stringify({ rssMB: process.memoryUsage().rss / 2 ** 20 }));
  await scorer.close();
}

/** RSS of a child process holding a scorer on `dir`. */
function childRss(dir: string): number {
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", fileURLToPath(import.meta.url), "--rss-child", "--model", dir],
    { encoding: "utf8" },
  );
  return (JSON.parse(out.trim().split("\n").pop()!) as { rssMB: number }).rssMB;
}

/** End-to-end scorer items/s (and process CPU µs/item): 64 concurrent single-text calls coalesced by the batcher. */
async function scorerThroughput(scorer: OnnxScorer, seconds: number): Promise<{ ips: number; cpuUs: number }> {
  const texts = Array.from(
    { length: 64 },
    (_, i) => `Shares of Example Corp ($EXM) rose ${i % 17}% to $${40 + i} after earnings beat estimates`,
  );
  await scorer.score(texts);
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < seconds * 1000) {
    await Promise.all(texts.map((t) => scorer.score([t])));
    n += texts.length;
  }
  const cpu = process.cpuUsage(c0);
  return { ips: n / ((performance.now() - t0) / 1000), cpuUs: (cpu.user + cpu.system) / n };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** `--compare`: two model directories timed in alternating rounds (session items/s per batch, scorer end to end, RSS). */
async function compareModels(
  dirs: [string, string],
  o: { seqLen: number; seconds: number; rounds: number; threads?: number; json?: boolean },
): Promise<void> {
  const say = (l: string) => (o.json ? undefined : console.log(l));
  const sess = bareSession(o.threads);
  const mds = await Promise.all(dirs.map((d) => readModelDir(d)));
  const sessions = await Promise.all(mds.map(async (md) => (await createSession(md.onnx, sess)).session));
  const ids = mds.map((m) => m.manifest.id);
  say(
    `${ids[0]} (model.onnx ${(mds[0]!.onnx.byteLength / 1e6).toFixed(2)} MB) vs ${ids[1]} (${(mds[1]!.onnx.byteLength / 1e6).toFixed(2)} MB); seq len ${o.seqLen}, ${o.rounds} alternating rounds of ${o.seconds} s`,
  );
  const perBatch: Record<number, { median: number[]; best: number[]; cpuUsPerItem: number[] }> = {};
  for (const b of BATCHES) {
    const runs: { ips: number; cpuUs: number }[][] = [[], []];
    for (let r = 0; r < o.rounds; r++)
      for (let k = 0; k < 2; k++) runs[k]!.push(await measure(sessions[k]!, mds[k]!.manifest.sizes.vocabSize, b, o.seqLen, o.seconds));
    perBatch[b] = {
      median: runs.map((x) => median(x.map((y) => y.ips))),
      best: runs.map((x) => Math.max(...x.map((y) => y.ips))),
      cpuUsPerItem: runs.map((x) => median(x.map((y) => y.cpuUs))),
    };
    const { median: m, best, cpuUsPerItem: cpu } = perBatch[b]!;
    say(
      `  batch ${String(b).padStart(2)}: median ${m[0]!.toFixed(0)} vs ${m[1]!.toFixed(0)} items/s (ratio ${(m[1]! / m[0]!).toFixed(2)}); best ${best.map((x) => x.toFixed(0)).join(" vs ")}; ` +
        `CPU ${cpu.map((x) => x.toFixed(0)).join(" vs ")} µs/item (ratio ${(cpu[1]! / cpu[0]!).toFixed(2)})`,
    );
  }
  await Promise.all(sessions.map((s) => s.release()));
  const scorers = await Promise.all(dirs.map((d) => loadScorer(d, { ...sess, maxBatch: 64, maxWaitMs: 2 })));
  const e2eRuns: { ips: number; cpuUs: number }[][] = [[], []];
  for (let r = 0; r < o.rounds; r++) for (let k = 0; k < 2; k++) e2eRuns[k]!.push(await scorerThroughput(scorers[k]!, o.seconds));
  await Promise.all(scorers.map((s) => s.close()));
  const e2e = e2eRuns.map((x) => median(x.map((y) => y.ips)));
  const e2eCpuUs = e2eRuns.map((x) => median(x.map((y) => y.cpuUs)));
  say(
    `  scorer end-to-end (64 concurrent calls): median ${e2e[0]!.toFixed(0)} vs ${e2e[1]!.toFixed(0)} items/s (ratio ${(e2e[1]! / e2e[0]!).toFixed(2)}); ` +
      `CPU ${e2eCpuUs.map((x) => x.toFixed(0)).join(" vs ")} µs/item (ratio ${(e2eCpuUs[1]! / e2eCpuUs[0]!).toFixed(2)})`,
  );
  const rssMB = dirs.map(childRss);
  say(`  RSS of a process holding the scorer: ${rssMB.map((x) => x.toFixed(0)).join(" vs ")} MB`);
  if (o.json)
    console.log(
      JSON.stringify({
        models: ids,
        onnxBytes: mds.map((m) => m.onnx.byteLength),
        seqLen: o.seqLen,
        rounds: o.rounds,
        perBatch,
        e2e,
        e2eCpuUs,
        rssMB,
      }),
    );
}

/**
 * Candidate sizes for docs/model.md: inference cost of each at batch 64 (vocab 8000), and its ratio to the BERT-base
 * encoder timed in the same process (the speed target is ≥ 50×). Then the shapes of Turc et al.'s pre-trained BERT
 * miniatures (Tiny 2/128, Mini 4/256, Small 4/512; FFN 4 × d) and of the two teacher encoders (infra/teacher), to show
 * which pre-trained shapes the target admits.
 */
async function sizeSweep(seqLen: number, seconds: number, threads?: number): Promise<void> {
  const sizes: { name?: string; dModel: number; nLayers: number; nHeads: number; dFF: number }[] = [
    { dModel: 128, nLayers: 2, nHeads: 4, dFF: 256 },
    { dModel: 128, nLayers: 2, nHeads: 4, dFF: 512 },
    { dModel: 128, nLayers: 4, nHeads: 4, dFF: 512 },
    { dModel: 192, nLayers: 3, nHeads: 4, dFF: 384 },
    { dModel: 256, nLayers: 2, nHeads: 4, dFF: 512 },
    { dModel: 256, nLayers: 4, nHeads: 8, dFF: 1024 },
    { name: "BERT-Tiny shape", dModel: 128, nLayers: 2, nHeads: 2, dFF: 512 },
    { name: "BERT-Mini shape", dModel: 256, nLayers: 4, nHeads: 4, dFF: 1024 },
    { name: "BERT-Small shape", dModel: 512, nLayers: 4, nHeads: 8, dFF: 2048 },
    { name: "MiniLM-L6 / teacher t2 shape", dModel: 384, nLayers: 6, nHeads: 12, dFF: 1536 },
    { name: "bge-small / teacher b3 shape", dModel: 384, nLayers: 12, nHeads: 12, dFF: 1536 },
  ];
  const sess = bareSession(threads);
  const bertCfg = ModelConfig.parse({ ...BERT_BASE_SIZES, maxLen: 512, padId: 0 });
  const { session: bs } = await createSession(buildOnnxModel(bertCfg, initRawWeights(bertCfg, 1)), sess);
  const bert = await throughput(bs, bertCfg.vocabSize, 64, seqLen, seconds);
  await bs.release();
  console.log(`BERT-base (d=768 L=12 ff=3072): ${bert.toFixed(1)} items/s (batch 64, seq ${seqLen})`);
  for (const sz of sizes) {
    const cfg = ModelConfig.parse({ ...sz, vocabSize: 8000, maxLen: 64, padId: 0 });
    const { session } = await createSession(buildOnnxModel(cfg, initRawWeights(cfg, 1)), sess);
    const ips = await throughput(session, 8000, 64, seqLen, seconds);
    const label = `${sz.name ? `${sz.name} ` : ""}d=${sz.dModel} L=${sz.nLayers} H=${sz.nHeads} ff=${sz.dFF}`;
    console.log(`${label}: ${ips.toFixed(0)} items/s (batch 64, seq ${seqLen}), ${(ips / bert).toFixed(0)}× BERT-base`);
    await session.release();
  }
}

async function main(): Promise<void> {
  const cmd = new Command("bench")
    .option("--model <dir>", "model directory", "models/default")
    .option("--seq-len <n>", "tokens per item incl. [CLS] (training texts: median 18, p90 38)", (v) => Number(v), 32)
    .option("--seconds <s>", "minimum timing window per measurement", (v) => Number(v), 3)
    .option("--threads <n>", "intra-op threads (default: onnxruntime's choice)", (v) => Number(v))
    .option("--skip-bert", "skip the BERT-base comparison")
    .option("--compare <dir>", "time this second model directory against --model in alternating rounds (no BERT)")
    .option("--rounds <n>", "alternating rounds per measurement with --compare", (v) => Number(v), 5)
    .option("--size-sweep", "only measure ONNX items/s at batch 64 for candidate encoder sizes (random weights)")
    .option("--accurate <dir>", "accurate-tier directory for the cascade section", "models/accurate")
    .option("--skip-tiers", "skip the accurate-tier and cascade section")
    .option("--gold <splits>", "project splits (`npm run splits -- --no-weak`) for gold figures beside the cascade curve")
    .option("--data <dir>", "data folder with wikigold/, wnut17/, broad-twitter-corpus/ (with --gold)", "../shared/data")
    .option("--thresholds <list>", "cascade thresholds for the curve", "0.5,0.6,0.7,0.8,0.9")
    .option("--rss-child", "internal: report RSS of a process holding the scorer")
    .option("--tier-rss-child", "internal: RSS of a process holding the fast tier (and --with-accurate)")
    .option("--with-accurate", "internal")
    .option("--json", "print machine-readable results only");
  cmd.parse();
  const a = cmd.opts();
  if (a.rssChild) return rssChild(a.model);
  if (a.tierRssChild) return tierRssChild(a.model, a.accurate, !!a.withAccurate);
  if (a.sizeSweep) return sizeSweep(a.seqLen, a.seconds, a.threads);
  if (a.compare)
    return compareModels([a.model, a.compare], {
      seqLen: a.seqLen,
      seconds: a.seconds,
      rounds: a.rounds,
      threads: a.threads,
      json: a.json,
    });
  const say = (l: string) => (a.json ? undefined : console.log(l));

  const md = await readModelDir(a.model);
  const sess = bareSession(a.threads);
  const { session } = await createSession(md.onnx, sess);
  say(
    `model ${md.manifest.id}: d=${md.manifest.sizes.dModel} L=${md.manifest.sizes.nLayers} ff=${md.manifest.sizes.dFF} params=${md.manifest.sizes.params}; seq len ${a.seqLen}`,
  );
  const ours: Record<number, number> = {};
  for (const b of BATCHES) {
    ours[b] = await throughput(session, md.manifest.sizes.vocabSize, b, a.seqLen, a.seconds);
    say(`  ours       batch ${String(b).padStart(2)}: ${ours[b]!.toFixed(0).padStart(7)} items/s`);
  }
  await session.release();

  const bert: Record<number, number> = {};
  // Kept open for the tier section, which also times it reading the same real texts as the tiers.
  let bertBase: { session: ModelSession; padId: number } | undefined;
  if (!a.skipBert) {
    const cfg = ModelConfig.parse({ ...BERT_BASE_SIZES, maxLen: 512, padId: 0 });
    const { session: bs } = await createSession(buildOnnxModel(cfg, initRawWeights(cfg, 1)), sess);
    bertBase = { session: bs, padId: cfg.padId };
    for (const b of BATCHES) {
      bert[b] = await throughput(bs, cfg.vocabSize, b, a.seqLen, a.seconds);
      say(
        `  BERT-base  batch ${String(b).padStart(2)}: ${bert[b]!.toFixed(1).padStart(7)} items/s   ratio ours/BERT ${(ours[b]! / bert[b]!).toFixed(0)}×`,
      );
    }
  }

  // End to end through the scorer (tokenise + run + decode), 64 concurrent single-text calls coalesced by the batcher.
  const scorer = await loadScorer(a.model, { ...sess, maxBatch: 64, maxWaitMs: 2 });
  const e2e = (await scorerThroughput(scorer, a.seconds)).ips;
  await scorer.close();
  say(`  scorer end-to-end (64 concurrent calls, dynamic batching): ${e2e.toFixed(0)} items/s`);

  const rssMB = childRss(a.model);
  say(`  RSS of a process holding the scorer: ${rssMB.toFixed(0)} MB`);
  const tiers = a.skipTiers
    ? {}
    : await benchTiers({
        fastDir: a.model,
        accurateDir: a.accurate,
        seqLen: a.seqLen,
        seconds: a.seconds,
        threads: a.threads,
        bert: bertBase && { ...bertBase, ips64: bert[64]! },
        say,
        gold: a.gold ? { splits: a.gold, data: a.data } : undefined,
        thresholds: String(a.thresholds).split(",").map(Number),
      });
  await bertBase?.session.release();
  const res = {
    model: md.manifest.id,
    seqLen: a.seqLen,
    ours,
    bert,
    ratio: Object.fromEntries(BATCHES.map((b) => [b, bert[b] ? ours[b]! / bert[b]! : null])),
    e2e,
    rssMB,
    tiers,
  };
  if (a.json) console.log(JSON.stringify(res));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
