"use client";

import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { qs } from "../../../../lib/api";
import { entityName, entityType, num, pct, signed } from "../../../../lib/format";
import { CANONICAL_PREFIX, displayKey, isCanonicalKey, useEntityName } from "../../../../lib/entity-names";
import { useApi } from "../../../../lib/hooks";
import type { Alert, Item, SeriesPoint } from "../../../../lib/types";
import { Chart, type ChartSeries } from "../../../../components/chart";
import { AlertTitle, RegistryMatches, RegistryPanel } from "../../../../components/entity-registry";
import { FeedItem } from "../../../../components/feed";
import { useAlertEvents } from "../../../../components/live";
import {
  Empty,
  ErrorNote,
  PageHeader,
  Panel,
  Segmented,
  SeverityBadge,
  Skeleton,
  StateBadge,
  Time,
  Unavailable,
} from "../../../../components/ui";

const RANGES = {
  "1h": { ms: 3600_000, resolution: "1m" },
  "6h": { ms: 6 * 3600_000, resolution: "5m" },
  "24h": { ms: 24 * 3600_000, resolution: "5m" },
  "7d": { ms: 7 * 86400_000, resolution: "1h" },
  "30d": { ms: 30 * 86400_000, resolution: "1d" },
} as const;
type RangeKey = keyof typeof RANGES;
type RangeChoice = "auto" | RangeKey;
const CHOICES: readonly RangeChoice[] = ["auto", "1h", "6h", "24h", "7d", "30d"];

export function EntityView({ entityKey }: { entityKey: string }) {
  // "auto": the last 24 h, trimmed to where the entity's data starts; the last hour by the minute while data is young.
  const [choice, setChoice] = useState<RangeChoice>("auto");
  const [autoRange, setAutoRange] = useState<RangeKey>("24h");
  const range: RangeKey = choice === "auto" ? autoRange : choice;
  // The window is fixed per range choice so the series URL (and chart) is stable between refreshes.
  const [anchor, setAnchor] = useState(() => Date.now());
  const { from, to } = useMemo(
    () => ({ from: new Date(anchor - RANGES[range].ms).toISOString(), to: new Date(anchor + 60_000).toISOString() }),
    [anchor, range],
  );
  const series = useApi<{ points: SeriesPoint[]; topic_mix?: { topic: string; n: number }[] }>(
    `/api/v1/entities/${encodeURIComponent(entityKey)}/series${qs({ resolution: RANGES[range].resolution, from, to })}`,
  );
  useEffect(() => {
    if (choice !== "auto" || autoRange !== "24h" || !series.data?.points.length) return;
    const first = Date.parse(series.data.points[0]!.t);
    if (Date.now() - first < 55 * 60_000) setAutoRange("1h");
  }, [choice, autoRange, series.data]);
  const items = useApi<{ items: Item[] }>(`/api/v1/items${qs({ entity: entityKey, limit: 25 })}`, { refreshMs: 20_000 });
  const alerts = useApi<{ alerts: Alert[] }>(`/api/v1/alerts${qs({ entity: entityKey, state: "open", limit: 20 })}`, { refreshMs: 30_000 });
  useAlertEvents((ev) => {
    if (ev.alert.entity_key === entityKey) void alerts.reload();
  });

  // Every bucket of the range, so quiet periods read as gaps (volume 0, no sentiment) instead of interpolated lines.
  const pts = useMemo(() => {
    const raw = series.data?.points ?? [];
    const step = { "1m": 60_000, "5m": 300_000, "1h": 3600_000, "1d": 86400_000 }[RANGES[range].resolution];
    const byT = new Map(raw.map((p) => [Math.floor(Date.parse(p.t) / step) * step, p]));
    const out: SeriesPoint[] = [];
    let start = Math.floor(Date.parse(from) / step) * step;
    const end = Math.min(Date.parse(to), Date.now());
    // Auto: start where the data starts (at least an hour shown), so 20 minutes of data is not a sliver at the edge.
    if (choice === "auto" && raw.length) {
      const firstT = Math.floor(Date.parse(raw[0]!.t) / step) * step;
      const minSpan = range === "1h" ? 15 * 60_000 : 3600_000;
      start = Math.max(start, Math.min(firstT - step, Math.floor((end - minSpan) / step) * step));
    }
    for (let t = start; t <= end; t += step)
      out.push(byT.get(t) ?? { t: new Date(t).toISOString(), count: 0, mean_sentiment: null, weighted_sentiment: null, bearish: 0 });
    return raw.length ? out : [];
  }, [series.data, range, from, to, choice]);
  const totals = useMemo(() => {
    const n = pts.reduce((s, p) => s + p.count, 0);
    const bear = pts.reduce((s, p) => s + p.bearish, 0);
    const mean = n ? pts.reduce((s, p) => s + (p.mean_sentiment ?? 0) * p.count, 0) / n : null;
    return { n, bear, mean };
  }, [pts]);
  const x = useMemo(() => pts.map((p) => Date.parse(p.t) / 1000), [pts]);
  const sentSeries = useMemo<ChartSeries[]>(
    () => [
      {
        label: "Mean sentiment",
        values: pts.map((p) => p.mean_sentiment),
        color: "c-sent",
        kind: "area",
        scale: "s",
        fmt: (v) => signed(v),
      },
      ...(pts.some((p) => p.weighted_sentiment != null)
        ? [
            {
              label: "Confidence-weighted",
              values: pts.map((p) => p.weighted_sentiment ?? null),
              color: "c-warn",
              scale: "s",
              fmt: (v: number) => signed(v),
            } satisfies ChartSeries,
          ]
        : []),
    ],
    [pts],
  );
  const volSeries = useMemo<ChartSeries[]>(
    () => [
      { label: "Mentions", values: pts.map((p) => p.count), color: "c-volume", kind: "bars" },
      { label: "Bearish", values: pts.map((p) => p.bearish), color: "c-bearish", kind: "bars" },
    ],
    [pts],
  );
  const mix = series.data?.topic_mix ?? [];
  const mixMax = Math.max(1, ...mix.map((m) => m.n));
  const canonical = isCanonicalKey(entityKey);
  const registryName = useEntityName(entityKey);

  return (
    <>
      <PageHeader
        title={canonical ? displayKey(entityKey, registryName) : entityName(entityKey)}
        sub={
          <span className="row gap-s">
            <span className="badge">{entityType(entityKey) || "entity"}</span>
            <span className="mono">{entityKey}</span>
          </span>
        }
        actions={
          <>
            <Segmented
              label="Range"
              value={choice}
              options={CHOICES}
              onChange={(r) => (setChoice(r), setAutoRange("24h"), setAnchor(Date.now()))}
            />
            <button className="btn btn-s" onClick={() => setAnchor(Date.now())}>
              Refresh
            </button>
          </>
        }
      />
      {canonical ? null : <RegistryMatches text={entityName(entityKey)} />}
      <div className="stats" data-testid="entity-stats">
        <div className="stat">
          <div className="stat-label">Mentions ({range})</div>
          <div className="stat-value">{series.data ? num(totals.n) : "—"}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Mean sentiment</div>
          <div className={`stat-value ${totals.mean == null ? "" : totals.mean < -0.05 ? "neg" : totals.mean > 0.05 ? "pos" : ""}`}>
            {signed(totals.mean)}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Bearish share</div>
          <div className="stat-value">{totals.n ? pct(totals.bear / totals.n) : "—"}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Open alerts</div>
          <div className={`stat-value ${alerts.data?.alerts.length ? "neg" : ""}`}>{alerts.data ? alerts.data.alerts.length : "—"}</div>
        </div>
      </div>
      <div className="grid grid-live">
        <div className="stack">
          <Panel title="Sentiment" testId="sentiment-chart">
            {series.error ? (
              <ErrorNote error={series.error} retry={series.reload} />
            ) : !series.data ? (
              <Skeleton rows={6} />
            ) : pts.length === 0 ? (
              <Empty title="No mentions in this range" />
            ) : (
              <Chart x={x} series={sentSeries} ranges={{ s: [-1, 1] }} height={190} ariaLabel={`Sentiment of ${entityKey} over ${range}`} />
            )}
          </Panel>
          <Panel title="Volume" testId="volume-chart">
            {!series.data ? (
              <Skeleton rows={4} />
            ) : pts.length === 0 ? (
              <Empty title="No mentions in this range" />
            ) : (
              <Chart x={x} series={volSeries} height={140} ariaLabel={`Mention volume of ${entityKey} over ${range}`} />
            )}
          </Panel>
          <Panel title="Recent items" flush>
            {items.error ? (
              <ErrorNote error={items.error} retry={items.reload} />
            ) : !items.data ? (
              <Skeleton rows={6} />
            ) : items.data.items.length === 0 ? (
              <Empty title="No items mention this entity" />
            ) : (
              <ul className="feed">
                {items.data.items.map((it) => (
                  <FeedItem key={it.id} item={it} />
                ))}
              </ul>
            )}
          </Panel>
        </div>
        <div className="stack sticky">
          {canonical ? <RegistryPanel id={entityKey.slice(CANONICAL_PREFIX.length)} /> : null}
          <Panel title="Open alerts" flush>
            {alerts.unavailable ? (
              <Unavailable what="Alerting" />
            ) : !alerts.data ? (
              <Skeleton rows={3} />
            ) : alerts.data.alerts.length === 0 ? (
              <Empty title="No open alerts" />
            ) : (
              <div>
                {alerts.data.alerts.map((a) => (
                  <Link key={a.id} href={`/alerts?id=${encodeURIComponent(a.id)}`} className="alert-list-item row gap">
                    <span className={`sev-stripe sev-${a.severity}`} aria-hidden />
                    <span className="grow col" style={{ gap: 2 }}>
                      <span className="row gap-s">
                        <SeverityBadge severity={a.severity} />
                        <StateBadge state={a.state} />
                        <span className="right small faint">
                          <Time iso={a.fired_at} />
                        </span>
                      </span>
                      <span className="cell-title" style={{ maxWidth: "none" }}>
                        <AlertTitle alert={a} />
                      </span>
                    </span>
                  </Link>
                ))}
              </div>
            )}
          </Panel>
          <Panel title="Topic mix" testId="topic-mix">
            {!series.data ? (
              <Skeleton rows={5} />
            ) : mix.length === 0 ? (
              <Empty title="No topics yet" />
            ) : (
              <div className="topic-mix">
                {mix.slice(0, 12).map((m) => (
                  <div key={m.topic} className="tm-row">
                    <span style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }} title={m.topic}>
                      {m.topic}
                    </span>
                    <span className="tm-bar">
                      <span style={{ width: `${(m.n / mixMax) * 100}%` }} />
                    </span>
                    <span className="num muted">{m.n}</span>
                  </div>
                ))}
              </div>
            )}
          </Panel>
        </div>
      </div>
    </>
  );
}
