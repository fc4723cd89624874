import type { Db } from "@finsentry/db";
import { EntityResolver } from "../resolver.ts";
import { rekeyHistory, type RekeyResult } from "./rekey.ts";
import { loadSnapshot, type ChangeResult } from "./registry.ts";

/**
 * After a write: re-keys history with a resolver over the registry as it now is. The write has already bumped the
 * registry version, so running scorers reload theirs on their next check.
 */
export async function rekeyAfter(db: Db, result: ChangeResult, actor = "registry"): Promise<RekeyResult | null> {
  if (!result.change || (result.affected.keys.length === 0 && result.affected.merges.length === 0)) return null;
  const resolver = new EntityResolver(await loadSnapshot(db));
  return rekeyHistory(db, resolver, result.affected, actor);
}
