import type { Logger } from "./logger.ts";

/** Runs `stop` once on SIGTERM/SIGINT so in-flight batches drain before the process exits. */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: draining in-flight work");
    stop()
      .then(() => process.exit(0))
      .catch((err) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.once("SIGTERM", () => handler("SIGTERM"));
  process.once("SIGINT", () => handler("SIGINT"));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
