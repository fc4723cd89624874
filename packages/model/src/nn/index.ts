export * from "./config.ts";
export * from "./weights.ts";
export * from "./tfWeights.ts";
export * from "./io.ts";
export * from "./forward.ts";
export * from "./embedding.ts";
