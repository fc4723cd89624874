import { z } from "zod";
import { parseEnv } from "@finsentry/core";

/** Scorer write-batch settings, from the environment (validated like the core config). */
export const ScorerConfig = z.object({
  /**
   * Most items one hand-off from items.raw covers: one transaction, one items.scored produce, one offset commit. A
   * hand-off takes what the last fetch delivered up to this, so a backlog is written in large batches while live
   * traffic is written as it arrives; the model still runs passes of SCORER_BATCH_SIZE.
   */
  SCORER_MAX_WRITE_BATCH: z.coerce.number().int().min(1).max(20_000).default(1024),
});
export type ScorerConfig = z.infer<typeof ScorerConfig>;

export function loadScorerConfig(env: Record<string, string | undefined> = process.env): ScorerConfig {
  return parseEnv(ScorerConfig, env);
}
