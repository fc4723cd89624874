"use client";

import { useEffect, useMemo, useState } from "react";
import { qs } from "../../../lib/api";
import { num, pct } from "../../../lib/format";
import { useApi } from "../../../lib/hooks";
import { Chart, type ChartSeries } from "../../../components/chart";
import { Empty, ErrorNote, Panel, Segmented, Skeleton, Unavailable } from "../../../components/ui";

interface TaskMix {
  shares: Record<string, number>;
  mean_confidence: number;
}
interface DriftPoint {
  t: string;
  model_version: string;
  count: number;
  sentiment: TaskMix;
  topic: TaskMix;
}
interface DriftResponse {
  from: string;
  to: string;
  model_versions: string[];
  points: DriftPoint[];
}

const RANGES = {
  "1h": { ms: 3600_000, resolution: "5m", step: 300_000 },
  "24h": { ms: 24 * 3600_000, resolution: "15m", step: 900_000 },
  "7d": { ms: 7 * 86400_000, resolution: "1h", step: 3600_000 },
  "30d": { ms: 30 * 86400_000, resolution: "6h", step: 6 * 3600_000 },
} as const;
type RangeKey = keyof typeof RANGES;
type RangeChoice = "auto" | RangeKey;
const CHOICES: readonly RangeChoice[] = ["auto", "1h", "24h", "7d", "30d"];
type Task = "sentiment" | "topic";

const SENTIMENT = [
  { label: "bearish", color: "c-bearish" },
  { label: "neutral", color: "c-volume" },
  { label: "bullish", color: "c-bullish" },
] as const;
const TOPIC_COLORS = ["c-loss", "c-warn", "c-loss3", "c-volume"];
const ALL = "";

/** One bucket's mix over the chosen versions: shares and confidence weighted by item count. */
interface Bucket {
  t: number;
  count: number;
  shares: Record<string, number>;
  /** Null for a bucket without items. */
  confidence: number | null;
}

function combine(points: DriftPoint[], task: Task): Map<number, Bucket> {
  const acc = new Map<number, { count: number; shares: Record<string, number>; conf: number }>();
  for (const p of points) {
    const t = Date.parse(p.t);
    const a = acc.get(t) ?? { count: 0, shares: {}, conf: 0 };
    const mix = p[task];
    for (const [k, v] of Object.entries(mix.shares)) a.shares[k] = (a.shares[k] ?? 0) + v * p.count;
    a.conf += mix.mean_confidence * p.count;
    a.count += p.count;
    acc.set(t, a);
  }
  const out = new Map<number, Bucket>();
  for (const [t, a] of acc) {
    if (a.count === 0) continue;
    out.set(t, { t, count: a.count, shares: Object.fromEntries(Object.entries(a.shares).map(([k, v]) => [k, v / a.count])), confidence: a.conf / a.count });
  }
  return out;
}

/**
 * Prediction drift: per time bucket, the share of each predicted class and the mean confidence, from
 * `/api/v1/models/drift`. A sudden change in the mix or a fall in confidence is what the `drift` alert rule watches.
 */
export function DriftPanel() {
  // "auto": the last 24 h trimmed to where scored items start; the last hour in 5-minute buckets while data is young.
  const [choice, setChoice] = useState<RangeChoice>("auto");
  const [autoRange, setAutoRange] = useState<RangeKey>("24h");
  const range: RangeKey = choice === "auto" ? autoRange : choice;
  const [task, setTask] = useState<Task>("sentiment");
  const [version, setVersion] = useState<string>(ALL);
  // Fixed per choice, so the URL (and the chart) stays stable between renders.
  const [anchor, setAnchor] = useState(() => Date.now());
  const { from, to } = useMemo(() => ({ from: new Date(anchor - RANGES[range].ms).toISOString(), to: new Date(anchor + 60_000).toISOString() }), [anchor, range]);
  const drift = useApi<DriftResponse>(`/api/v1/models/drift${qs({ from, to, resolution: RANGES[range].resolution, model_version: version || undefined })}`);
  // The version list comes from an unfiltered answer; keep the last one so filtering does not empty the menu.
  const [versions, setVersions] = useState<string[]>([]);
  const seen = drift.data?.model_versions;
  useEffect(() => {
    if (choice !== "auto" || autoRange !== "24h" || !drift.data?.points.length) return;
    const first = Math.min(...drift.data.points.map((p) => Date.parse(p.t)));
    if (Date.now() - first < 55 * 60_000) setAutoRange("1h");
  }, [choice, autoRange, drift.data]);
  useEffect(() => {
    if (!version && seen) setVersions(seen);
  }, [version, seen]);

  const buckets = useMemo(() => {
    const byT = combine(drift.data?.points ?? [], task);
    if (byT.size === 0) return [];
    // Every bucket of the range, so quiet periods read as gaps instead of interpolated lines.
    const step = RANGES[range].step;
    const out: Bucket[] = [];
    const end = Math.min(Date.parse(to), Date.now());
    let start = Math.floor(Date.parse(from) / step) * step;
    if (choice === "auto") {
      const firstT = Math.min(...byT.keys());
      const minSpan = range === "1h" ? 30 * 60_000 : 3600_000;
      start = Math.max(start, Math.min(firstT - step, Math.floor((end - minSpan) / step) * step));
    }
    for (let t = start; t <= end; t += step) out.push(byT.get(t) ?? { t, count: 0, shares: {}, confidence: null });
    return out;
  }, [drift.data, task, range, from, to, choice]);

  const classes = useMemo(() => {
    if (task === "sentiment") return SENTIMENT.map((s) => ({ label: s.label, color: s.color as string }));
    // The four topics with the most items over the range; twenty lines would be unreadable.
    const totals = new Map<string, number>();
    for (const b of buckets) for (const [k, v] of Object.entries(b.shares)) totals.set(k, (totals.get(k) ?? 0) + v * b.count);
    return [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOPIC_COLORS.length)
      .map(([label], i) => ({ label, color: TOPIC_COLORS[i]! }));
  }, [buckets, task]);

  const x = useMemo(() => buckets.map((b) => b.t / 1000), [buckets]);
  const series = useMemo<ChartSeries[]>(
    () => [
      ...classes.map((c) => ({ label: c.label, values: buckets.map((b) => (b.count ? (b.shares[c.label] ?? 0) : null)), color: c.color, scale: "share", fmt: (v: number) => pct(v) })),
      { label: "mean confidence", values: buckets.map((b) => b.confidence), color: "c-sent", kind: "area", scale: "conf", fmt: (v: number) => v.toFixed(2) },
    ],
    [buckets, classes],
  );

  const last = [...buckets].reverse().find((b) => b.count > 0);
  const total = buckets.reduce((s, b) => s + b.count, 0);

  return (
    <div id="drift">
      <Panel
        title="Prediction drift"
        testId="drift-chart"
        actions={
          <>
            <Segmented label="Task" value={task} options={[{ value: "sentiment", label: "Sentiment" }, { value: "topic", label: "Topic" }]} onChange={setTask} />
            <Segmented label="Range" value={choice} options={CHOICES} onChange={(r) => (setChoice(r), setAutoRange("24h"), setAnchor(Date.now()))} />
            <select aria-label="Model version" value={version} onChange={(e) => setVersion(e.target.value)} style={{ width: "auto", minHeight: 28, height: 28, padding: "2px 8px" }}>
              <option value={ALL}>All versions</option>
              {versions.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
            <button className="btn btn-s" onClick={() => setAnchor(Date.now())}>
              Refresh
            </button>
          </>
        }
      >
        {drift.unavailable ? (
          <Unavailable what="Drift data" />
        ) : drift.error ? (
          <ErrorNote error={drift.error} retry={drift.reload} />
        ) : !drift.data ? (
          <Skeleton rows={5} />
        ) : buckets.length === 0 ? (
          <Empty title="No scored items in this range" />
        ) : (
          <>
            <Chart
              x={x}
              series={series}
              ranges={{ share: [0, 1], conf: [0, 1] }}
              height={200}
              ariaLabel={`${task === "sentiment" ? "Sentiment" : "Topic"} prediction shares (left axis) and mean confidence (right axis) over ${range}${version ? ` for model ${version}` : ""}`}
            />
            {last ? (
              <p className="small muted" data-testid="drift-latest" style={{ margin: "6px 0 0" }}>
                Latest bucket ({num(last.count)} of {num(total)} items):{" "}
                {classes.map((c) => `${c.label} ${pct(last.shares[c.label] ?? 0)}`).join(", ")}; mean confidence {last.confidence?.toFixed(2) ?? "—"}.
              </p>
            ) : null}
          </>
        )}
      </Panel>
    </div>
  );
}
