/**
 * npm run bench:train — training examples/s on each tfjs backend that loads here (each in its own process: the
 * backend is process-global), as a ratio to wasm, and the wall time of a 300-label fine-tune from the bundled model.
 *
 *   tsx test/bench/train.ts [--examples 96] [--labels 300]
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mulberry32 } from "@finsentry/core";
import { fineTune, type Example } from "@finsentry/model";
import { BUNDLED_MODEL_DIR } from "@finsentry/pipeline";

const { values: args } = parseArgs({
  options: { child: { type: "string" }, examples: { type: "string", default: "96" }, labels: { type: "string", default: "300" } },
});

/** Invented trader-slang labels: the kind of new text the online learner sees. */
function labels(n: number, seed: number): Example[] {
  const r = mulberry32(seed);
  const bear = ["is getting rekt", "bagholders are cooked", "rugged again", "down bad after the call"];
  const bull = ["straight to the moon", "tendies incoming", "is mooning, send it", "printing, lfg"];
  return Array.from({ length: n }, (_, i) => {
    const b = i % 2 === 0;
    const pool = b ? bear : bull;
    return {
      text: `$T${Math.floor(r() * 50)} ${pool[Math.floor(r() * pool.length)]} ${i}`,
      sentiment: b ? "bearish" : "bullish",
      source: "bench",
    };
  });
}

async function timedFineTune(n: number, epochs: number): Promise<number> {
  const out = await mkdtemp(join(tmpdir(), "finsentry-bench-train-"));
  const t0 = performance.now();
  await fineTune(BUNDLED_MODEL_DIR, labels(n, 1), { outDir: out, train: { epochs, patience: 0 }, log: () => undefined });
  const secs = (performance.now() - t0) / 1000;
  await rm(out, { recursive: true, force: true });
  return secs;
}

if (args.child) {
  // Child: one backend, one epoch over the examples (includes model load and export, as a real run does).
  const n = Number(args.examples);
  const secs = await timedFineTune(n, 1);
  console.log(JSON.stringify({ backend: args.child, examples: n, seconds: secs, examplesPerSec: n / secs }));
  process.exit(0);
}

console.log(`bench:train — bundled model, ${args.examples} examples × 1 epoch per backend, each in its own process`);
const results: { backend: string; examplesPerSec: number }[] = [];
for (const backend of ["node-gpu", "node", "wasm", "cpu"]) {
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      new URL(import.meta.url).pathname,
      "--child",
      backend,
      "--examples",
      backend === "cpu" ? "32" : String(args.examples),
    ],
    {
      env: { ...process.env, TFJS_BACKEND: backend },
      encoding: "utf8",
      timeout: 15 * 60_000,
    },
  );
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) {
    const why = r.stderr.split("\n").find((l) => /^\s*\w*Error:/.test(l)) ?? "no output";
    console.log(`${backend.padEnd(15)} not available here (${why.trim().slice(0, 140)})`);
    continue;
  }
  const res = JSON.parse(line) as { backend: string; examplesPerSec: number };
  results.push(res);
  console.log(`${backend.padEnd(15)} ${res.examplesPerSec.toFixed(1)} examples/s (one epoch, model load and ONNX export included)`);
}
const wasm = results.find((r) => r.backend === "wasm");
if (wasm) for (const r of results) console.log(`ratio ${r.backend}/wasm: ${(r.examplesPerSec / wasm.examplesPerSec).toFixed(2)}`);

const n = Number(args.labels);
const secs = await timedFineTune(n, 3);
console.log(`fine-tune of ${n} labels × 3 epochs from the bundled model (best backend): ${secs.toFixed(1)} s wall`);
process.exit(0);
