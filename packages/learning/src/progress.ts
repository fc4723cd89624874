import { counter, type Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import type { TrainProgress } from "@finsentry/model";
import { describeIssues, TOPICS, TrainingProgressV1, type TrainingProgress } from "@finsentry/schemas";

const published = counter("finsentry_training_progress_published_total", "Training progress messages published, by type", ["type"]);
const publishErrors = counter(
  "finsentry_training_progress_publish_errors_total",
  "Training progress messages the bus refused (progress is best-effort)",
);

type Phase = TrainingProgress["phase"];
type FinalStatus = "promoted" | "rejected" | "failed";

interface RunState {
  seq: number;
  /** The latest numbers, carried by every message of the run. */
  last: Omit<TrainingProgress, "v" | "type" | "run_id" | "seq" | "at">;
  lastSentAt: number;
  pending: boolean;
  timer: NodeJS.Timeout | null;
  /** Sends of one run are chained so they reach the bus in order. */
  chain: Promise<void>;
}

const finite = (n: number | null | undefined): number | null => (typeof n === "number" && Number.isFinite(n) ? n : null);
const count = (n: number | null | undefined): number => Math.max(0, Math.round(finite(n) ?? 0));

/**
 * Publishes training runs' progress on `training.progress` (TrainingProgressV1, keyed by run id): `run.started`,
 * `run.progress` at most once per `minIntervalMs` per run (the latest report wins; default 500 ms, i.e. ≤ 2/s), and
 * `run.finished` with the outcome. Best-effort: a bus failure is logged and counted, never thrown into training.
 */
export class TrainingProgressPublisher {
  private runs = new Map<string, RunState>();
  private readonly minIntervalMs: number;

  constructor(private deps: { bus: Bus; log: Logger; minIntervalMs?: number }) {
    this.minIntervalMs = deps.minIntervalMs ?? 500;
  }

  started(runId: string): void {
    const st: RunState = {
      seq: 0,
      last: {
        status: "running",
        phase: "preparing",
        epoch: 0,
        epochs: 0,
        step: 0,
        total_steps: 0,
        losses: {},
        examples_per_sec: null,
        eta_s: null,
      },
      lastSentAt: 0,
      pending: false,
      timer: null,
      chain: this.runs.get(runId)?.chain ?? Promise.resolve(),
    };
    this.runs.set(runId, st);
    this.send(runId, st, "run.started");
  }

  /** A training step's report (from fineTune's onProgress), or a phase change such as `evaluating`. */
  progress(runId: string, p: TrainProgress | { phase: Phase }): void {
    const st = this.runs.get(runId);
    if (!st) return;
    if ("step" in p) {
      st.last = {
        ...st.last,
        phase: p.phase,
        epoch: count(p.epoch),
        epochs: count(p.epochs),
        step: count(p.step),
        total_steps: count(Math.max(p.totalSteps, p.step)),
        losses: Object.fromEntries(Object.entries(p.losses).map(([k, v]) => [k, finite(v)])),
        examples_per_sec: finite(p.examplesPerSec) === null ? null : Math.max(0, p.examplesPerSec),
        eta_s: finite(p.etaSec) === null ? null : Math.max(0, p.etaSec!),
      };
    } else {
      st.last = { ...st.last, phase: p.phase, ...(p.phase === "evaluating" ? { eta_s: null, examples_per_sec: null } : {}) };
    }
    st.pending = true;
    const wait = st.lastSentAt + this.minIntervalMs - Date.now();
    if (wait <= 0 && !st.timer) {
      this.send(runId, st, "run.progress");
    } else if (!st.timer) {
      st.timer = setTimeout(
        () => {
          st.timer = null;
          if (st.pending && this.runs.get(runId) === st) this.send(runId, st, "run.progress");
        },
        Math.max(0, wait),
      );
      st.timer.unref?.();
    }
  }

  /** The run's outcome; any progress report still held back by the throttle is superseded by this message. */
  finished(runId: string, status: FinalStatus, fields: { modelId?: string | null; reason?: string | null } = {}): void {
    const st = this.runs.get(runId);
    if (!st) return;
    if (st.timer) clearTimeout(st.timer);
    st.timer = null;
    const trained = status !== "failed";
    st.last = {
      ...st.last,
      status,
      phase: "done",
      eta_s: trained ? 0 : null,
      // A run that trained to the end (early stopping included) is at 100%.
      ...(trained && st.last.step > 0 ? { total_steps: st.last.step } : {}),
      ...(fields.modelId !== undefined ? { model_id: fields.modelId } : {}),
      ...(fields.reason !== undefined ? { reason: fields.reason === null ? null : fields.reason.slice(0, 2000) } : {}),
    };
    this.send(runId, st, "run.finished");
    const done = st.chain;
    void done.then(() => {
      if (this.runs.get(runId) === st) this.runs.delete(runId);
    });
  }

  /** Resolves once everything published so far has been handed to the bus (or failed). */
  async flush(): Promise<void> {
    for (const st of this.runs.values())
      if (st.timer) {
        clearTimeout(st.timer);
        st.timer = null;
      }
    await Promise.all([...this.runs.values()].map((s) => s.chain));
  }

  private send(runId: string, st: RunState, type: TrainingProgress["type"]): void {
    st.pending = false;
    st.lastSentAt = Date.now();
    const msg = { v: 1 as const, type, run_id: runId, seq: st.seq++, at: new Date().toISOString(), ...st.last };
    const parsed = TrainingProgressV1.safeParse(msg);
    if (!parsed.success) {
      this.deps.log.error(
        { run: runId, problems: describeIssues(parsed.error) },
        "training progress message failed its own schema; not sent",
      );
      return;
    }
    st.chain = st.chain
      .then(() => this.deps.bus.send(TOPICS.trainingProgress, [{ key: runId, value: JSON.stringify(parsed.data) }]))
      .then(
        () => void published.inc({ type }),
        (err: unknown) => {
          publishErrors.inc();
          this.deps.log.warn({ run: runId, err }, "could not publish training progress");
        },
      );
  }
}
