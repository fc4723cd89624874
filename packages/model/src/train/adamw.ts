import * as tf from "@tensorflow/tfjs";

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay: number;
  /** Global gradient-norm clip (0 = off). */
  clipNorm?: number;
  /** Per-parameter learning-rate multipliers (default 1), e.g. a faster rate for a sparse linear table. */
  lrScale?: Readonly<Record<string, number>>;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter): p ← p − lr·(m̂/(√v̂+ε) + wd·p), decay only on `decay` params.
 * tfjs's built-in Adam couples L2 into the gradient, which is what AdamW fixes.
 */
export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;

  constructor(
    private readonly params: Record<string, tf.Variable>,
    private readonly decay: ReadonlySet<string>,
    private readonly o: AdamWOptions,
  ) {
    this.b1 = o.beta1 ?? 0.9;
    this.b2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    for (const [k, p] of Object.entries(params)) {
      this.m.set(k, tf.variable(tf.zerosLike(p), false));
      this.v.set(k, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** Applies one update; returns the gradient's global norm before clipping. */
  step(grads: Record<string, tf.Tensor>, lr: number): number {
    this.t++;
    const names = Object.keys(grads).filter((k) => this.params[k]);
    const norm = tf.tidy(() => tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]!))))).dataSync()[0]!);
    const clip = this.o.clipNorm && norm > this.o.clipNorm ? this.o.clipNorm / norm : 1;
    const c1 = 1 - this.b1 ** this.t;
    const c2 = 1 - this.b2 ** this.t;
    tf.tidy(() => {
      for (const k of names) {
        const p = this.params[k]!;
        const g = clip === 1 ? grads[k]! : tf.mul(grads[k]!, clip);
        const m = this.m.get(k)!;
        const v = this.v.get(k)!;
        m.assign(tf.add(tf.mul(m, this.b1), tf.mul(g, 1 - this.b1)));
        v.assign(tf.add(tf.mul(v, this.b2), tf.mul(tf.square(g), 1 - this.b2)));
        let upd = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps));
        if (this.decay.has(k) && this.o.weightDecay > 0) upd = tf.add(upd, tf.mul(p, this.o.weightDecay));
        p.assign(tf.sub(p, tf.mul(upd, lr * (this.o.lrScale?.[k] ?? 1))));
      }
    });
    return norm;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}
