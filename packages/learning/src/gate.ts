/** Per-task score of a model on a data set (accuracy for sentiment/topic, span F1 for entities). */
export type TaskScores = Partial<Record<"sentiment" | "topic" | "entities", number>>;

export interface GateInput {
  golden: { champion: TaskScores; challenger: TaskScores };
  recent: { champion: TaskScores; challenger: TaskScores };
  /** Largest drop allowed on any golden task, in points (0.01 = 1 point). */
  maxGoldenDrop: number;
}

export interface GateDecision {
  promote: boolean;
  reasons: string[];
  golden: GateInput["golden"];
  recent: GateInput["recent"];
  maxGoldenDrop: number;
}

/**
 * Promote only if no golden-set task drops by more than the margin and no recent-label task drops at all:
 * the system gets better from corrections without silently getting worse at what it already knew.
 */
export function decideGate(input: GateInput): GateDecision {
  const reasons: string[] = [];
  for (const [task, before] of Object.entries(input.golden.champion)) {
    const after = input.golden.challenger[task as keyof TaskScores];
    if (after === undefined) continue;
    if (before - after > input.maxGoldenDrop + 1e-9)
      reasons.push(
        `golden ${task} dropped ${((before - after) * 100).toFixed(1)} points (limit ${(input.maxGoldenDrop * 100).toFixed(1)})`,
      );
  }
  let recentTasks = 0;
  for (const [task, before] of Object.entries(input.recent.champion)) {
    const after = input.recent.challenger[task as keyof TaskScores];
    if (after === undefined) continue;
    recentTasks++;
    if (after < before - 1e-9) reasons.push(`recent-label ${task} dropped from ${before.toFixed(3)} to ${after.toFixed(3)}`);
  }
  if (recentTasks === 0) reasons.push("no held-back recent labels to judge the challenger on");
  return { promote: reasons.length === 0, reasons, golden: input.golden, recent: input.recent, maxGoldenDrop: input.maxGoldenDrop };
}
