export type { TextScorer } from "./types.ts";
