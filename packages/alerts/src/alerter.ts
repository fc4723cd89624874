import { count } from "drizzle-orm";
import { alertRules, type DbHandle } from "@finsentry/db";
import type { Bus } from "@finsentry/bus";
import type { Logger } from "@finsentry/core";
import { TOPICS } from "@finsentry/schemas";
import { AlertEngine, type EngineOptions, type Fence } from "./engine/live.ts";
import { DEFAULT_RULES_FILE, loadRulesFile } from "./rules/file.ts";
import { seedRules } from "./rules/store.ts";

export interface AlerterOptions extends EngineOptions {
  /** Input topic (tests use a private one on a shared broker). */
  inputTopic: string;
  /** How often the rules table is checked for changes. */
  rulesPollMs: number;
  /** How often `tick` runs (API resolutions, idle watermark, outbox retries). 0 = never. */
  tickMs: number;
  /** `if_empty`: the file seeds an empty rules table only (deleting a file rule through the API sticks); `missing`: file rules whose id is not stored are added. */
  seed: "if_empty" | "missing" | "off";
  /** Messages per batch (one transaction each). */
  maxBatchSize: number;
}

export interface AlerterDeps {
  bus: Bus;
  db: DbHandle;
  log: Logger;
  groupId?: string;
  rulesFile?: string;
  now?: () => Date;
  options?: Partial<AlerterOptions>;
  /** Checked inside every engine write transaction (alerter HA: only the lease holder may write). */
  fence?: Fence;
}

export interface Alerter {
  engine: AlertEngine;
  /** `flush: false` skips the final outbox flush (a fenced-out ex-leader leaves it to the new one). */
  stop(opts?: { flush?: boolean }): Promise<void>;
}

/** Seeds rules, restores the engine and consumes `items.scored` until stopped. */
export async function startAlerter(deps: AlerterDeps): Promise<Alerter> {
  const { bus, log } = deps;
  const db = deps.db.db;
  const opts = {
    inputTopic: TOPICS.scored,
    rulesPollMs: 5_000,
    tickMs: 5_000,
    seed: "if_empty" as const,
    maxBatchSize: 500,
    ...deps.options,
  };
  await bus.ensureTopics([{ name: opts.inputTopic }, { name: opts.alertsTopic ?? TOPICS.alerts }]);

  if (opts.seed !== "off") {
    const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(alertRules);
    if (opts.seed === "missing" || n === 0) {
      const file = deps.rulesFile ?? DEFAULT_RULES_FILE;
      const added = await seedRules(db, await loadRulesFile(file));
      if (added) log.info({ file, added }, "alert rules seeded from file");
    }
  }

  const engine = await AlertEngine.open({ db, bus, log, now: deps.now, options: opts, fence: deps.fence });
  const sub = await bus.subscribe({
    groupId: deps.groupId ?? "alerter",
    topics: [opts.inputTopic],
    fromBeginning: true,
    maxBatchSize: opts.maxBatchSize,
    eachBatch: (batch) => engine.handleBatch(batch),
  });

  let stopping = false;
  const every = (ms: number, what: string, fn: () => Promise<unknown>) => {
    if (ms <= 0) return null;
    let running = false;
    const t = setInterval(() => {
      if (stopping || running) return;
      running = true;
      fn()
        .catch((err) => log.error({ err }, `${what} failed`))
        .finally(() => (running = false));
    }, ms);
    t.unref();
    return t;
  };
  const timers = [
    every(opts.rulesPollMs, "rule reload", () => engine.reloadRules()),
    every(opts.tickMs, "alerter tick", () => engine.tick()),
  ];
  log.info({ group: deps.groupId ?? "alerter", topic: opts.inputTopic }, "alerter started");

  return {
    engine,
    async stop(o = {}) {
      stopping = true;
      for (const t of timers) if (t) clearInterval(t);
      await sub.stop();
      await engine.idle();
      if (o.flush !== false) await engine.flushOutbox().catch((err) => log.warn({ err }, "final outbox flush failed"));
    },
  };
}
