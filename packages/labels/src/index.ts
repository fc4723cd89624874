export * from "./resolve.ts";
export * from "./store.ts";
export * from "./routes.ts";
export * from "./consumer.ts";
