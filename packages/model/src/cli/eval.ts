/**
 * `npm run eval -- --model <dir> --data <file> --task <sentiment|topic|entities> [--format csv|jsonl]
 *   [--text-col text] [--label-col label] [--label-map 0=bearish,1=bullish,2=neutral] [--batch-size 64] --json`
 *
 * With --json, stdout is exactly one JSON object:
 *   sentiment/topic: { task, n, accuracy, macro_f1, per_class: {label: {precision, recall, f1, support}},
 *                      confusion: { labels, matrix[gold][pred] } }
 *   entities:        { task, n, precision, recall, f1 (micro, exact span+type), per_class: {TYPE: …},
 *                      accuracy (texts whose span set is exactly right), macro_f1 (over types), confusion: null }
 * Topic labels may be the 20 names or 0-19. --model defaults to <repo>/models/default.
 */
import cliProgress from "cli-progress";
import { runEvalCli } from "../eval/cli.ts";

let bar: cliProgress.SingleBar | undefined;
const code = await runEvalCli(process.argv.slice(2), {
  // Lazy: onnxruntime-node loads only once arguments and data have been validated.
  loadScorer: async (dir) => (await import("../runtime/index.ts")).loadScorer(dir),
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  progress: process.stderr.isTTY
    ? (done, total) => {
        bar ??= new cliProgress.SingleBar({ stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        if (done <= total && !bar.isActive) bar.start(total, 0);
        bar.update(done);
        if (done >= total) bar.stop();
      }
    : undefined,
});
process.exitCode = code;
