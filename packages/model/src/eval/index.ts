export { classificationReport, entityReport, prf, type ClassScores, type ClassificationReport, type EntityReport } from "./metrics.ts";
export { readEvalData, parseLabelMap, EVAL_TASKS, type EvalTask, type EvalItem, type EvalData, type ReadEvalOptions } from "./dataset.ts";
export { evaluateOutputs, scoreAll, type EvalResult } from "./evaluate.ts";
export { formatReport } from "./format.ts";
export { runEvalCli, DEFAULT_MODEL_DIR, type EvalCliDeps } from "./cli.ts";
