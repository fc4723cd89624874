import * as tf from "@tensorflow/tfjs";

/**
 * Class-weighted cross-entropy averaged over labelled positions only. labels: int32 with -1 = no label.
 * Returns null when nothing in the batch is labelled for this task (the task then adds no loss and no gradient).
 */
export function maskedCrossEntropy(logits: tf.Tensor, labels: Int32Array, classWeights: Float32Array): tf.Scalar | null {
  const K = logits.shape[logits.shape.length - 1]!;
  const n = labels.length;
  const w = new Float32Array(n);
  const y = new Int32Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l >= 0) {
      w[i] = classWeights[l]!;
      y[i] = l;
      any = true;
    }
  }
  if (!any) return null;
  const flat = tf.reshape(logits, [n, K]);
  const nll = tf.neg(tf.sum(tf.mul(tf.logSoftmax(flat), tf.oneHot(tf.tensor1d(y, "int32"), K)), -1));
  const wt = tf.tensor1d(w);
  return tf.div(tf.sum(tf.mul(nll, wt)), tf.sum(wt)) as tf.Scalar;
}

/**
 * Distillation term (Hinton et al. 2015): T² · mean over the `rows` rows that have a target of KL(q ‖ softmax(z/T)).
 * Rows of q that are all zero have no teacher and add nothing. KL rather than cross-entropy: the gradients are the
 * same, but the teacher's entropy (a constant) would inflate the loss value, and learned uncertainty weights
 * (≈ 1/loss) would then shrink the task. Null when no row has a target.
 */
export function distillationLoss(logits: tf.Tensor, q: Float32Array, rows: number, temperature: number): tf.Scalar | null {
  if (rows === 0) return null;
  const K = logits.shape[logits.shape.length - 1]!;
  const n = q.length / K;
  let qLogQ = 0;
  for (const v of q) if (v > 0) qLogQ += v * Math.log(v);
  const logp = tf.logSoftmax(tf.div(tf.reshape(logits, [n, K]), temperature));
  const kl = tf.add(tf.neg(tf.sum(tf.mul(logp, tf.tensor2d(q, [n, K])))), qLogQ);
  return tf.mul(tf.div(kl, rows), temperature * temperature) as tf.Scalar;
}

/**
 * Feature term: mean over the rows that have a target (mask 1) of the mean squared difference between `pred` [B,K]
 * and the targets q [B*K]. Null when no row has one.
 */
export function featureLoss(pred: tf.Tensor, q: Float32Array, mask: Float32Array, rows: number): tf.Scalar | null {
  if (rows === 0) return null;
  const [B, K] = pred.shape as [number, number];
  const sq = tf.mean(tf.square(tf.sub(pred, tf.tensor2d(q, [B, K]))), -1); // [B]
  return tf.div(tf.sum(tf.mul(sq, tf.tensor1d(mask))), rows) as tf.Scalar;
}

/**
 * Inverse-frequency class weights (counts^-power), normalised so the weighted label mean is 1; power 0.5 softens
 * them, 0 disables. Capped at `cap` so a class seen a handful of times cannot dominate.
 */
export function classWeights(labels: Iterable<number>, K: number, power = 0.5, cap = 10): Float32Array {
  const counts = new Float64Array(K);
  let total = 0;
  for (const l of labels) {
    if (l < 0) continue;
    counts[l] = counts[l]! + 1;
    total++;
  }
  const w = new Float32Array(K).fill(1);
  if (power === 0 || total === 0) return w;
  for (let k = 0; k < K; k++) w[k] = counts[k]! > 0 ? (total / (K * counts[k]!)) ** power : 1;
  let mean = 0;
  for (let k = 0; k < K; k++) mean += (w[k]! * counts[k]!) / total;
  for (let k = 0; k < K; k++) w[k] = Math.min(cap, w[k]! / mean);
  return w;
}
