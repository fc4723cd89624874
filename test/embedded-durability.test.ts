import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, startService, stopProcess } from "./support/processes.ts";
import { waitFor } from "./support/services.ts";

// `npm start` on the in-memory bus and file-backed PGlite: an HTTP push answered 202 must survive a SIGKILL.
describe("embedded mode: acknowledged HTTP items survive a crash", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "finsentry-durability-"));
  const password = `durability-${randomBytes(12).toString("hex")}`;
  const children: ReturnType<typeof startService>[] = [];

  afterAll(async () => {
    for (const c of children) await stopProcess(c, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function boot() {
    const port = await freePort();
    // KAFKA_BROKERS empty = in-memory bus, whatever the test runner's environment says.
    const child = startService("standalone", {
      PORT: String(port),
      DATABASE_URL: dataDir,
      DEMO: "off",
      KAFKA_BROKERS: "",
      FINSENTRY_ADMIN_PASSWORD: password,
      // durability of 5,000 acknowledged items is under test, not the model: the fast tier alone keeps this quick
      SCORER_TIERS: "fast",
      // The check below reads every acknowledged item by id.
      READ_RATE_LIMIT_PER_MINUTE: "1000000",
      RATE_LIMIT_PER_MINUTE: "1000000",
    });
    children.push(child);
    const up = await waitFor(async () => child.output().includes("finsentry is running") || child.exitCode !== null, 60_000);
    expect(up && child.exitCode === null, child.output()).toBe(true);
    const base = `http://127.0.0.1:${port}`;
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base },
      body: JSON.stringify({ username: "admin", password }),
    });
    expect(login.status, child.output()).toBe(200);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { cookie, origin: base, ...(init.headers ?? {}) } });
    return { child, api };
  }

  const BATCHES = 50;
  const PER_BATCH = 100;
  const batchBody = (b: number) =>
    Array.from({ length: PER_BATCH }, (_, i) =>
      JSON.stringify({ t: `Durability item ${b * PER_BATCH + i}: $ACME shares move`, at: "2026-03-01T12:00:00Z" }),
    ).join("\n");
  const push = (api: Awaited<ReturnType<typeof boot>>["api"], b: number) =>
    api("/api/v1/streams/durable/items", { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: batchBody(b) });

  it("stores every id answered 202 before a SIGKILL, and a full resend after restart doubles nothing", async () => {
    const first = await boot();
    const created = await first.api("/api/v1/streams", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "durable", kind: "http", mapping: { text: "t", published_at: "at" } }),
    });
    expect(created.status, await created.clone().text()).toBe(201);

    // Four requests in flight at a time; the process is killed as soon as 25 batches are acknowledged.
    const acked = new Set<string>();
    let ackedBatches = 0;
    let next = 0;
    let killed = false;
    const worker = async () => {
      while (!killed && next < BATCHES) {
        const b = next++;
        try {
          const r = await push(first.api, b);
          if (r.status !== 202) continue; // 429/503: not acknowledged, nothing to check
          const body = (await r.json()) as { ids: string[]; accepted: number };
          expect(body.ids).toHaveLength(PER_BATCH);
          if (killed) continue; // answered after the kill signal went out: count only what came before
          for (const id of body.ids) acked.add(id);
          if (++ackedBatches >= 25 && !killed) {
            killed = true;
            first.child.kill("SIGKILL");
          }
        } catch {
          // the connection died with the process: not acknowledged
        }
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    await new Promise((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r(null) : first.child.once("exit", r)));
    expect(first.child.signalCode).toBe("SIGKILL");
    expect(acked.size).toBeGreaterThanOrEqual(25 * PER_BATCH);

    const second = await boot();
    // Every acknowledged id is stored, with its score.
    const ids = [...acked];
    const missing: string[] = [];
    for (let i = 0; i < ids.length; i += 50) {
      const codes = await Promise.all(
        ids.slice(i, i + 50).map(async (id) => ({ id, status: (await second.api(`/api/v1/items/${id}`)).status })),
      );
      missing.push(...codes.filter((c) => c.status !== 200).map((c) => c.id));
    }
    expect(missing, `${missing.length} of ${ids.length} acknowledged items missing after the crash`).toEqual([]);

    // The client retries everything (acknowledged or not): each item is stored once, the total is exact.
    let resend = 0;
    const statuses: number[] = [];
    const resender = async () => {
      while (resend < BATCHES) {
        const b = resend++;
        let r = await push(second.api, b);
        while (r.status === 429 || r.status === 503) {
          await new Promise((res) => setTimeout(res, Number(r.headers.get("retry-after") ?? 1) * 1000));
          r = await push(second.api, b);
        }
        statuses.push(r.status);
      }
    };
    await Promise.all(Array.from({ length: 4 }, resender));
    expect(statuses).toEqual(Array.from({ length: BATCHES }, () => 202));
    const count = ((await (await second.api("/api/v1/items/count")).json()) as { count: number }).count;
    expect(count).toBe(BATCHES * PER_BATCH);
    await stopProcess(second.child);
  }, 120_000);
});
