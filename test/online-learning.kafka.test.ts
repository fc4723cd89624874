import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { KafkaBus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { DiskModelStore, ModelRegistry, scoreModel } from "@finsentry/learning";
import { loadScorer } from "@finsentry/model";
import { BUNDLED_MODEL_DIR, IngestWriter, StreamRegistry, StreamSupervisor } from "@finsentry/pipeline";
import { TOPICS } from "@finsentry/schemas";
import { GOLDEN, HELD_OUT_SLANG, REPLAY, SLANG_LABELS, toJsonl, wrongLabels } from "../packages/learning/test/fixtures.ts";
import { FINISHED, startApiProcess, type ApiRun } from "./support/api.ts";
import { startService, stopProcess } from "./support/processes.ts";
import { createTestDatabase, KAFKA_BROKERS, skipReason, uniqueName, waitFor } from "./support/services.ts";

const skip = skipReason(["kafka", "postgres"]);
const log = createLogger("test", "warn");

/** Publishes one news item every ~100 ms until stopped, in order; counts only what Kafka acknowledged. */
function startFeed(bus: KafkaBus, tag: string) {
  let published = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const i = published;
      await bus.send(TOPICS.news, [
        {
          value: JSON.stringify({
            source: "feed",
            published_at: new Date().toISOString(),
            text: `Feed item ${i} (${tag}): Acme shares move`,
          }),
        },
      ]);
      published = i + 1;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    get published() {
      return published;
    },
    async stop() {
      stopped = true;
      await done;
      return published;
    },
  };
}

/** The model versions of all score rows in the order they were scored, consecutive repeats collapsed. */
async function versionSegments(db: DbHandle): Promise<{ version: string; rows: number }[]> {
  const rows = (await db.exec("select model_version as v from scores order by scored_at, item_id")).rows as { v: string }[];
  const out: { version: string; rows: number }[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last?.version === r.v) last.rows++;
    else out.push({ version: r.v, rows: 1 });
  }
  return out;
}

const rowsBy = async (db: DbHandle, version: string) =>
  (await db.exec("select count(*)::int as n from scores where model_version = $1", [version])).rows[0]!.n as number;

describe.skipIf(!!skip)("online learning on real Kafka + Postgres (api, trainer and scorer processes)", () => {
  const procs: ReturnType<typeof startService>[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    await Promise.all(procs.splice(0).map((p) => stopProcess(p)));
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  });

  it("labels via the API and the labels topic trigger a fine-tune in the trainer process; the scorer process switches mid-stream with exact counts; a worse challenger is rejected; rollback through the API", async () => {
    const t0 = Date.now();
    const ns = `${uniqueName("ol")}.`;
    const tdb = await createTestDatabase();
    cleanup.push(() => tdb.drop());
    const db = await openDb(tdb.url); // applies the migrations before any service starts
    cleanup.push(() => db.close());
    const bus = new KafkaBus({ brokers: KAFKA_BROKERS!, namespace: ns, log });
    await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 3 })));
    cleanup.push(() => bus.close());
    // Ingest (news → items.raw) runs here; scoring, training and the API are their own processes.
    const supervisor = new StreamSupervisor({ bus, log, writer: new IngestWriter(bus), registry: new StreamRegistry(db.db) });
    await supervisor.start();
    cleanup.push(() => supervisor.stop());

    const dir = await mkdtemp(join(tmpdir(), "finsentry-ol-kafka-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const registryDir = join(dir, "models");
    await writeFile(join(dir, "golden.jsonl"), toJsonl(GOLDEN()));
    await writeFile(join(dir, "replay.jsonl"), toJsonl(REPLAY()));
    const env = {
      KAFKA_BROKERS: KAFKA_BROKERS!.join(","),
      KAFKA_NAMESPACE: ns,
      DATABASE_URL: tdb.url,
      MODEL_REGISTRY_DIR: registryDir,
      GOLDEN_SET: join(dir, "golden.jsonl"),
    };
    const store = new DiskModelStore(registryDir);
    const registry = new ModelRegistry(db.db);

    // The trainer registers the bundled model as the first champion; the scorer then serves the registry's champion.
    const trainer = startService("trainer", {
      ...env,
      LOG_LEVEL: "info",
      TRAIN_LABEL_THRESHOLD: "300",
      REPLAY_SET: join(dir, "replay.jsonl"),
    });
    procs.push(trainer);
    const first = await waitFor(async () => (await registry.champion())?.id ?? null, 120_000, 500);
    expect(first, trainer.output()).toBeTruthy();
    const championId = first!;
    const scorer = startService("scorer", { ...env, SCORER_BATCH_SIZE: "8" });
    procs.push(scorer);
    const api = await startApiProcess(env, db.db);
    procs.push(api.proc);

    // Items keep arriving the whole time; the scorer process is scoring them with the champion.
    const feed = startFeed(bus, ns);
    cleanup.push(() => feed.stop());
    expect(await waitFor(async () => (await rowsBy(db, championId)) >= 10, 120_000, 500), scorer.output()).toBe(true);

    const heldOut = HELD_OUT_SLANG();
    const bundled = await loadScorer(BUNDLED_MODEL_DIR);
    const before = (await scoreModel(bundled, heldOut)).sentiment!;
    await bundled.close();

    // 300 slang labels: half from another system on the `labels` topic, half as one NDJSON request to the API.
    const labels = SLANG_LABELS();
    const viaKafka = labels.slice(0, 150);
    const viaApi = labels.slice(150);
    await bus.send(
      TOPICS.labels,
      viaKafka.map((l, i) => ({
        key: `k${i}`,
        value: JSON.stringify({
          v: 1,
          text: l.text,
          sentiment: l.sentiment,
          author: "desk-feed",
          role: "analyst",
          created_at: new Date().toISOString(),
        }),
      })),
    );
    const posted = await api.call<{ saved: number; errors: unknown[] }>(
      "POST",
      "/api/v1/labels",
      viaApi.map((l) => JSON.stringify({ text: l.text, sentiment: l.sentiment })).join("\n"),
      "application/x-ndjson",
    );
    expect(posted.status).toBe(201);
    expect(posted.json).toMatchObject({ saved: 150, errors: [] });
    const byVia = async () =>
      Object.fromEntries(
        ((await db.exec("select via, count(*)::int as n from labels group by via")).rows as { via: string; n: number }[]).map((r) => [
          r.via,
          r.n,
        ]),
      );
    await waitFor(async () => (await byVia()).kafka === 150, 120_000, 500);
    expect(await byVia()).toEqual({ api: 150, kafka: 150 });

    // The label threshold starts a run in the trainer process; the API shows it through to the end.
    const runs = async () => (await api.call<{ runs: ApiRun[] }>("GET", "/api/v1/training-runs")).json.runs;
    const tTrain = Date.now();
    const finished = await waitFor(async () => (await runs()).find((r) => FINISHED.includes(r.status)) ?? null, 300_000, 1000);
    const trainSecs = (Date.now() - tTrain) / 1000;
    expect(finished, trainer.output()).toBeTruthy();
    const run = finished!;
    expect(run.trigger).toBe("threshold");
    expect(run.status, JSON.stringify(run.gate ?? run.error)).toBe("promoted");
    expect(run.log.length).toBeGreaterThan(0); // progress reached the run row
    const champion = (await registry.champion())!;
    expect(champion.id).toBe(run.model_id);
    expect(champion.id).not.toBe(championId);
    expect(champion.parentId).toBe(championId);
    const newId = champion.id;

    const challenger = await loadScorer(await store.localDir(champion.uri));
    const after = (await scoreModel(challenger, heldOut)).sentiment!;
    await challenger.close();
    const golden = run.gate!.golden;
    console.log(
      `[online-learning.kafka] held-out slang accuracy ${before.toFixed(3)} → ${after.toFixed(3)}; golden ${golden.champion.sentiment} → ${golden.challenger.sentiment}; ` +
        `recent ${run.gate!.recent.champion.sentiment?.toFixed(3)} → ${run.gate!.recent.challenger.sentiment?.toFixed(3)}; labels to finished run ${trainSecs.toFixed(0)} s`,
    );
    expect(after - before).toBeGreaterThanOrEqual(0.15);
    expect(golden.champion.sentiment! - golden.challenger.sentiment!).toBeLessThanOrEqual(0.01);

    // The running scorer process switched to the new version between batches, while items kept coming.
    expect(await waitFor(async () => (await rowsBy(db, newId)) >= 20, 120_000, 500), scorer.output()).toBe(true);

    // A challenger made worse on purpose — 600 headlines labelled with a wrong class, trained without replay by a
    // second trainer process on demand — is rejected by the gate; the champion keeps serving.
    await stopProcess(trainer);
    // Eight epochs: a confident champion shrugs off a few low-rate steps of noise; the point is a challenger that
    // really got worse.
    const careless = startService("trainer", { ...env, LOG_LEVEL: "info", TRAIN_LABEL_THRESHOLD: "0", TRAIN_EPOCHS: "8" });
    procs.push(careless);
    const wrong = wrongLabels(600, 5);
    const bad = await api.call<{ saved: number }>(
      "POST",
      "/api/v1/labels",
      wrong.map((l) => JSON.stringify({ text: l.text, sentiment: l.sentiment })).join("\n"),
      "application/x-ndjson",
    );
    expect(bad.json.saved).toBe(600);
    const requested = await api.call<{ run: ApiRun }>("POST", "/api/v1/training-runs");
    expect(requested.status).toBe(202);
    const getRun = async (id: string) => (await api.call<{ run: ApiRun }>("GET", `/api/v1/training-runs/${id}`)).json.run;
    const badRun = await waitFor(
      async () => {
        const r = await getRun(requested.json.run.id);
        return FINISHED.includes(r.status) ? r : null;
      },
      300_000,
      1000,
    );
    expect(badRun, careless.output()).toBeTruthy();
    console.log(`[online-learning.kafka] wrong-label run: ${badRun!.status} — ${badRun!.error}`);
    expect(badRun!.status).toBe("rejected");
    expect(badRun!.error).toMatch(/golden sentiment dropped/);
    expect((await registry.champion())?.id).toBe(newId);
    const atReject = await rowsBy(db, newId);
    expect(await waitFor(async () => (await rowsBy(db, newId)) >= atReject + 20, 120_000, 500)).toBe(true);
    expect(await rowsBy(db, badRun!.model_id!)).toBe(0);

    // Roll back through the API: the scorer process returns to the previous version.
    const rolled = await api.call("POST", `/api/v1/models/${newId}/rollback`);
    expect(rolled.status, JSON.stringify(rolled.json)).toBe(200);
    expect(rolled.json).toMatchObject({ champion: championId, previous: newId });
    const backAgain = await waitFor(
      async () => {
        const s = await versionSegments(db);
        return s.length === 3 && s[2]!.rows >= 20;
      },
      120_000,
      500,
    );
    expect(backAgain, scorer.output()).toBe(true);

    // Final counts: every published item scored exactly once, nothing lost; versions old → new → old, never mixed.
    const total = await feed.stop();
    const countAll = async () =>
      (
        await db.exec(
          "select count(*)::int as items, (select count(*)::int from scores) as scores, (select count(distinct item_id)::int from scores) as scored from items",
        )
      ).rows[0] as { items: number; scores: number; scored: number };
    await waitFor(async () => (await countAll()).scores >= total, 120_000, 500);
    expect(await countAll()).toEqual({ items: total, scores: total, scored: total });
    const segments = await versionSegments(db);
    expect(segments.map((s) => s.version)).toEqual([championId, newId, championId]);
    console.log(
      `[online-learning.kafka] ${total} items published, scored once each: ${segments.map((s) => `${s.rows} by ${s.version}`).join(", ")}; test ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }, 600_000);
});
