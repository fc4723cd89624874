// Each domain owns one schema file; add yours here and run `npm run db:generate`.
export * from "./items.ts";
export * from "./alerts.ts";
export * from "./auth.ts";
export * from "./labels.ts";
export * from "./webhooks.ts";
export * from "./learning.ts";
export * from "./entities.ts";
