import { z } from "zod";
import { loadLabelledFile } from "./labelled-file.ts";
import type { TrainerOptions } from "./trainer-service.ts";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Trainer settings from the environment; a bad value stops start-up with the variable's name, not a NaN later. */
export const TrainerEnv = z.object({
  GOLDEN_SET: z.string().min(1).optional(),
  REPLAY_SET: z.string().min(1).optional(),
  TRAIN_LABEL_THRESHOLD: int(0, 10_000_000).default(200),
  TRAIN_SCHEDULE_MS: int(0, 365 * 24 * 3600_000).default(0),
  TRAIN_EPOCHS: int(1, 100).default(3),
  TRAIN_REPLAY_RATIO: z.coerce.number().min(0).max(100).default(2),
  TRAIN_MAX_GOLDEN_DROP: z.coerce.number().min(0).max(1).default(0.01),
  TRAIN_MLM_EPOCHS: int(0, 20).default(0),
  TRAIN_UNLABELLED_SAMPLE: int(0, 1_000_000).default(2000),
});
export type TrainerEnv = z.infer<typeof TrainerEnv>;

export function parseTrainerEnv(env: Record<string, string | undefined> = process.env): TrainerEnv {
  const r = TrainerEnv.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== "")));
  if (!r.success)
    throw new Error(`invalid trainer configuration: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
}

/** TrainerOptions for startTrainer from the validated environment (golden and replay sets read from their files). */
export async function trainerOptionsFromEnv(env: Record<string, string | undefined> = process.env): Promise<TrainerOptions> {
  const e = parseTrainerEnv(env);
  return {
    golden: e.GOLDEN_SET ? await loadLabelledFile(e.GOLDEN_SET) : [],
    replay: e.REPLAY_SET ? await loadLabelledFile(e.REPLAY_SET) : [],
    labelThreshold: e.TRAIN_LABEL_THRESHOLD,
    scheduleMs: e.TRAIN_SCHEDULE_MS,
    epochs: e.TRAIN_EPOCHS,
    replayRatio: e.TRAIN_REPLAY_RATIO,
    maxGoldenDrop: e.TRAIN_MAX_GOLDEN_DROP,
    mlmEpochs: e.TRAIN_MLM_EPOCHS,
    unlabelledSample: e.TRAIN_UNLABELLED_SAMPLE,
  };
}
