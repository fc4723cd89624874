import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/browser/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one Kafka broker and Postgres server; files run one at a time to keep 2 cores honest.
    fileParallelism: false,
    // Under CI=true, missing Kafka or Postgres fails the run instead of skipping the tests that need them.
    globalSetup: ["test/support/require-services.ts"],
    reporters: ["default"],
  },
});
