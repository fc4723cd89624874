export * from "./server.ts";
export * from "./problems.ts";
export * from "./routes-streams.ts";
export * from "./routes-items.ts";
export * from "./live.ts";
export * from "./auth.ts";
export * from "./routes-auth.ts";
export * from "./bootstrap.ts";
