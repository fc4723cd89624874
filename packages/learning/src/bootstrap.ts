import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Manifest } from "@finsentry/model";
import type { Logger } from "@finsentry/core";
import type { ModelRegistry } from "./registry.ts";
import type { ModelStore } from "./store.ts";

/** On an empty registry, the bundled model becomes version one and champion, so there is always something to serve. */
export async function ensureChampion(
  deps: { registry: ModelRegistry; store: ModelStore; log: Logger },
  bundledDir: string,
): Promise<string> {
  const current = await deps.registry.champion();
  if (current) return current.id;
  const manifest = Manifest.parse(JSON.parse(await readFile(join(bundledDir, "manifest.json"), "utf8")));
  if (!(await deps.registry.get(manifest.id))) {
    const uri = await deps.store.put(manifest.id, bundledDir);
    await deps.registry.register({
      id: manifest.id,
      parentId: manifest.parent ?? null,
      uri,
      metrics: (manifest as unknown as { metrics?: Record<string, unknown> }).metrics ?? {},
      dataSummary: { bundled: true },
    });
  }
  await deps.registry.promote(manifest.id, "bootstrap");
  deps.log.info({ model: manifest.id }, "registered the bundled model as champion");
  return manifest.id;
}
