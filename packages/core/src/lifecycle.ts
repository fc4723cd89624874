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

/**
 * For a service's start: awaits `p`, and if it fails prints "<service>: cannot start: <reason>" (one line, no stack)
 * to stderr, logs the error, and exits with status 1 — a misconfigured service stops visibly instead of limping on.
 */
export async function orExit<T>(service: string, log: Logger, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.fatal({ err }, "cannot start");
    process.stderr.write(`${service}: cannot start: ${reason.split("\n")[0]}\n`);
    process.exit(1);
  }
}
