import { mulberry32 } from "@finsentry/core";
import { gaussian } from "../nn/weights.ts";
import { CONTINUATION, SPECIAL_TOKENS } from "../tokenizer/specials.ts";
import type { FloatTensor } from "./onnxTensor.ts";
import { wordPieceIds, type WordPieceVocab } from "./wordpiece.ts";

export interface EmbeddingInit {
  /** [vocab.length, dim], row-major. */
  data: Float32Array;
  /** How many of our pieces mapped to the other vocabulary (the rest keep random rows). */
  mapped: number;
  /** Share of the mapped rows' variance the `dim` principal components keep. */
  explainedVariance: number;
}

const SPECIAL: ReadonlySet<string> = new Set(SPECIAL_TOKENS);

/**
 * Initial token embeddings for our vocabulary from another model's input-embedding table: each piece → the mean of
 * the table's rows for its WordPiece split in that model's vocabulary, projected onto the top `dim` principal
 * components of those means, scaled to standard deviation `std` (the random initialisation's, so training dynamics
 * stay as tuned). Special tokens and pieces the other vocabulary cannot spell keep seeded N(0, std) rows.
 */
export function embeddingInit(
  vocab: readonly string[],
  src: { vocab: WordPieceVocab; table: FloatTensor },
  dim: number,
  opts: { std?: number; seed?: number } = {},
): EmbeddingInit {
  const [rows, E] = src.table.shape as [number, number];
  if (src.table.shape.length !== 2 || dim > E) throw new Error(`embedding table [${src.table.shape}] cannot give ${dim}-wide rows`);
  const std = opts.std ?? 0.02;
  const means: (Float64Array | null)[] = vocab.map((piece) => {
    if (SPECIAL.has(piece)) return null;
    const cont = piece.startsWith(CONTINUATION);
    const ids = wordPieceIds(cont ? piece.slice(CONTINUATION.length) : piece, src.vocab, cont).filter((id) => id < rows);
    if (ids.length === 0) return null;
    const m = new Float64Array(E);
    for (const id of ids) for (let d = 0; d < E; d++) m[d]! += src.table.data[id * E + d]! / ids.length;
    return m;
  });
  const mapped = means.filter((m): m is Float64Array => m !== null);
  if (mapped.length <= dim)
    throw new Error(`only ${mapped.length} of ${vocab.length} pieces map to the pre-trained vocabulary; need more than ${dim}`);

  const mu = new Float64Array(E);
  for (const m of mapped) for (let d = 0; d < E; d++) mu[d]! += m[d]! / mapped.length;
  const cov = new Float64Array(E * E);
  for (const m of mapped) {
    for (let i = 0; i < E; i++) {
      const a = (m[i]! - mu[i]!) / mapped.length;
      for (let j = 0; j < E; j++) cov[i * E + j]! += a * (m[j]! - mu[j]!);
    }
  }
  const q = topEigenvectors(cov, E, dim);

  const projected = mapped.map((m) => {
    const p = new Float64Array(dim);
    for (let k = 0; k < dim; k++) for (let d = 0; d < E; d++) p[k]! += (m[d]! - mu[d]!) * q[d * dim + k]!;
    return p;
  });
  let kept = 0;
  for (const p of projected) for (const x of p) kept += x * x;
  let total = 0;
  for (let d = 0; d < E; d++) total += cov[d * E + d]! * mapped.length;
  const scale = std / Math.sqrt(kept / (projected.length * dim));

  const rng = mulberry32(opts.seed ?? 1);
  const data = new Float32Array(vocab.length * dim);
  let next = 0;
  means.forEach((m, i) => {
    if (m) {
      const p = projected[next++]!;
      for (let k = 0; k < dim; k++) data[i * dim + k] = p[k]! * scale;
    } else for (let k = 0; k < dim; k++) data[i * dim + k] = gaussian(rng) * std;
  });
  return { data, mapped: mapped.length, explainedVariance: kept / total };
}

/**
 * Top-k eigenvectors of a symmetric positive semi-definite n×n matrix by orthogonal (subspace) iteration, as an
 * n×k row-major matrix with orthonormal columns. Enough for a projection; the order within the subspace is not exact.
 */
function topEigenvectors(a: Float64Array, n: number, k: number, iterations = 60): Float64Array {
  let q = new Float64Array(n * k);
  for (let j = 0; j < k; j++) q[j * k + j] = 1; // the first k unit vectors: deterministic, and rarely orthogonal to the top subspace
  for (let it = 0; it < iterations; it++) {
    const z = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < n; l++) {
        const ail = a[i * n + l]!;
        if (ail === 0) continue;
        for (let j = 0; j < k; j++) z[i * k + j]! += ail * q[l * k + j]!;
      }
    }
    // Modified Gram-Schmidt on the columns.
    for (let j = 0; j < k; j++) {
      for (let p = 0; p < j; p++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += z[i * k + j]! * z[i * k + p]!;
        for (let i = 0; i < n; i++) z[i * k + j]! -= dot * z[i * k + p]!;
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += z[i * k + j]! ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < n; i++) z[i * k + j]! /= norm;
    }
    q = z;
  }
  return q;
}
