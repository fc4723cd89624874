export * from "./mapping.ts";
export * from "./normalise.ts";
export * from "./ndjson.ts";
export * from "./dedup.ts";
