export { EntityStoreError, type EntityErrorCode } from "./errors.ts";
export {
  seedRegistry,
  loadSnapshot,
  registryVersion,
  addEntity,
  addAlias,
  removeAlias,
  mergeEntities,
  splitEntity,
  legacyKeysOf,
  SplitInput,
  type AffectedKeys,
  type ChangeAction,
  type ChangeRecord,
  type ChangeResult,
  type SeedCounts,
} from "./registry.ts";
export { rekeyHistory, type MentionResolver, type RekeyResult } from "./rekey.ts";
export { rekeyAfter } from "./apply.ts";
export { rekeyChanges, type RekeyChangesResult, type RekeySelection } from "./rekey-changes.ts";
export { seedHash, seedRegistryIfChanged, type SeedOnceResult } from "./seed-once.ts";
export {
  searchEntities,
  getEntity,
  listChanges,
  entityLabels,
  changeJson,
  type ChangeJson,
  type EntityDetail,
  type EntityLabel,
  type EntitySummary,
} from "./queries.ts";
