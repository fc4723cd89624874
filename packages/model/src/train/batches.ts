import type { Encoded } from "./encode.ts";

/**
 * Length-bucketed batches: sort a shuffled window of examples by length, cut into batches, shuffle the batches.
 * Padding then costs little, which matters because attention and FFN cost scale with the padded length.
 */
export function bucketBatches(items: readonly Encoded[], batchSize: number, rnd: () => number, windowBatches = 50): Encoded[][] {
  const idx = shuffle(
    items.map((_, i) => i),
    rnd,
  );
  const out: Encoded[][] = [];
  const win = batchSize * windowBatches;
  for (let w = 0; w < idx.length; w += win) {
    const chunk = idx.slice(w, w + win).sort((a, b) => items[a]!.ids.length - items[b]!.ids.length);
    for (let b = 0; b < chunk.length; b += batchSize) out.push(chunk.slice(b, b + batchSize).map((i) => items[i]!));
  }
  return shuffle(out, rnd);
}

export function shuffle<T>(a: T[], rnd: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Dense arrays for one batch, padded to its longest example with padId; label -1 marks "no label". */
export interface PackedBatch {
  B: number;
  T: number;
  ids: Int32Array; // [B*T]
  sentiment: Int32Array; // [B]
  topic: Int32Array; // [B]
  tags: Int32Array; // [B*T], -1 at [CLS], padding and unannotated examples
  /** Teacher probabilities [B*K], all-zero rows where the teacher has none, and how many rows have one. */
  soft: { sentiment: Float32Array; sentimentRows: number; topic: Float32Array; topicRows: number } | null;
  /** Teacher feature vectors [B*K] (all-zero rows where there is none), a 1/0 row mask [B], and the row count. */
  feat: { q: Float32Array; K: number; mask: Float32Array; rows: number } | null;
}

export function packBatch(items: readonly Encoded[], padId: number): PackedBatch {
  const B = items.length;
  const T = Math.max(...items.map((x) => x.ids.length));
  const ids = new Int32Array(B * T).fill(padId);
  const tags = new Int32Array(B * T).fill(-1);
  items.forEach((x, b) => {
    ids.set(x.ids, b * T);
    if (x.tags) for (let t = 0; t < x.tags.length; t++) tags[b * T + t] = x.tags[t]!;
  });
  return {
    B,
    T,
    ids,
    tags,
    sentiment: Int32Array.from(items, (x) => x.sentiment),
    topic: Int32Array.from(items, (x) => x.topic),
    soft: packSoft(items),
    feat: packFeatures(items),
  };
}

function packFeatures(items: readonly Encoded[]): PackedBatch["feat"] {
  const K = items.find((x) => x.feat)?.feat?.length;
  if (K === undefined) return null;
  const q = new Float32Array(items.length * K);
  const mask = new Float32Array(items.length);
  items.forEach((x, b) => {
    if (!x.feat) return;
    if (x.feat.length !== K) throw new Error(`feature vectors of ${x.feat.length} and ${K} values in one batch`);
    q.set(x.feat, b * K);
    mask[b] = 1;
  });
  return { q, K, mask, rows: mask.reduce((a, v) => a + v, 0) };
}

function packSoft(items: readonly Encoded[]): PackedBatch["soft"] {
  if (!items.some((x) => x.soft)) return null;
  const one = (key: "sentiment" | "topic") => {
    const K = items.find((x) => x.soft?.[key])?.soft?.[key]?.length ?? 1;
    const q = new Float32Array(items.length * K);
    let rows = 0;
    items.forEach((x, b) => {
      const p = x.soft?.[key];
      if (p) {
        q.set(p, b * K);
        rows++;
      }
    });
    return { q, rows };
  };
  const s = one("sentiment");
  const t = one("topic");
  return { sentiment: s.q, sentimentRows: s.rows, topic: t.q, topicRows: t.rows };
}
