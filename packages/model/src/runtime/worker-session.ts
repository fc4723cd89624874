import { Worker } from "node:worker_threads";
import * as ort from "onnxruntime-node";

/** What the scorers use of an onnxruntime session: an InferenceSession, or one running in a worker thread. */
export interface ModelSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

interface WireTensor {
  type: ort.Tensor.Type;
  data: ort.Tensor.DataType;
  dims: readonly number[];
}

type Reply =
  | { kind: "ready"; inputNames: string[]; outputNames: string[] }
  | { kind: "failed"; error: string }
  | { kind: "result"; id: number; outputs: Record<string, WireTensor> }
  | { kind: "error"; id: number; error: string };

const WORKER_URL = new URL("./session-worker.mjs", import.meta.url);

/**
 * An onnxruntime session in its own worker thread. onnxruntime-node runs session.run synchronously on the calling
 * thread, so on the main thread every model pass stalls the event loop, and with it the Kafka fetches, Postgres
 * writes and publishes that could run meanwhile (docs/benchmarks.md, Pipeline). Inputs and outputs move between the
 * threads without copying (transferred buffers). The worker holds the event loop open only while runs are pending.
 */
export async function createWorkerSession(model: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ModelSession> {
  const bytes = model.slice(); // the worker takes this copy's buffer; the caller keeps its own
  const worker = new Worker(WORKER_URL, { workerData: { model: bytes, options }, transferList: [bytes.buffer] });
  const pending = new Map<number, { resolve: (o: Record<string, ort.Tensor>) => void; reject: (e: Error) => void }>();
  let broken: Error | null = null;
  let nextId = 0;

  const failAll = (e: Error) => {
    broken ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
    worker.unref();
  };

  const ready = new Promise<{ inputNames: string[]; outputNames: string[] }>((resolve, reject) => {
    worker.on("message", (r: Reply) => {
      if (r.kind === "ready") resolve(r);
      else if (r.kind === "failed") reject(new Error(r.error));
      else {
        const p = pending.get(r.id);
        if (!p) return;
        pending.delete(r.id);
        if (pending.size === 0) worker.unref();
        if (r.kind === "error") p.reject(new Error(r.error));
        else {
          const out: Record<string, ort.Tensor> = {};
          for (const [name, t] of Object.entries(r.outputs)) out[name] = new ort.Tensor(t.type, t.data as Float32Array, t.dims);
          p.resolve(out);
        }
      }
    });
    worker.on("error", (e) => {
      reject(e);
      failAll(new Error(`model worker failed: ${e.message}`));
    });
    worker.on("exit", (code) => {
      const e = new Error(`model worker exited (code ${code})`);
      reject(e);
      failAll(e);
    });
  });
  let names: { inputNames: string[]; outputNames: string[] };
  try {
    names = await ready;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  worker.unref();

  return {
    inputNames: names.inputNames,
    outputNames: names.outputNames,
    run(feeds) {
      if (broken) return Promise.reject(broken);
      const id = nextId++;
      const wire: Record<string, WireTensor> = {};
      const transfer: ArrayBuffer[] = [];
      for (const [name, t] of Object.entries(feeds)) {
        // Copied before the move: the caller may hold a view on a larger buffer, or reuse its tensor.
        const data = t.data.slice();
        wire[name] = { type: t.type, data, dims: t.dims };
        if (!Array.isArray(data)) transfer.push(data.buffer as ArrayBuffer);
      }
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ kind: "run", id, feeds: wire }, transfer);
      });
    },
    async release() {
      if (broken) return;
      broken = new Error("model session released");
      const exited = new Promise((r) => worker.once("exit", r));
      worker.postMessage({ kind: "release" });
      worker.ref();
      await exited;
    },
  };
}
