import cliProgress from "cli-progress";

/** Progress bar on stderr (epoch, step, per-task loss, examples/s, ETA); in a non-TTY it prints a line every 15 s. */
export function makeProgressBar(enabled: boolean): {
  start(total: number, payload: object): void;
  update(v: number, payload: object): void;
  stop(): void;
} {
  if (!enabled) return { start() {}, update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: "epoch {epoch} |{bar}| step {value}/{total} | loss {loss} | {eps} ex/s | ETA {eta_formatted}",
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 15_000,
      etaBuffer: 50,
      hideCursor: false,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total, payload) => bar.start(total, 0, payload),
    update: (v, payload) => bar.update(v, payload),
    stop: () => bar.stop(),
  };
}
