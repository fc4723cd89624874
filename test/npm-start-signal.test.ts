import { execFileSync, spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, REPO_ROOT } from "./support/processes.ts";
import { waitFor } from "./support/services.ts";

// A process manager (or a terminal's Ctrl-C / `kill`) signals the process it started: `npm start` itself. The signal
// must reach the server, which shuts down gracefully and exits 0 — no orphaned server holding the port.
describe("npm start: SIGTERM reaches the server", () => {
  let child: ReturnType<typeof spawn> | null = null;
  let descendants: number[] = [];

  afterAll(async () => {
    // Only when the test failed: npm, or a server it left orphaned, may still run. Kill exactly those pids.
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const pid of descendants) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });

  it("SIGTERM to npm start shuts the server down gracefully with exit code 0", async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: "memory://",
      DEMO: "off",
      LOG_LEVEL: "info",
      SKIP_DASHBOARD_BUILD: "1",
    };
    delete env.KAFKA_BROKERS;
    // Spawned as a user would run it, not detached: the signal goes to npm's pid only, never to a process group.
    const npm = spawn("npm", ["start"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    child = npm;
    let out = "";
    npm.stdout!.on("data", (d) => (out += d));
    npm.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      npm.once("exit", (code, signal) => r({ code, signal })),
    );

    const up = await waitFor(async () => out.includes("finsentry is running") || npm.exitCode !== null, 120_000);
    expect(up && npm.exitCode === null, out).toBe(true);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    descendants = childPids(npm.pid!);
    const sent = Date.now();
    npm.kill("SIGTERM");
    const result = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
    expect(result, `npm start did not exit within 30 s of SIGTERM\n${out.slice(-3000)}`).not.toBeNull();
    console.log(`npm start exited ${JSON.stringify(result)} ${Date.now() - sent} ms after SIGTERM`);
    // The server's own graceful path ran (onShutdown logs it) and everything exited cleanly.
    expect(out, out.slice(-3000)).toContain("shutting down: draining in-flight work");
    expect(result!.code, out.slice(-3000)).toBe(0);
    // And nothing is left listening on the port.
    const still = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    expect(still).toBe(false);
  }, 180_000);
});

/** The pids below `pid` (Linux `ps`), to clean up after a failure that orphaned them. */
function childPids(pid: number): number[] {
  try {
    const direct = execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
    return direct.flatMap((p) => [p, ...childPids(p)]);
  } catch {
    return [];
  }
}
