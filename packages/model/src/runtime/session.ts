import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";
import { createWorkerSession, type ModelSession } from "./worker-session.ts";

export type ExecutionProvider = "auto" | "cpu" | "cuda";

export interface SessionOptions {
  executionProvider?: ExecutionProvider;
  /** Threads inside one op (default: onnxruntime's choice = physical cores). */
  intraOpThreads?: number;
  /** Threads across independent ops (default 1: the graph is a chain). */
  interOpThreads?: number;
  /**
   * Whether onnxruntime's intra-op threads busy-wait for work between ops (its default). Off by default here: on the
   * 2-core reference machine spinning threads take the CPU that tokenising, decoding, Kafka and Postgres need — the
   * bundled model's end-to-end scorer went from ~4,900 to ~7,300 items/s and 380 to 200 CPU µs per item without it
   * (docs/benchmarks.md, Model).
   */
  spinning?: boolean;
  /**
   * Where session.run executes (default "worker"): a worker thread keeps the event loop free during model passes;
   * "main" is for benchmarks of the bare session.
   */
  thread?: "worker" | "main";
  log?: (line: string) => void;
}

const require = createRequire(import.meta.url);

/** The CPU-only onnxruntime-node build ships without the CUDA provider library; check before asking for it. */
function cudaLibraryPresent(): boolean {
  try {
    const pkg = dirname(require.resolve("onnxruntime-node/package.json"));
    const dir = join(pkg, "bin", "napi-v6", process.platform, process.arch);
    return existsSync(join(dir, "libonnxruntime_providers_cuda.so"));
  } catch {
    return false;
  }
}

/** Creates the session on CUDA when asked (or auto and available), falling back to CPU with one log line. */
export async function createSession(
  model: Uint8Array,
  opts: SessionOptions = {},
): Promise<{ session: ModelSession; provider: "cpu" | "cuda" }> {
  const ep = opts.executionProvider ?? "auto";
  const log = opts.log ?? ((l: string) => console.error(l));
  const open = (o: ort.InferenceSession.SessionOptions): Promise<ModelSession> =>
    opts.thread === "main" ? ort.InferenceSession.create(model, o) : createWorkerSession(model, o);
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    interOpNumThreads: opts.interOpThreads ?? 1,
    executionMode: "sequential",
    // int8 models (npm run quantize) are weight-only: let constant folding turn their DequantizeLinear weights into
    // float32 matrices at load. Otherwise onnxruntime fuses DequantizeLinear+MatMul into MatMulNBits with dynamic
    // int8 activations: measured 3-7 % more CPU per item and ~1.4x the probability error (docs/model.md). No effect
    // on float32 models (they have no DequantizeLinear).
    extra: { session: { disable_quant_qdq: "1", "intra_op.allow_spinning": opts.spinning ? "1" : "0" } },
  };
  if (ep !== "cpu") {
    if (!cudaLibraryPresent()) {
      if (ep === "cuda") log("[model] CUDA execution provider requested but this onnxruntime-node build has no CUDA library; using cpu");
    } else {
      try {
        return { session: await open({ ...base, executionProviders: ["cuda", "cpu"] }), provider: "cuda" };
      } catch (e) {
        log(`[model] CUDA execution provider failed (${String(e).split("\n")[0]}); using cpu`);
      }
    }
  }
  return { session: await open({ ...base, executionProviders: ["cpu"] }), provider: "cpu" };
}
