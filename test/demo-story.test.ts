import { afterAll, describe, expect, it } from "vitest";
import { DEMO_STORY } from "@finsentry/pipeline";
import { freePort, startService, stopProcess } from "./support/processes.ts";
import { waitFor } from "./support/services.ts";

// The product's point on a fresh embedded start with nothing configured: the demo's story (one company's news turns
// bad, then recovers) raises a warning within two minutes, and the warning resolves once the news recovers.
// The story's cycle is shortened (DEMO_STORY_PERIOD_S) so the recovery comes within the test; the promise checked is
// the README's: a warning within 2 minutes of "finsentry is running", resolved later in the cycle.
describe("demo story (embedded start, demo on)", () => {
  const PERIOD_S = 240;
  const password = "demo-story-test-password";
  let child: ReturnType<typeof startService> | null = null;

  afterAll(async () => {
    if (child) await stopProcess(child);
  });

  it("fires a warning on the story's company within 120 s of start, and resolves it later", async () => {
    const port = await freePort();
    const env: Record<string, string> = {
      PORT: String(port), DATABASE_URL: "memory://", FINSENTRY_ADMIN_PASSWORD: password, DEMO_STORY_PERIOD_S: String(PERIOD_S), LOG_LEVEL: "info",
    };
    delete process.env.KAFKA_BROKERS; // the child inherits process.env: embedded bus only
    child = startService("standalone", env);
    const proc = child;
    const up = await waitFor(async () => proc.output().includes("finsentry is running") || proc.exitCode !== null, 120_000);
    expect(up && proc.exitCode === null, proc.output()).toBe(true);
    const running = Date.now();
    const base = `http://127.0.0.1:${port}`;
    const login = await fetch(`${base}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    type Alert = { id: string; rule_id: string; entity_key: string; state: string; fired_at: string; resolved_at: string | null };
    const alerts = async (): Promise<Alert[]> => {
      const r = await fetch(`${base}/api/v1/alerts?entity=${encodeURIComponent(DEMO_STORY.entityKey)}`, { headers: { cookie } });
      return r.ok ? ((await r.json()) as { alerts: Alert[] }).alerts : [];
    };

    const fired = await waitFor(async () => (await alerts()).find((a) => a.state !== "resolved") ?? null, 120_000, 1000);
    const firedAfter = (Date.now() - running) / 1000;
    expect(fired, `no open alert on ${DEMO_STORY.entityKey} within 120 s\n${proc.output().slice(-4000)}`).toBeTruthy();
    console.log(`demo warning '${fired!.rule_id}' on ${fired!.entity_key} seen ${firedAfter.toFixed(0)} s after "finsentry is running"`);

    // Resolves once the company's news recovers (recovery starts at 45% of the cycle); generous bound: one cycle.
    const resolved = await waitFor(async () => (await alerts()).find((a) => a.id === fired!.id && a.state === "resolved") ?? null, PERIOD_S * 1000, 1000);
    expect(resolved, `alert ${fired!.id} not resolved within ${PERIOD_S} s of firing\n${proc.output().slice(-4000)}`).toBeTruthy();
    console.log(`demo warning resolved ${((Date.now() - running) / 1000).toFixed(0)} s after "finsentry is running"`);

    // For the record: what else fired meanwhile (other companies' normal traffic should not trip the demo rule).
    const all = (await (await fetch(`${base}/api/v1/alerts?limit=200`, { headers: { cookie } })).json()) as { alerts: Alert[] };
    console.log(`alerts raised: ${all.alerts.map((a) => `${a.rule_id}@${a.entity_key}:${a.state}`).join(", ")}`);
  }, 420_000);
});
