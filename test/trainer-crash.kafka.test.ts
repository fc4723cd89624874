import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDb } from "@finsentry/db";
import { saveLabel } from "@finsentry/labels";
import { ModelRegistry } from "@finsentry/learning";
import { GOLDEN, REPLAY, slang, toJsonl } from "../packages/learning/test/fixtures.ts";
import { FINISHED, startApiProcess, type ApiRun } from "./support/api.ts";
import { freePort, startService, stopProcess } from "./support/processes.ts";
import { createTestDatabase, haveKafka, KAFKA_BROKERS, skipReason, uniqueName, waitFor } from "./support/services.ts";

// Real Postgres is what this is about (runs, heartbeats, the registry); Kafka is used when present.
const skip = skipReason(["postgres"]);
if (!skip && !haveKafka)
  console.warn("trainer crash test: KAFKA_BROKERS not set — each process runs on its own in-memory bus (Postgres is what matters here)");

const STALE_MS = 20_000;

describe.skipIf(!!skip)("a trainer killed mid-run (trainer and api processes, real Postgres)", () => {
  const procs: ReturnType<typeof startService>[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it("fails the run with a reason without any trainer restarting, leaves the champion alone, and the next run finishes; a trainer starting beside a live run leaves it running", async () => {
    const t0 = Date.now();
    const tdb = await createTestDatabase();
    cleanup.push(() => tdb.drop());
    const db = await openDb(tdb.url);
    cleanup.push(() => db.close());
    const dir = await mkdtemp(join(tmpdir(), "finsentry-crash-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const registryDir = join(dir, "models");
    await writeFile(join(dir, "golden.jsonl"), toJsonl(GOLDEN()));
    await writeFile(join(dir, "replay.jsonl"), toJsonl(REPLAY()));
    // Enough new labels that a run trains for a while (labels + replay, 3 epochs).
    for (const l of [...slang(300, 7), ...slang(300, 8)]) {
      await saveLabel(
        db.db,
        { v: 1, text: l.text, sentiment: l.sentiment as "bearish", author: "ana", role: "analyst", created_at: new Date().toISOString() },
        "api",
      );
    }
    const env: Record<string, string> = {
      DATABASE_URL: tdb.url,
      MODEL_REGISTRY_DIR: registryDir,
      GOLDEN_SET: join(dir, "golden.jsonl"),
      REPLAY_SET: join(dir, "replay.jsonl"),
      TRAIN_LABEL_THRESHOLD: "0",
      TRAIN_STALE_MS: String(STALE_MS),
      ...(haveKafka ? { KAFKA_BROKERS: KAFKA_BROKERS!.join(","), KAFKA_NAMESPACE: `${uniqueName("crash")}.` } : {}),
    };
    const trainerEnv = { ...env, LOG_LEVEL: "info" };
    const registry = new ModelRegistry(db.db);
    const counts = async () =>
      (
        await db.exec(
          "select (select count(*)::int from model_versions) as versions, (select count(*)::int from model_promotions) as promotions",
        )
      ).rows[0]!;

    const doomed = startService("trainer", trainerEnv);
    procs.push(doomed);
    const championId = await waitFor(async () => (await registry.champion())?.id ?? null, 120_000, 500);
    expect(championId, doomed.output()).toBeTruthy();
    expect(await counts()).toEqual({ versions: 1, promotions: 1 }); // the bundled model, bootstrapped
    const api = await startApiProcess(env, db.db);
    procs.push(api.proc);
    const getRun = async (id: string) => (await api.call<{ run: ApiRun }>("GET", `/api/v1/training-runs/${id}`)).json.run;
    const training = (r: ApiRun) => r.status === "running" && r.log.some((p) => /^\[train\] \d+ train/.test(p.message ?? ""));

    // On demand through the API; SIGKILL the trainer once the run is running and has reported training progress.
    const first = await api.call<{ run: ApiRun }>("POST", "/api/v1/training-runs");
    expect(first.status).toBe(202);
    const runId = first.json.run.id;
    const midRun = await waitFor(async () => ((r) => (training(r) ? r : null))(await getRun(runId)), 180_000, 250);
    expect(midRun, doomed.output()).toBeTruthy();
    const [row] = (
      await db.exec("select status, heartbeat_at, jsonb_array_length(history)::int as reports from training_runs where id = $1", [runId])
    ).rows as { status: string; reports: number }[];
    expect(row).toMatchObject({ status: "running" });
    expect(row!.reports).toBeGreaterThan(0);
    doomed.kill("SIGKILL");
    await new Promise((r) => (doomed.exitCode !== null || doomed.signalCode !== null ? r(null) : doomed.once("exit", r)));
    expect(doomed.signalCode).toBe("SIGKILL");
    const killedAt = Date.now();
    const rightAfter = (await getRun(runId)).status;

    // No trainer is alive now. The API's reads settle a run without a heartbeat for TRAIN_STALE_MS as failed.
    const failed = await waitFor(async () => ((r) => (r.status !== "running" ? r : null))(await getRun(runId)), 120_000, 1000);
    console.log(
      `[trainer-crash] run ${rightAfter} right after the kill, ${failed?.status} ${((Date.now() - killedAt) / 1000).toFixed(0)} s later: ${failed?.error}`,
    );
    expect(procs.filter((p) => p.exitCode === null && p.signalCode === null && p !== api.proc)).toEqual([]);
    expect(failed?.status).toBe("failed");
    expect(failed?.error).toMatch(new RegExp(`trainer stopped during the run: no heartbeat for more than ${STALE_MS / 1000} s`));
    // The champion is untouched: same id, nothing registered or promoted, only the bundled version in the store.
    expect((await registry.champion())?.id).toBe(championId);
    expect(await counts()).toEqual({ versions: 1, promotions: 1 });
    expect(await readdir(registryDir)).toEqual([championId]);

    // A new trainer process takes the next on-demand run.
    const next = startService("trainer", trainerEnv);
    procs.push(next);
    const second = await api.call<{ run: ApiRun }>("POST", "/api/v1/training-runs");
    expect(second.status).toBe(202);
    const nextId = second.json.run.id;
    expect(nextId).not.toBe(runId);
    expect(await waitFor(async () => training(await getRun(nextId)), 180_000, 250), next.output()).toBe(true);

    // Another trainer starting while that run is live must not fail it (start-up only settles heartbeat-stale runs).
    const port = await freePort();
    const bystander = startService("trainer", { ...trainerEnv, METRICS_PORT: String(port) });
    procs.push(bystander);
    const ready = await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok ?? false, 120_000, 250);
    expect(ready, bystander.output()).toBe(true);
    expect((await getRun(nextId)).status, "the run must still be live when the second trainer has started").toBe("running");

    const done = await waitFor(async () => ((r) => (FINISHED.includes(r.status) ? r : null))(await getRun(nextId)), 300_000, 1000);
    console.log(
      `[trainer-crash] next run: ${done?.status}${done?.error ? ` (${done.error})` : ""}; ${done?.log.length} progress reports; test ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    expect(done, next.output()).toBeTruthy();
    expect(["promoted", "rejected"]).toContain(done!.status);
    if (done!.status === "promoted") expect((await registry.get((await registry.champion())!.id))?.parentId).toBe(championId);
    const all = (await api.call<{ runs: ApiRun[] }>("GET", "/api/v1/training-runs")).json.runs;
    expect(all.map((r) => [r.id, r.status]).sort()).toEqual(
      [
        [runId, "failed"],
        [nextId, done!.status],
      ].sort(),
    );
  }, 600_000);
});
