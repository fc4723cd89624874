/** A window shape shared by every rule that uses it: rules with equal specs share buffers, cursors and baselines. */
export interface WindowSpec {
  key: string;
  type: "sliding" | "tumbling";
  sizeMs: number;
  stepMs: number;
  /** EWMA weight of one step: 1 − 2^(−step/halfLife). */
  alpha: number;
}

export function makeSpec(type: "sliding" | "tumbling", sizeMs: number, stepMs: number | undefined, halfLifeMs: number): WindowSpec {
  const step = type === "tumbling" ? sizeMs : (stepMs ?? Math.max(60_000, Math.floor(sizeMs / 12 / 60_000) * 60_000));
  return {
    key: `${type}:${sizeMs}:${step}:${halfLifeMs}`,
    type,
    sizeMs,
    stepMs: step,
    alpha: 1 - Math.pow(2, -step / halfLifeMs),
  };
}

/** Window ends are aligned to multiples of the step (epoch-based), so every run evaluates the same windows. */
export function alignDown(t: number, step: number): number {
  return Math.floor(t / step) * step;
}
