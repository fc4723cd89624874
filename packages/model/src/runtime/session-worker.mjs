// @ts-check
// The worker side of worker-session.ts: owns one onnxruntime-node InferenceSession and runs it off the main thread.
// onnxruntime-node's session.run is synchronous native work on the calling thread, so run on the main thread it
// blocks the event loop (Kafka, Postgres, HTTP) for the whole pass. Plain JavaScript so that it loads in any worker,
// with or without a TypeScript loader (tsx, vitest).
import { parentPort, workerData } from "node:worker_threads";
import * as ort from "onnxruntime-node";

if (!parentPort) throw new Error("session-worker.mjs runs only as a worker thread");
const port = parentPort;

/** @typedef {{ type: ort.Tensor.Type, data: ort.Tensor.DataType, dims: readonly number[] }} WireTensor */

/** @param {unknown} e */
const message = (e) => (e instanceof Error ? e.message : String(e));

/** @type {ort.InferenceSession} */
let session;
try {
  session = await ort.InferenceSession.create(workerData.model, workerData.options);
  workerData.model = null; // onnxruntime holds its own copy: let this one go
  port.postMessage({ kind: "ready", inputNames: session.inputNames, outputNames: session.outputNames });
} catch (e) {
  port.postMessage({ kind: "failed", error: message(e) });
  process.exit(0);
}

port.on("message", async (/** @type {{ kind: "run", id: number, feeds: Record<string, WireTensor> } | { kind: "release" }} */ msg) => {
  if (msg.kind === "release") {
    await session.release();
    port.close();
    return;
  }
  try {
    /** @type {Record<string, ort.Tensor>} */
    const feeds = {};
    for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(t.type, /** @type {any} */ (t.data), t.dims);
    const out = await session.run(feeds);
    /** @type {Record<string, WireTensor>} */
    const outputs = {};
    /** @type {ArrayBuffer[]} */
    const transfer = [];
    for (const [name, v] of Object.entries(out)) {
      const t = /** @type {ort.Tensor} */ (v);
      // A copy the worker owns, so it can be moved to the main thread without a second copy there.
      const data = /** @type {any} */ (t.data).slice();
      outputs[name] = { type: t.type, data, dims: t.dims };
      if (data.buffer instanceof ArrayBuffer) transfer.push(data.buffer);
      t.dispose?.();
    }
    port.postMessage({ kind: "result", id: msg.id, outputs }, transfer);
  } catch (e) {
    port.postMessage({ kind: "error", id: msg.id, error: message(e) });
  }
});
