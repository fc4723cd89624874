export * from "./common.ts";
export * from "./hygiene.ts";
export * from "./item.ts";
export * from "./score.ts";
export * from "./events.ts";
export * from "./training.ts";
export * from "./topics.ts";
export { CANONICAL_PREFIX, entityKey, entityTypesOfKey, instrumentIdOfTicker } from "./constants.ts";
