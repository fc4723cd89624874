export * from "./server.ts";
export * from "./problems.ts";
export * from "./routes-streams.ts";
export * from "./routes-items.ts";
