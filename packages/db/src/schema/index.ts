// Each domain owns one schema file; add yours here and run `npm run db:generate`.
export * from "./items.ts";
