import * as tf from "@tensorflow/tfjs";

/**
 * How the gradient of the token-embedding lookup is computed.
 * - `native`: tf.gather's own gradient (UnsortedSegmentSum) — fast on tfjs-node, missing on wasm, very slow on cpu.
 * - `scatter-js`: accumulate dy rows per id into a dense [V,D] Float32Array in JS (default off tfjs-node).
 * - `onehot`: oneHot(ids)ᵀ · dy as a matmul — O(N·V·D), kept for the measurement in docs/model.md.
 */
export type EmbeddingGrad = "native" | "scatter-js" | "onehot";

export function defaultEmbeddingGrad(backend: string): EmbeddingGrad {
  return backend === "tensorflow" ? "native" : "scatter-js";
}

/** table[ids] → [B,T,D] with a gradient for `table` only (ids are integer data). */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor2D, mode: EmbeddingGrad): tf.Tensor3D {
  const [B, T] = ids.shape;
  const [V, D] = table.shape;
  if (mode === "native") return tf.gather(table, ids) as tf.Tensor as tf.Tensor3D;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const value: tf.Tensor = tf.gather(args[0] as tf.Tensor2D, ids);
    // Save ids with the tape: tensors merely captured by the closure are disposed before the backward pass runs.
    (args[1] as tf.GradSaveFunc)([ids]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const idsT = saved[0]!;
      if (mode === "onehot") {
        const oh = tf.oneHot(tf.reshape(idsT, [B * T]) as tf.Tensor1D, V).toFloat();
        return tf.matMul(oh, tf.reshape(dy, [B * T, D]), true, false);
      }
      const g = new Float32Array(V * D);
      const dyv = dy.dataSync() as Float32Array;
      const idv = idsT.dataSync();
      for (let i = 0; i < idv.length; i++) {
        const row = idv[i]! * D;
        const src = i * D;
        for (let d = 0; d < D; d++) g[row + d] = g[row + d]! + dyv[src + d]!;
      }
      return tf.tensor2d(g, [V, D]);
    };
    return { value, gradFunc };
  });
  return f(table) as tf.Tensor as tf.Tensor3D;
}
