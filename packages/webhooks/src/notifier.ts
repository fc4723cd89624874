import type { Bus } from "@finsentry/bus";
import type { Logger } from "@finsentry/core";
import type { DbHandle } from "@finsentry/db";
import { loadWebhookConfig, type AllowPrivate } from "./config.ts";
import { startConsumer } from "./consumer.ts";
import type { DeliveryContext } from "./deliver.ts";
import type { Resolver } from "./ssrf.ts";
import { startWorker } from "./worker.ts";

export interface NotifierDeps {
  bus: Bus;
  db: DbHandle;
  log: Logger;
  groupId?: string;
  /** Retry delays in ms; defaults to WEBHOOK_RETRY_SCHEDULE_MS or 5 s … 6 h. */
  schedule?: number[];
  allowPrivate?: AllowPrivate;
  now?: () => Date;
  timeoutMs?: number;
  disableAfterMs?: number;
  secretKey?: string;
  concurrency?: number;
  pollMs?: number;
  leaseMs?: number;
  /** ± fraction applied to scheduled delays (default 0.2). */
  jitter?: number;
  /** Set to false to only deliver (e.g. a second worker process); default consumes the bus too. */
  consume?: boolean;
  resolve?: Resolver;
}

/**
 * Runs the notifier: bus → outbox consumer plus the delivery worker. Unset options come from the environment
 * (loadWebhookConfig). `stop()` stops consuming, then waits for in-flight deliveries to finish and be recorded.
 */
export async function startNotifier(deps: NotifierDeps): Promise<{ stop(): Promise<void> }> {
  const env = loadWebhookConfig();
  const timeoutMs = deps.timeoutMs ?? env.timeoutMs;
  const leaseMs = deps.leaseMs ?? timeoutMs + 60_000;
  if (leaseMs <= timeoutMs) throw new Error("leaseMs must exceed timeoutMs, or slow attempts would be claimed twice");
  const log = deps.log.child({ component: "webhooks" });
  const ctx: DeliveryContext = {
    db: deps.db.db,
    log,
    schedule: deps.schedule ?? env.schedule,
    jitter: deps.jitter ?? 0.2,
    timeoutMs,
    allowPrivate: deps.allowPrivate ?? env.allowPrivate,
    secretKey: deps.secretKey ?? env.secretKey,
    disableAfterMs: deps.disableAfterMs ?? env.disableAfterMs,
    now: deps.now ?? (() => new Date()),
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  };
  if (!ctx.secretKey) {
    log.warn(
      "WEBHOOK_SECRET_KEY is not set: webhook signing secrets are stored in plain text in the database. Set it to base64 of 32 random bytes (openssl rand -base64 32) on every api and notifier process to store them encrypted",
    );
  }
  const worker = startWorker(ctx, { concurrency: deps.concurrency ?? env.concurrency, pollMs: deps.pollMs ?? 1000, leaseMs });
  const consumer =
    deps.consume === false
      ? null
      : await startConsumer({
          bus: deps.bus,
          db: ctx.db,
          log,
          groupId: deps.groupId ?? "notifier",
          now: ctx.now,
          onEnqueued: () => worker.wake(),
        }).catch(async (err) => {
          await worker.stop();
          throw err;
        });
  log.info(
    { allowPrivate: ctx.allowPrivate, schedule: ctx.schedule, timeoutMs, encryptedSecrets: Boolean(ctx.secretKey) },
    "notifier started",
  );
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= (async () => {
        await consumer?.stop();
        await worker.stop();
        log.info("notifier stopped");
      })();
      return stopped;
    },
  };
}
