import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Browser tests: `npx vitest run --config test/browser/vitest.config.ts` after `cd apps/dashboard && npx next build`.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/browser/**/*.browser.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    reporters: ["default"],
  },
});
