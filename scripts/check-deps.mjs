#!/usr/bin/env node
// Fails when a workspace declares a dependency that none of its files import (ESLint's import-x rule catches the
// opposite: imports that are not declared). Run by `npm run lint` in .ci/run.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

// Loaded by a framework rather than imported: react-dom by Next.js.
const RUNTIME_ONLY = { "apps/dashboard": ["react-dom"] };
const walk = (d) =>
  readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    if (f === "node_modules" || f === ".next") return [];
    return statSync(p).isDirectory() ? walk(p) : /\.(ts|tsx|mts|js|mjs)$/.test(f) ? [p] : [];
  });
const IMPORT = /(?:from\s+|import\(\s*|import\s+|require\(\s*)["']([^"'./][^"']*)["']/g;
let bad = 0;
for (const w of ["apps", "packages"].flatMap((d) => readdirSync(d).map((x) => `${d}/${x}`))) {
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(w, "package.json"), "utf8"));
  } catch {
    continue;
  }
  const used = new Set();
  for (const f of walk(w)) {
    for (const m of readFileSync(f, "utf8").matchAll(IMPORT)) {
      const s = m[1];
      used.add(s.startsWith("@") ? s.split("/").slice(0, 2).join("/") : s.split("/")[0]);
    }
  }
  const declared = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
  const unused = declared.filter((d) => !used.has(d) && !d.startsWith("@types/") && !(RUNTIME_ONLY[w] ?? []).includes(d));
  for (const d of unused) console.error(`${w}/package.json declares ${d}, which nothing in ${w} imports`);
  bad += unused.length;
}
if (bad) process.exit(1);
console.log("check-deps: every declared workspace dependency is imported");
