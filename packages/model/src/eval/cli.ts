import { fileURLToPath } from "node:url";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { TextScorer } from "../types.ts";
import { EVAL_TASKS, parseLabelMap, readEvalData, type EvalTask } from "./dataset.ts";
import { evaluateOutputs, scoreAll, type EvalResult } from "./evaluate.ts";
import { formatReport } from "./format.ts";

/** The model bundled with the repo: <repo root>/models/default. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL("../../../../models/default", import.meta.url));

export interface EvalCliDeps {
  loadScorer: (dir: string) => Promise<Pick<TextScorer, "score" | "close">>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Called with (done, total) after each scored batch (the entry point draws a progress bar on a TTY). */
  progress?: (done: number, total: number) => void;
}

interface EvalCliOptions {
  model: string;
  data: string;
  task: EvalTask;
  format?: "csv" | "jsonl";
  textCol?: string;
  labelCol?: string;
  labelMap?: Map<string, string>;
  batchSize: number;
  json?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

function labelMapArg(value: string): Map<string, string> {
  try {
    return parseLabelMap(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function buildCommand(deps: EvalCliDeps): Command {
  return new Command("eval")
    .description("Evaluate a model directory on a labelled CSV/JSONL file for one task.")
    .option("--model <dir>", "model directory", DEFAULT_MODEL_DIR)
    .requiredOption("--data <file>", "labelled data file (.csv or .jsonl)")
    .addOption(new Option("--task <task>", "task to evaluate").choices(EVAL_TASKS).makeOptionMandatory())
    .addOption(new Option("--format <format>", "input format (default: from the file extension)").choices(["csv", "jsonl"]))
    .option("--text-col <name>", "column/key holding the text (default: text)")
    .option("--label-col <name>", "column/key holding the gold label (default: label for CSV, the task name for JSONL)")
    .option("--label-map <pairs>", "map raw labels to label names, e.g. 0=bearish,1=bullish,2=neutral", labelMapArg)
    .option("--batch-size <n>", "texts per scorer call", positiveInt, 64)
    .option("--json", "print exactly one JSON object on stdout")
    .exitOverride()
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr });
}

/**
 * The `npm run eval` CLI. Stdout carries only the report (one JSON object with --json); notes and errors go to
 * stderr. Returns the exit code: 0 ok, 1 failure, 2 usage error.
 */
export async function runEvalCli(argv: readonly string[], deps: EvalCliDeps): Promise<number> {
  const cmd = buildCommand(deps);
  let opts: EvalCliOptions;
  try {
    cmd.parse([...argv], { from: "user" });
    opts = cmd.opts<EvalCliOptions>();
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  let scorer: Pick<TextScorer, "score" | "close"> | undefined;
  try {
    const data = await readEvalData(opts.data, {
      task: opts.task,
      format: opts.format,
      textCol: opts.textCol,
      labelCol: opts.labelCol,
      labelMap: opts.labelMap,
    });
    if (data.skipped > 0) deps.stderr(`eval: skipped ${data.skipped} line(s) without a ${opts.labelCol ?? opts.task} label\n`);
    if (data.items.length === 0) throw new Error(`${opts.data}: no labelled examples for task ${opts.task}`);
    scorer = await deps.loadScorer(opts.model);
    const texts = data.items.map((it) => it.text);
    const outputs = await scoreAll(scorer, texts, opts.batchSize, (done) => deps.progress?.(done, texts.length));
    const result: EvalResult = evaluateOutputs(opts.task, data.items, outputs);
    deps.stdout(opts.json ? JSON.stringify(result) + "\n" : formatReport(result) + "\n");
    return 0;
  } catch (err) {
    deps.stderr(`eval: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await scorer?.close().catch(() => {});
  }
}
