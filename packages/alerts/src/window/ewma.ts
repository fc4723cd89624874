import type { DriftBaseline } from "./drift.ts";

/** Exponentially weighted mean and variance of one metric (West's incremental form). */
export interface Ewma {
  /** Observations folded in so far (for warm-up checks). */
  n: number;
  mean: number;
  var: number;
}

export const emptyEwma = (): Ewma => ({ n: 0, mean: 0, var: 0 });

export function ewmaUpdate(e: Ewma, x: number, alpha: number): void {
  if (e.n === 0) {
    e.mean = x;
    e.var = 0;
  } else {
    const diff = x - e.mean;
    const incr = alpha * diff;
    e.mean += incr;
    e.var = (1 - alpha) * (e.var + diff * incr);
  }
  e.n++;
}

/**
 * Robust update: once warm, an observation is clipped to mean ± k·σ (σ at least `floor`) before it is folded in,
 * so a burst moves the entity's normal only gradually and an alert on it is not "explained away" mid-burst;
 * a lasting change is still absorbed over a few half-lives.
 */
export function ewmaUpdateRobust(e: Ewma, x: number, alpha: number, floor: number, k = 3, warm = 5): void {
  if (e.n >= warm) {
    const band = k * Math.max(Math.sqrt(Math.max(0, e.var)), floor);
    x = Math.min(e.mean + band, Math.max(e.mean - band, x));
  }
  ewmaUpdate(e, x, alpha);
}

/**
 * Folds in `times` zero observations (windows with no mentions), exactly as `times` robust updates would —
 * bounded, since once mean and variance reach 0 further zeros change nothing but the count.
 */
export function ewmaZeros(e: Ewma, times: number, alpha: number, floor: number): void {
  for (let i = 0; i < times; i++) {
    if (e.n > 0 && e.mean === 0 && e.var === 0) {
      e.n += times - i;
      return;
    }
    if (i >= 50_000) {
      // Geometric decay has long since made the remainder negligible.
      e.n += times - i;
      return;
    }
    ewmaUpdateRobust(e, 0, alpha, floor);
  }
}

export const ewmaStd = (e: Ewma) => Math.sqrt(Math.max(0, e.var));

/** Per (window spec, entity): baselines of the window metrics the rules compare against. */
export interface Baseline {
  /** End of the last window folded in; missing steps since then were empty windows. */
  lastEnd: number | null;
  count: Ewma;
  bearish: Ewma;
  /** Sentiment baselines only see non-empty windows (an empty window has no sentiment). */
  mean: Ewma;
  weighted_mean: Ewma;
  /** Model stream only: class shares and mean confidence per task (drift rules). */
  drift?: DriftBaseline;
}

export const emptyBaseline = (): Baseline => ({
  lastEnd: null,
  count: emptyEwma(),
  bearish: emptyEwma(),
  mean: emptyEwma(),
  weighted_mean: emptyEwma(),
});
