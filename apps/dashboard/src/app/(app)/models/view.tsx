"use client";

import { useMemo, useState } from "react";
import { post } from "../../../lib/api";
import { pct } from "../../../lib/format";
import { useApi } from "../../../lib/hooks";
import { Chart, type ChartSeries } from "../../../components/chart";
import { useTrainingEvents, type TrainingEvent } from "../../../components/live";
import { useCanEdit, useUser } from "../../../components/shell";
import { Empty, ErrorNote, PageHeader, Panel, Skeleton, Time, Unavailable } from "../../../components/ui";
import { DriftPanel } from "./drift";

type Metrics = Record<string, Record<string, number | null | undefined> | number | null | undefined>;
interface ModelVersion {
  id: string;
  version?: string;
  created_at?: string;
  status?: string;
  active?: boolean;
  parent?: string | null;
  metrics?: Metrics;
  promoted_at?: string | null;
  training_run_id?: string | null;
  [k: string]: unknown;
}
interface LossPoint {
  step: number;
  epoch?: number;
  [k: string]: number | undefined;
}
interface TrainingRun {
  id: string;
  status: string;
  started_at?: string | null;
  finished_at?: string | null;
  created_at?: string;
  epoch?: number | null;
  epochs?: number | null;
  step?: number | null;
  total_steps?: number | null;
  steps?: number | null;
  progress?: number | null;
  eta_s?: number | null;
  model_id?: string | null;
  error?: string | null;
  losses?: LossPoint[] | Record<string, number>;
  history?: LossPoint[];
  requested_by?: string | null;
  [k: string]: unknown;
}

const TASKS = [
  { key: "sentiment", label: "Sentiment", prefer: ["macro_f1", "macroF1", "f1", "accuracy"] },
  { key: "topic", label: "Topic", prefer: ["macro_f1", "macroF1", "f1", "accuracy"] },
  { key: "entities", alt: ["ner", "entity"], label: "Entities", prefer: ["span_f1", "spanF1", "f1", "micro_f1"] },
] as const;

function taskMetrics(m: Metrics | undefined, t: (typeof TASKS)[number]): Record<string, number> | null {
  if (!m) return null;
  const keys = [t.key, ...("alt" in t ? t.alt : [])];
  for (const k of keys) {
    const v = m[k];
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === "number")) as Record<string, number>;
  }
  // Flat shape: { sentiment_macro_f1: 0.8, … }
  const flat = Object.entries(m).filter(([k, v]) => typeof v === "number" && keys.some((p) => k.startsWith(`${p}_`)));
  return flat.length ? Object.fromEntries(flat.map(([k, v]) => [k.slice(k.indexOf("_") + 1), v as number])) : null;
}

function mainMetric(tm: Record<string, number> | null, prefer: readonly string[]): [string, number] | null {
  if (!tm) return null;
  for (const p of prefer) if (tm[p] !== undefined) return [p, tm[p]!];
  const first = Object.entries(tm)[0];
  return first ?? null;
}

const METRIC_LABELS: Record<string, string> = { macro_f1: "macro-F1", macroF1: "macro-F1", f1: "F1", span_f1: "span F1", spanF1: "span F1", micro_f1: "micro-F1" };
const metricLabel = (k: string) => METRIC_LABELS[k] ?? k.replace(/_/g, " ");

const isActive = (m: ModelVersion) => m.active === true || m.status === "active" || m.status === "promoted" || m.status === "serving";

function lossSeries(run: TrainingRun | undefined, live: LossPoint[]): LossPoint[] {
  const stored = Array.isArray(run?.losses) ? run.losses : Array.isArray(run?.history) ? run.history : [];
  const byStep = new Map<number, LossPoint>();
  for (const p of [...stored, ...live]) if (typeof p.step === "number") byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

function progressOf(r: TrainingRun, live?: TrainingEvent): number | null {
  if (typeof r.progress === "number") return r.progress > 1 ? r.progress / 100 : r.progress;
  const step = live?.step ?? r.step;
  const total = live?.total_steps ?? r.total_steps ?? r.steps;
  if (typeof step === "number" && typeof total === "number" && total > 0) return step / total;
  const epoch = live?.epoch ?? r.epoch;
  if (typeof epoch === "number" && typeof r.epochs === "number" && r.epochs > 0) return epoch / r.epochs;
  if (r.status === "succeeded" || r.status === "completed" || r.status === "done") return 1;
  return null;
}

const fmtEta = (s: number | null | undefined) => (s == null ? null : s < 90 ? `${Math.round(s)}s` : s < 5400 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`);

export function ModelsView() {
  const models = useApi<{ models: ModelVersion[]; active?: string | null }>("/api/v1/models", { refreshMs: 30_000 });
  const runs = useApi<{ runs?: TrainingRun[]; training_runs?: TrainingRun[] }>("/api/v1/training-runs", { refreshMs: 15_000 });
  const user = useUser();
  const canEdit = useCanEdit();
  const isAdmin = user?.role === "admin";
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [selRun, setSelRun] = useState<string | null>(null);
  const [live, setLive] = useState<Record<string, { last: TrainingEvent; points: LossPoint[] }>>({});

  useTrainingEvents((ev) => {
    const raw = Array.isArray(ev.losses) ? { loss: ev.losses[ev.losses.length - 1] ?? NaN } : ev.losses;
    const losses = Object.fromEntries(Object.entries(raw).filter((e): e is [string, number] => typeof e[1] === "number"));
    // A run started or finished: its row (status, model) changes, so the list is fetched again.
    if (ev.type === "run.started" || ev.type === "run.finished") void runs.reload();
    setLive((cur) => {
      const prev = cur[ev.run_id]?.points ?? [];
      const points = Object.keys(losses).length ? [...prev, { step: ev.step, epoch: ev.epoch, ...losses }].slice(-2000) : prev;
      return { ...cur, [ev.run_id]: { last: ev, points } };
    });
  });

  const runList = runs.data?.runs ?? runs.data?.training_runs ?? [];
  const curRun = runList.find((r) => r.id === selRun) ?? runList.find((r) => r.status === "running") ?? runList[0];
  const points = useMemo(() => lossSeries(curRun, curRun ? (live[curRun.id]?.points ?? []) : []), [curRun, live]);
  const chart = useMemo(() => {
    if (points.length < 2) return null;
    const keys = [...new Set(points.flatMap((p) => Object.keys(p).filter((k) => k !== "step" && k !== "epoch" && typeof p[k] === "number")))].slice(0, 4);
    const colors = ["c-loss", "c-loss2", "c-loss3", "c-sent"];
    const series: ChartSeries[] = keys.map((k, i) => ({ label: k, values: points.map((p) => p[k] ?? null), color: colors[i]!, scale: "l", fmt: (v) => v.toFixed(4) }));
    return { x: points.map((p) => p.step), series };
  }, [points]);

  const act = async (what: string, path: string, body: unknown = {}) => {
    setBusy(what);
    setErr(null);
    try {
      await post(path, body);
      await Promise.all([models.reload(), runs.reload()]);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(null);
    }
  };

  const running = runList.some((r) => r.status === "running" || r.status === "queued" || r.status === "pending");
  return (
    <>
      <PageHeader
        title="Models"
        sub="Model versions with held-out metrics, and training runs. Promote hot-swaps the scorers; roll back restores the previous version."
        actions={
          <button className="btn btn-primary" disabled={!canEdit || running || busy !== null || runs.unavailable} onClick={() => void act("retrain", "/api/v1/training-runs")} data-testid="retrain">
            {running ? "Training…" : "Retrain with new labels"}
          </button>
        }
      />
      <ErrorNote error={err} />
      <div className="stack">
        <Panel title="Versions" flush testId="model-list">
          {models.unavailable ? (
            <Unavailable what="Model registry" />
          ) : models.error ? (
            <ErrorNote error={models.error} retry={models.reload} />
          ) : !models.data ? (
            <Skeleton rows={4} />
          ) : models.data.models.length === 0 ? (
            <Empty title="No models registered" />
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Status</th>
                    {TASKS.map((t) => (
                      <th key={t.key} className="th-num">
                        {t.label}
                      </th>
                    ))}
                    <th>Created</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {models.data.models.map((m) => {
                    const active = isActive(m) || models.data!.active === m.id;
                    return (
                      <tr key={m.id} data-testid="model-row" className={active ? "selected" : undefined}>
                        <td>
                          <div className="mono" style={{ fontWeight: 600 }}>
                            {m.version ?? m.id}
                          </div>
                          {m.parent ? <div className="small faint">from {m.parent}</div> : null}
                        </td>
                        <td>{active ? <span className="badge ok">serving</span> : <span className="badge">{m.status ?? "candidate"}</span>}</td>
                        {TASKS.map((t) => {
                          const tm = taskMetrics(m.metrics, t);
                          const mm = mainMetric(tm, t.prefer);
                          return (
                            <td key={t.key} className="num" title={tm ? Object.entries(tm).map(([k, v]) => `${k} ${pct(v, 1)}`).join("\n") : undefined}>
                              {mm ? (
                                <>
                                  <span style={{ fontWeight: 600 }}>{pct(mm[1], 1)}</span> <span className="faint small">{metricLabel(mm[0])}{t.key === "entities" ? " · dev, weak labels" : ""}</span>
                                </>
                              ) : (
                                <span className="faint">—</span>
                              )}
                            </td>
                          );
                        })}
                        <td className="small nowrap">
                          <Time iso={m.created_at} />
                        </td>
                        <td className="nowrap" style={{ textAlign: "right" }}>
                          {active && models.data!.models.length < 2 ? (
                            <span className="small faint" title="Roll back needs an earlier version">only version</span>
                          ) : active ? (
                            <button className="btn btn-s" disabled={!isAdmin || busy !== null} onClick={() => confirm(`Roll back from ${m.version ?? m.id} to the previous version?`) && void act(`rb:${m.id}`, `/api/v1/models/${encodeURIComponent(m.id)}/rollback`)} data-testid="rollback">
                              Roll back
                            </button>
                          ) : (
                            <button className="btn btn-s" disabled={!isAdmin || busy !== null} onClick={() => confirm(`Promote ${m.version ?? m.id}? Scorers switch to it at once.`) && void act(`pr:${m.id}`, `/api/v1/models/${encodeURIComponent(m.id)}/promote`)} data-testid="promote">
                              Promote
                            </button>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              <p className="small faint" style={{ padding: "8px 12px", borderTop: "1px solid var(--border)" }} data-testid="model-metrics-note">
                Figures are each version&apos;s held-out dev split from its training recipe. Its entity span F1 counts all six span types
                against gold spans completed by weak labels (cashtags, amounts, a company gazetteer), so it is far above this fast-tier
                model&apos;s score on gold names alone. By default scoring runs as a cascade with the accurate tier (models/accurate); gold-label
                figures per text style are in the README (&ldquo;The model&rdquo;) and docs/accurate-tier.md.
              </p>
            </div>
          )}
        </Panel>
        <div className="grid grid-split">
          <Panel title="Training runs" flush testId="training-runs">
            {runs.unavailable ? (
              <Unavailable what="Training" />
            ) : runs.error ? (
              <ErrorNote error={runs.error} retry={runs.reload} />
            ) : !runs.data ? (
              <Skeleton rows={4} />
            ) : runList.length === 0 ? (
              <Empty title="No training runs yet">Retrain to fold the latest labels into a new candidate model.</Empty>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Run</th>
                    <th>Status</th>
                    <th>Progress</th>
                    <th>Started</th>
                  </tr>
                </thead>
                <tbody>
                  {runList.map((r) => {
                    const lv = live[r.id]?.last;
                    const p = progressOf(r, lv);
                    const eta = fmtEta(lv?.eta_s ?? r.eta_s);
                    return (
                      <tr key={r.id} className={r.id === curRun?.id ? "clickable selected" : "clickable"} onClick={() => setSelRun(r.id)} data-testid="run-row">
                        <td className="mono small">{r.id}</td>
                        <td>
                          <span className={`badge ${r.status === "failed" ? "bad" : r.status === "running" ? "accent" : r.status === "succeeded" || r.status === "completed" ? "ok" : ""}`}>{r.status}</span>
                        </td>
                        <td style={{ minWidth: 140 }}>
                          {p !== null ? (
                            <div className="row gap-s">
                              <div className="progress grow" role="progressbar" aria-valuenow={Math.round(p * 100)} aria-valuemin={0} aria-valuemax={100}>
                                <span style={{ width: `${Math.min(100, p * 100)}%` }} />
                              </div>
                              <span className="small muted nowrap">
                                {pct(p)}
                                {eta && r.status === "running" ? ` · ${eta} left` : ""}
                              </span>
                            </div>
                          ) : (
                            <span className="faint">—</span>
                          )}
                        </td>
                        <td className="small nowrap">
                          <Time iso={r.started_at ?? r.created_at} />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </Panel>
          <Panel title={curRun ? `Loss · ${curRun.id}` : "Loss"} testId="loss-curve">
            {curRun?.error ? <ErrorNote error={{ message: curRun.error }} /> : null}
            {chart ? <Chart x={chart.x} series={chart.series} timeAxis={false} height={200} ariaLabel="Training loss by step" /> : <Empty title="No loss data yet">The curve fills in live while a run trains.</Empty>}
          </Panel>
        </div>
        <DriftPanel />
      </div>
    </>
  );
}
