/** Linear warm-up to `peak`, then cosine or linear decay to `peak·minRatio` at `total` steps. */
export function learningRate(
  step: number,
  total: number,
  o: { peak: number; warmupSteps: number; decay: "cosine" | "linear"; minRatio?: number },
): number {
  const min = o.peak * (o.minRatio ?? 0.05);
  if (step < o.warmupSteps) return (o.peak * (step + 1)) / o.warmupSteps;
  const t = Math.min(1, (step - o.warmupSteps) / Math.max(1, total - o.warmupSteps));
  const f = o.decay === "cosine" ? 0.5 * (1 + Math.cos(Math.PI * t)) : 1 - t;
  return min + (o.peak - min) * f;
}
