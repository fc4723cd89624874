import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, DynamicBatcher, loadScorer, readModelDir, type ModelSession, type OnnxScorer } from "../src/runtime/index.ts";
import { ONNX_INPUT, ONNX_OUTPUTS } from "../src/onnx/index.ts";
import { inventedTexts, tinyModelDir } from "./fixtures/model/tiny.ts";

const ids = (rows: number[][]) => {
  const T = Math.max(...rows.map((r) => r.length));
  const data = new BigInt64Array(rows.length * T);
  rows.forEach((r, b) => r.forEach((v, t) => (data[b * T + t] = BigInt(v))));
  return new ort.Tensor("int64", data, [rows.length, T]);
};

describe("a model session in a worker thread (the default)", () => {
  let onnx: Uint8Array;
  let worker: ModelSession;
  let main: ModelSession;
  beforeAll(async () => {
    onnx = (await readModelDir((await tinyModelDir()).dir)).onnx;
    worker = (await createSession(onnx, { executionProvider: "cpu" })).session;
    main = (await createSession(onnx, { executionProvider: "cpu", thread: "main" })).session;
  });
  afterAll(async () => {
    await worker?.release();
    await main?.release();
  });

  it("answers exactly what the same session answers on the main thread, and names the same inputs and outputs", async () => {
    expect(worker.inputNames).toEqual(main.inputNames);
    expect(worker.outputNames).toEqual(main.outputNames);
    const feed = () => ({
      [ONNX_INPUT]: ids([
        [2, 40, 41, 42, 3],
        [2, 50, 3],
      ]),
    });
    const [w, m] = [await worker.run(feed()), await main.run(feed())];
    for (const k of Object.values(ONNX_OUTPUTS)) {
      expect(w[k]!.dims).toEqual(m[k]!.dims);
      expect(Array.from(w[k]!.data as Float32Array)).toEqual(Array.from(m[k]!.data as Float32Array));
    }
  });

  it("runs concurrent calls, each with its own answer", async () => {
    const rows = [
      [2, 11, 3],
      [2, 12, 13, 3],
      [2, 14, 3],
    ];
    const together = await Promise.all(rows.map((r) => worker.run({ [ONNX_INPUT]: ids([r]) })));
    for (const [i, r] of rows.entries()) {
      const alone = await main.run({ [ONNX_INPUT]: ids([r]) });
      expect(Array.from(together[i]![ONNX_OUTPUTS.sentiment]!.data as Float32Array)).toEqual(
        Array.from(alone[ONNX_OUTPUTS.sentiment]!.data as Float32Array),
      );
    }
  });

  it("rejects a bad run with onnxruntime's reason and keeps serving", async () => {
    await expect(worker.run({ no_such_input: ids([[2, 3]]) })).rejects.toThrow(/no_such_input|input/i);
    const ok = await worker.run({ [ONNX_INPUT]: ids([[2, 3]]) });
    expect(ok[ONNX_OUTPUTS.sentiment]!.dims).toEqual([1, 3]);
  });

  it("refuses a model that onnxruntime cannot load, with its reason", async () => {
    await expect(createSession(new Uint8Array([1, 2, 3, 4]), { executionProvider: "cpu" })).rejects.toThrow(/protobuf|parse|model/i);
  });

  it("refuses runs once released", async () => {
    const s = (await createSession(onnx, { executionProvider: "cpu" })).session;
    await s.release();
    await expect(s.run({ [ONNX_INPUT]: ids([[2, 3]]) })).rejects.toThrow(/released/);
  });
});

describe("loadScorer through the worker", () => {
  let scorer: OnnxScorer;
  let mainScorer: OnnxScorer;
  beforeAll(async () => {
    const dir = (await tinyModelDir()).dir;
    scorer = await loadScorer(dir, { executionProvider: "cpu", maxBatch: 8, maxWaitMs: 1 });
    mainScorer = await loadScorer(dir, { executionProvider: "cpu", maxBatch: 8, maxWaitMs: 1, thread: "main" });
  });
  afterAll(async () => {
    await scorer?.close();
    await mainScorer?.close();
  });

  it("scores 50 texts (several batches in flight) exactly as on the main thread", async () => {
    const texts = inventedTexts(50, 9);
    const [w, m] = [await Promise.all(texts.map((t) => scorer.score([t]))), await mainScorer.score(texts)];
    expect(w.map(([o]) => o)).toEqual(m);
  });
});

describe("DynamicBatcher with two runs at a time", () => {
  it("starts a second batch while the first runs, never a third", async () => {
    let running = 0;
    let most = 0;
    const sizes: number[] = [];
    const b = new DynamicBatcher<number, number>(
      async (xs) => {
        running++;
        most = Math.max(most, running);
        sizes.push(xs.length);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return xs.map((x) => x + 1);
      },
      4,
      0,
      2,
    );
    const out = await b.submit(Array.from({ length: 12 }, (_, i) => i));
    expect(out).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(sizes).toEqual([4, 4, 4]);
    expect(most).toBe(2);
    await b.close();
  });
});
