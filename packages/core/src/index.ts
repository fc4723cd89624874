export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./config.ts";
export * from "./lifecycle.ts";
export * from "./metrics-server.ts";
export * from "./random.ts";
export * from "./problem.ts";
export * from "./numbers.ts";
