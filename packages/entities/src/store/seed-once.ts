import { createHash } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { entitySeeds, type Db } from "@finsentry/db";
import type { RegistryEntity } from "../types.ts";
import { registryVersion, seedRegistry, type ChangeResult, type SeedCounts } from "./registry.ts";

/** Bump to seed every source again once (when what seeding does with the same list changes). */
const SEED_FORMAT = 1;

/** The outcome of `seedRegistryIfChanged`: skipped (same content as the last seed of this source) or seeded. */
export type SeedOnceResult =
  | { skipped: true; source: string; hash: string; seededAt: Date; registryVersion: number }
  | ({ skipped: false; source: string; hash: string; previousHash: string | null } & ChangeResult & { counts: SeedCounts });

/** A content hash of a seed list: its entities in order, each field in a fixed order (seeding is order-sensitive). */
export function seedHash(list: readonly RegistryEntity[]): string {
  const h = createHash("sha256");
  h.update(`finsentry-seed-v${SEED_FORMAT}\n`);
  for (const e of list) {
    h.update(JSON.stringify([e.id, e.kind, e.name, e.ticker ?? null, e.exchange ?? null, e.aliases]));
    h.update("\n");
  }
  return h.digest("hex");
}

/**
 * Seeds `list` for `source` (e.g. `listings:<dir>`) unless the last seed of that source had the same content and the
 * registry has not been rebuilt since (its version is not below the one recorded then). Seeding a registry of
 * thousands of entities takes seconds on Postgres, and a scorer seeds on every start: unchanged lists are skipped.
 * Registry changes made since (aliases removed, merges) stay as they are either way: seeding never undoes them.
 */
export async function seedRegistryIfChanged(db: Db, source: string, list: RegistryEntity[], actor: string): Promise<SeedOnceResult> {
  const hash = seedHash(list);
  const [last] = await db.select().from(entitySeeds).where(eq(entitySeeds.source, source));
  if (last?.contentHash === hash) {
    const version = await registryVersion(db);
    if (version >= last.registryVersion)
      return { skipped: true, source, hash, seededAt: last.seededAt, registryVersion: last.registryVersion };
  }
  const result = await seedRegistry(db, list, actor);
  const version = await registryVersion(db);
  await db
    .insert(entitySeeds)
    .values({ source, contentHash: hash, entities: list.length, registryVersion: version })
    .onConflictDoUpdate({
      target: entitySeeds.source,
      set: { contentHash: hash, entities: list.length, registryVersion: version, seededAt: sql`now()` },
    });
  return { skipped: false, source, hash, previousHash: last?.contentHash ?? null, ...result };
}
