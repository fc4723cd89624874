import { z } from "zod";
import { parseEnv, type Logger } from "@finsentry/core";
import type { Db } from "@finsentry/db";
import {
  EntityResolver,
  loadListings,
  loadSnapshot,
  registryVersion,
  seedRegistry,
  seedRegistryIfChanged,
  type RegistryEntity,
} from "@finsentry/entities";

export const ResolutionConfig = z.object({
  /** `off` keys every mention by its surface text, as before the registry existed. */
  ENTITY_RESOLUTION: z.enum(["on", "off"]).default("on"),
  /** How often a scorer checks the registry's version and reloads it after a change (alias, merge, split). */
  ENTITY_REFRESH_MS: z.coerce.number().int().min(200).max(600_000).default(5_000),
  /**
   * A listings directory laid out like `../shared/data/tickers`, seeded into the registry at start (idempotent); skipped
   * when the listings are the same as at the last seed (a content hash is kept in `entity_seeds`).
   */
  ENTITY_LISTINGS_DIR: z.string().min(1).optional(),
});
export type ResolutionConfig = z.infer<typeof ResolutionConfig>;

export function loadResolutionConfig(env: Record<string, string | undefined> = process.env): ResolutionConfig {
  return parseEnv(ResolutionConfig, env, "entity resolution configuration");
}

/** The registry as the scorer sees it: the resolver of the latest version, swapped in when the version moves. */
export interface RegistryFollower {
  current(): EntityResolver | null;
  /** Reloads now if the registry changed (tests; the timer does it every ENTITY_REFRESH_MS). */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Seeds what the configuration names (`seed` entities, e.g. the demo's companies, and ENTITY_LISTINGS_DIR), loads
 * the registry and follows its version. A failed reload keeps the resolver it has (logged): a registry hiccup never
 * stops scoring.
 */
export async function followRegistry(
  db: Db,
  log: Logger,
  opts: { config?: ResolutionConfig; seed?: RegistryEntity[]; actor?: string } = {},
): Promise<RegistryFollower> {
  const cfg = opts.config ?? loadResolutionConfig();
  if (cfg.ENTITY_RESOLUTION === "off") {
    log.info("entity resolution off (ENTITY_RESOLUTION=off): mentions keyed by their text");
    return { current: () => null, refresh: async () => {}, stop: () => {} };
  }
  const actor = opts.actor ?? "scorer";
  if (opts.seed?.length) await seedRegistry(db, opts.seed, actor);
  if (cfg.ENTITY_LISTINGS_DIR) {
    const listings = await loadListings(cfg.ENTITY_LISTINGS_DIR);
    if (listings.rejected.length) {
      log.warn(
        { dir: cfg.ENTITY_LISTINGS_DIR, rejected: listings.rejected.length, first: listings.rejected.slice(0, 3) },
        "listing rows rejected",
      );
    }
    const started = Date.now();
    const seeded = await seedRegistryIfChanged(db, `listings:${cfg.ENTITY_LISTINGS_DIR}`, listings.entities, actor);
    const facts = {
      dir: cfg.ENTITY_LISTINGS_DIR,
      entities: listings.entities.length,
      hash: seeded.hash.slice(0, 16),
      ms: Date.now() - started,
    };
    if (seeded.skipped)
      log.info({ ...facts, seeded_at: seeded.seededAt.toISOString() }, "entity listings unchanged since the last seed: seeding skipped");
    else log.info({ ...facts, ...seeded.counts, first_seed: seeded.previousHash === null }, "entity listings seeded");
  }
  const first = await loadSnapshot(db);
  let resolver = new EntityResolver(first);
  log.info({ version: first.version, entities: first.entities.length }, "entity registry loaded");
  const refresh = async () => {
    const v = await registryVersion(db);
    if (v === resolver.version) return;
    resolver = new EntityResolver(await loadSnapshot(db));
    log.info({ version: resolver.version }, "entity registry reloaded");
  };
  const timer = setInterval(() => {
    refresh().catch((err: unknown) =>
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "entity registry reload failed; keeping the loaded one"),
    );
  }, cfg.ENTITY_REFRESH_MS);
  timer.unref();
  return { current: () => resolver, refresh, stop: () => clearInterval(timer) };
}
