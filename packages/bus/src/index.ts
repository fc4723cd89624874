export * from "./types.ts";
export { BusClosedError, MemoryBus, type MemoryBusOptions } from "./memory.ts";
export { errorSummary } from "./retry.ts";
export { KafkaBus, type KafkaBusOptions } from "./kafka.ts";
export { JavaCompatiblePartitioner } from "./murmur2.ts";
import type { Logger } from "@finsentry/core";
import type { Bus } from "./types.ts";
import { KafkaBus } from "./kafka.ts";
import { MemoryBus } from "./memory.ts";

/** Real Kafka when brokers are configured, else the in-process bus (embedded default). */
export function createBus(opts: {
  brokers?: string[];
  clientId?: string;
  partitions?: number;
  namespace?: string;
  log?: Logger;
  sessionTimeoutMs?: number;
}): Bus {
  if (opts.brokers && opts.brokers.length > 0) {
    return new KafkaBus({
      brokers: opts.brokers,
      clientId: opts.clientId,
      defaultPartitions: opts.partitions,
      namespace: opts.namespace,
      log: opts.log,
      sessionTimeoutMs: opts.sessionTimeoutMs,
    });
  }
  return new MemoryBus(opts.partitions, { log: opts.log });
}
