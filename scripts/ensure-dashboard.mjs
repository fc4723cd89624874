// Runs before `npm start`: builds the dashboard once on a fresh checkout (about a minute), then never again.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

if (process.env.SKIP_DASHBOARD_BUILD === "1" || existsSync(new URL("../apps/dashboard/.next/BUILD_ID", import.meta.url))) process.exit(0);
console.log("First start: building the dashboard (about a minute, once)…");
const r = spawnSync("npm", ["run", "build", "-w", "apps/dashboard"], {
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
process.exit(r.status ?? 1);
