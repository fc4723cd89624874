import { z } from "zod";
import type { Split } from "./example.ts";
import { dedupeKey } from "./normalize.ts";

export const SplitFractions = z
  .object({ dev: z.number().min(0).max(1).default(0.1), test: z.number().min(0).max(1).default(0.1) })
  .refine((f) => f.dev + f.test < 1, { message: "dev + test must leave room for train" });
export type SplitFractions = z.input<typeof SplitFractions>;

/** FNV-1a 32-bit: stable across runs, platforms and Node versions (Math.random/Map order are not involved). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Deterministic split from a hash of the normalised text (see dedupeKey), so the same text — and its re-posts with
 * another short link — always lands in the same split, whichever source it comes from.
 */
export function splitOf(text: string, fractions: SplitFractions = {}): Split {
  const f = SplitFractions.parse(fractions);
  // Final avalanche so near-identical keys spread evenly over [0, 1).
  let h = fnv1a(dedupeKey(text));
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  const u = (h >>> 0) / 2 ** 32;
  if (u < f.test) return "test";
  if (u < f.test + f.dev) return "dev";
  return "train";
}
