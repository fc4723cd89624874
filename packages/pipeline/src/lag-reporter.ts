import type { Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import { m } from "./metrics.ts";

/** Samples consumer lag into the `finsentry_consumer_lag` gauge, so /metrics shows how far each stage is behind. */
export function startLagReporter(bus: Bus, log: Logger, watches: { group: string; topic: string }[], everyMs = 5000): { stop(): void } {
  const sample = async () => {
    for (const w of watches) {
      try {
        m.lag.set(w, await bus.lag(w.group, w.topic));
      } catch (err) {
        log.debug({ err, ...w }, "lag sample failed");
      }
    }
  };
  const timer = setInterval(() => void sample(), everyMs);
  timer.unref();
  void sample();
  return { stop: () => clearInterval(timer) };
}
