import { z } from "zod";
import { IsoDate } from "./common.ts";

/**
 * Training run progress and lifecycle on `training.progress` (keyed by run id, so one run's messages stay in order).
 * The trainer publishes `run.started`, throttled `run.progress` (≤ 2/s per run) and `run.finished`; every API process
 * relays them to the socket.io `training` room. `seq` grows per run: consumers drop anything not newer than the last.
 */
export const TrainingProgressV1 = z
  .object({
    v: z.literal(1),
    type: z.enum(["run.started", "run.progress", "run.finished"]),
    run_id: z.string().min(1).max(200),
    seq: z.number().int().nonnegative(),
    at: IsoDate,
    /** The run's status: `running` until `run.finished`, which carries the outcome. */
    status: z.enum(["running", "promoted", "rejected", "failed"]),
    /** preparing (loading data) → mlm / joint (training) → evaluating (the gate) → done. */
    phase: z.enum(["preparing", "mlm", "joint", "evaluating", "done"]),
    epoch: z.number().int().nonnegative(),
    epochs: z.number().int().nonnegative(),
    /** Optimiser steps done over the whole run, and the planned total. */
    step: z.number().int().nonnegative(),
    total_steps: z.number().int().nonnegative(),
    /** Mean losses of the current epoch so far, by task (`total`, `sentiment`, …, or `mlm`); null when not finite. */
    losses: z.record(z.string().max(50), z.number().nullable()),
    examples_per_sec: z.number().nonnegative().nullable(),
    eta_s: z.number().nonnegative().nullable(),
    /** The challenger's version id once known. */
    model_id: z.string().max(200).nullable().optional(),
    /** Why a run failed or was rejected. */
    reason: z.string().max(2000).nullable().optional(),
  })
  .strict();
export type TrainingProgress = z.infer<typeof TrainingProgressV1>;
