import { round } from "@finsentry/core";

/**
 * Every score, probability and confidence of a ModelOutput, of either tier, is rounded to this many decimals: finer
 * digits are float noise to every reader (thresholds, windows, the dashboard), and full doubles cost Postgres ~10 %
 * more CPU per stored item, parsing them into the output jsonb's numerics (docs/benchmarks.md, Pipeline).
 */
export const OUTPUT_DIGITS = 4;

export const toOutputDigits = (x: number): number => round(x, OUTPUT_DIGITS);
