import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as ort from "onnxruntime-node";

export type ExecutionProvider = "auto" | "cpu" | "cuda";

export interface SessionOptions {
  executionProvider?: ExecutionProvider;
  /** Threads inside one op (default: onnxruntime's choice = physical cores). */
  intraOpThreads?: number;
  /** Threads across independent ops (default 1: the graph is a chain). */
  interOpThreads?: number;
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
): Promise<{ session: ort.InferenceSession; provider: "cpu" | "cuda" }> {
  const ep = opts.executionProvider ?? "auto";
  const log = opts.log ?? ((l: string) => console.error(l));
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    ...(opts.intraOpThreads ? { intraOpNumThreads: opts.intraOpThreads } : {}),
    interOpNumThreads: opts.interOpThreads ?? 1,
    executionMode: "sequential",
    // int8 models (npm run quantize) are weight-only: let constant folding turn their DequantizeLinear weights into
    // float32 matrices at load. Otherwise onnxruntime fuses DequantizeLinear+MatMul into MatMulNBits with dynamic
    // int8 activations: measured 3-7 % more CPU per item and ~1.4x the probability error (docs/model.md). No effect
    // on float32 models (they have no DequantizeLinear).
    extra: { session: { disable_quant_qdq: "1" } },
  };
  if (ep !== "cpu") {
    if (!cudaLibraryPresent()) {
      if (ep === "cuda") log("[model] CUDA execution provider requested but this onnxruntime-node build has no CUDA library; using cpu");
    } else {
      try {
        return { session: await ort.InferenceSession.create(model, { ...base, executionProviders: ["cuda", "cpu"] }), provider: "cuda" };
      } catch (e) {
        log(`[model] CUDA execution provider failed (${String(e).split("\n")[0]}); using cpu`);
      }
    }
  }
  return { session: await ort.InferenceSession.create(model, { ...base, executionProviders: ["cpu"] }), provider: "cpu" };
}
