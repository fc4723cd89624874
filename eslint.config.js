// ESLint for the whole workspace (npm run lint; .ci/run). Prettier owns layout; ESLint owns correctness and the
// dependency rules: every workspace imports only what its package.json declares (tests may also use the root's dev
// tools), and no import cycles.
import js from "@eslint/js";
import importX from "eslint-plugin-import-x";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";
import { readdirSync } from "node:fs";

const workspaces = ["apps", "packages"].flatMap((d) => readdirSync(d).map((w) => `${d}/${w}`));
// Tests, benches and tool configs may also use the root's dev tools (vitest, fast-check, drizzle-kit ...).
const TESTS = ["**/test/**", "**/*.test.ts", "**/bench/**", "**/*.bench.ts", "**/*.config.ts"];

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/.next/**",
      "**/dist/**",
      "apps/dashboard/next-env.d.ts",
      "infra/**",
      "scratch/**",
      "test-artifacts/**",
      "**/*.js",
      "**/*.mjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { "import-x": importX },
    languageOptions: { ecmaVersion: 2023, sourceType: "module" },
    settings: { "import-x/extensions": [".ts", ".tsx"] },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-empty": ["error", { allowEmptyCatch: false }],
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "import-x/no-self-import": "error",
      "import-x/no-duplicates": "error",
      // Input hygiene (NUL bytes, control characters in ingested text) matches control characters on purpose.
      "no-control-regex": "off",
    },
  },
  {
    files: ["apps/dashboard/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "warn" },
  },
  // Per workspace: imports must be declared in its own package.json (TESTS may also use the root's devDependencies).
  ...workspaces.map((w) => ({
    files: [`${w}/**/*.{ts,tsx}`],
    rules: {
      "import-x/no-extraneous-dependencies": ["error", { packageDir: [w], devDependencies: false, optionalDependencies: true }],
    },
  })),
  ...workspaces.map((w) => ({
    files: TESTS.map((t) => `${w}/${t}`),
    rules: {
      "import-x/no-extraneous-dependencies": ["error", { packageDir: [w, "."], devDependencies: true, optionalDependencies: true }],
    },
  })),
  // Cross-package tests and scripts at the root declare the workspaces and tools they use in the root package.json.
  {
    files: ["test/**/*.ts", "scripts/**/*.ts"],
    rules: { "import-x/no-extraneous-dependencies": ["error", { packageDir: ["."], devDependencies: true }] },
  },
);
