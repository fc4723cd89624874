export { startAlerter, type Alerter, type AlerterDeps, type AlerterOptions } from "./alerter.ts";
export { AlertEngine, DEFAULT_ENGINE_OPTIONS, type EngineOptions, type EngineStatus } from "./engine/live.ts";
export { AlertCore, type CoreOptions } from "./engine/core.ts";
export { alertRoutes, type AlertRoutesDeps, type EngineHandle } from "./api/routes.ts";
export { backtestRule, BacktestRequest, type BacktestAlert, type BacktestResult } from "./backtest.ts";
export { acknowledgeAlert, resolveAlert, flushOutbox, alertEvent } from "./engine/alert-store.ts";
export { Rule, RULE_TYPES, parseRule, safeParseRule, RuleValidationError, type RuleInput, type RuleType } from "./rules/schema.ts";
export { compileRule, type CompiledRule } from "./rules/compile.ts";
export { parseRulesText, loadRulesFile, DEFAULT_RULES_FILE, DEMO_RULES_FILE } from "./rules/file.ts";
export { createRule, replaceRule, patchRule, deleteRule, getRule, listRules, seedRules } from "./rules/store.ts";
export { contributionsOf, modelStreamContribution, MODEL_STREAM_KEY, type Contribution } from "./window/contribution.ts";
export { DRIFT_TASKS, jsDistance, psi, type DriftTask } from "./window/drift.ts";
export { LeadershipLost, type Fence } from "./engine/live.ts";
export { startHaAlerter, type HaAlerter, type HaAlerterDeps } from "./ha/leader.ts";
export { PgLease, type LeaseOptions, type LeaseRow } from "./ha/lease.ts";
export { AlerterHaConfig, loadAlerterHaConfig } from "./ha/config.ts";
export {
  RetentionConfig,
  loadRetentionConfig,
  alertRetentionTasks,
  runRetention,
  startRetention,
  pruneLateItems,
  pruneSupersededScores,
  type RetentionTask,
} from "./retention.ts";
