import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";

/** Backends in order of preference; `node-gpu`/`node` need the optional native tfjs-node packages. */
export const BACKEND_PREFERENCE = ["node-gpu", "node", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_PREFERENCE)[number];

export interface BackendInfo {
  /** What was asked for ("auto" or one name). */
  requested: BackendChoice | "auto";
  /** What runs: a BackendChoice. */
  chosen: BackendChoice;
  /** tf.getBackend() after selection ("tensorflow", "wasm", "cpu"). */
  tfName: string;
  /** Why earlier preferences were skipped. */
  skipped: string[];
}

const require = createRequire(import.meta.url);

function parseChoice(v: string | undefined): BackendChoice | "auto" {
  if (!v || v === "auto") return "auto";
  if ((BACKEND_PREFERENCE as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(`unknown tfjs backend "${v}" (use auto, ${BACKEND_PREFERENCE.join(", ")})`);
}

/** Native tfjs-node packages are optional (they download libtensorflow at install): import them only if present. */
async function tryNative(pkg: string): Promise<void> {
  const spec: string = pkg; // a non-literal specifier keeps TypeScript from requiring the package at compile time
  await import(spec);
  if (!(await tf.setBackend("tensorflow"))) throw new Error(`${pkg} loaded but the "tensorflow" backend failed to init`);
}

let wasmPathsSet = false;
async function tryWasm(): Promise<void> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (!wasmPathsSet) {
    // The emscripten loader looks for its .wasm next to the page in browsers; in Node point it at node_modules.
    const dist = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/";
    wasm.setWasmPaths(dist);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend("wasm"))) throw new Error("wasm backend failed to init");
}

async function tryOne(choice: BackendChoice): Promise<void> {
  switch (choice) {
    case "node-gpu":
      return tryNative("@tensorflow/tfjs-node-gpu");
    case "node":
      return tryNative("@tensorflow/tfjs-node");
    case "wasm":
      return tryWasm();
    case "cpu":
      if (!(await tf.setBackend("cpu"))) throw new Error("cpu backend failed to init");
  }
}

/**
 * Pick the fastest tfjs backend available: node-gpu → node → wasm → cpu.
 * `requested` (or env TFJS_BACKEND) forces one; a forced backend that fails is an error, not a silent fallback.
 */
export async function selectBackend(
  requested: string | undefined = process.env.TFJS_BACKEND,
  log: (line: string) => void = (l) => console.error(l),
): Promise<BackendInfo> {
  const req = parseChoice(requested);
  const order: readonly BackendChoice[] = req === "auto" ? BACKEND_PREFERENCE : [req];
  const skipped: string[] = [];
  for (const choice of order) {
    try {
      await tryOne(choice);
      await tf.ready();
      const info: BackendInfo = { requested: req, chosen: choice, tfName: tf.getBackend(), skipped };
      log(`[tfjs] backend: ${choice} (tf=${info.tfName})${skipped.length ? `; skipped ${skipped.join("; ")}` : ""}`);
      return info;
    } catch (e) {
      const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
      if (req !== "auto") throw new Error(`tfjs backend "${choice}" unavailable: ${why}`);
      skipped.push(`${choice} (${why})`);
    }
  }
  throw new Error(`no tfjs backend available: ${skipped.join("; ")}`);
}
