import type { Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import type { Db } from "@finsentry/db";
import { loadScorer, type TextScorer } from "@finsentry/model";
import { startModelWatcher } from "./model-watcher.ts";
import { ModelRegistry } from "./registry.ts";
import type { ModelStore } from "./store.ts";

/** The model a scorer should start with: the registry's champion, else the fallback (the bundled model). */
export async function championScorer(
  deps: { db: Db; store: ModelStore; log: Logger },
  fallback: () => Promise<TextScorer>,
): Promise<TextScorer> {
  const champion = await new ModelRegistry(deps.db).champion();
  if (!champion) return fallback();
  const s = await loadScorer(await deps.store.localDir(champion.uri));
  deps.log.info({ model: s.version }, "serving the registry's champion");
  return s;
}

/**
 * Keeps a running scorer on the champion: each promotion or rollback loads the new version beside the old and swaps.
 * `current` names the version the scorer runs: after subscribing, the registry is checked once more, because the
 * watcher's fresh group starts at the newest event and a promotion announced while this process started would
 * otherwise be missed until the next model event.
 */
export async function followChampion(
  deps: { bus: Bus; db: Db; store: ModelStore; log: Logger },
  swap: (next: TextScorer) => Promise<void>,
  current?: () => string,
) {
  const registry = new ModelRegistry(deps.db);
  const watcher = await startModelWatcher({
    bus: deps.bus,
    store: deps.store,
    log: deps.log,
    registry,
    swap: async (dir) => swap(await loadScorer(dir)),
  });
  if (current) {
    const champion = await registry.champion();
    if (champion && champion.id !== current()) {
      deps.log.info({ running: current(), champion: champion.id }, "champion changed while starting; switching");
      await swap(await loadScorer(await deps.store.localDir(champion.uri)));
    }
  }
  return watcher;
}
