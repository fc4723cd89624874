import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import { ModelEventV1, TOPICS } from "@finsentry/schemas";
import type { ModelRegistry } from "./registry.ts";
import type { ModelStore } from "./store.ts";

/**
 * Follows `model.events` (each process with its own group, so every scorer hears every event) and hands the
 * directory of each newly promoted or rolled-back-to version to `swap`.
 */
export async function startModelWatcher(deps: {
  bus: Bus;
  registry: ModelRegistry;
  store: ModelStore;
  log: Logger;
  swap: (dir: string, version: string) => Promise<void>;
}) {
  return deps.bus.subscribe({
    groupId: `model-watch-${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`,
    topics: [TOPICS.modelEvents],
    fromBeginning: false,
    eachBatch: async ({ messages }) => {
      for (const msg of messages) {
        let ev;
        try {
          ev = ModelEventV1.parse(JSON.parse(msg.value.toString()));
        } catch (err) {
          deps.log.warn({ err }, "invalid model event; ignored");
          continue;
        }
        if (ev.type === "model.registered") continue;
        const v = await deps.registry.get(ev.version);
        if (!v) {
          deps.log.error({ version: ev.version }, "model event names a version the registry does not have");
          continue;
        }
        await deps.swap(await deps.store.localDir(v.uri), v.id);
      }
    },
  });
}
