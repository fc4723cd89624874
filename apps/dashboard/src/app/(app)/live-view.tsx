"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { qs } from "../../lib/api";
import { entityHref, entityName, entityType, num, signed } from "../../lib/format";
import { useApi } from "../../lib/hooks";
import type { Alert, Item, Mover } from "../../lib/types";
import { EntityLegend, FeedItem } from "../../components/feed";
import { Icon } from "../../components/icons";
import { useAlertEvents, useItemEvents } from "../../components/live";
import { MarketMood, useIngestRate, type IngestRate } from "./market-mood";
import { AlertTitle, EntityKeyText } from "../../components/entity-registry";
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
} from "../../components/ui";

const MAX_FEED = 200;
type SentFilter = "all" | "bearish" | "neutral" | "bullish";

export function LiveView() {
  const rate = useIngestRate();
  return (
    <>
      <PageHeader title="Live" sub="Risk warnings and scored items as they arrive." />
      {/* On narrow screens the side column (warnings, movers) comes first: `.live-side { order: -1 }`. */}
      <div className="grid grid-live live-page">
        <div className="stack live-main">
          <MarketMood rate={rate} />
          <Feed rate={rate} />
        </div>
        <div className="stack sticky live-side">
          <OpenAlerts />
          <TopMovers />
        </div>
      </div>
    </>
  );
}

function Feed({ rate }: { rate: IngestRate }) {
  const initial = useApi<{ items: Item[] }>("/api/v1/items?limit=60");
  const [items, setItems] = useState<Item[]>([]);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState<SentFilter>("all");
  const queued = useRef<Item[]>([]);
  const [queuedN, setQueuedN] = useState(0);

  useEffect(() => {
    if (initial.data) setItems((cur) => merge(cur, initial.data!.items));
  }, [initial.data]);

  useItemEvents((it) => {
    if (paused) {
      queued.current.unshift(it);
      queued.current.length = Math.min(queued.current.length, MAX_FEED);
      setQueuedN(queued.current.length);
      return;
    }
    setItems((cur) => merge([it], cur));
    setFresh((f) => new Set(f).add(it.id));
  });

  useEffect(() => {
    const t = setInterval(() => {
      setFresh(new Set());
    }, 2000);
    return () => clearInterval(t);
  }, []);

  const resume = () => {
    setItems((cur) => merge(queued.current, cur));
    queued.current = [];
    setQueuedN(0);
    setPaused(false);
  };

  const shown = filter === "all" ? items : items.filter((i) => i.output?.sentiment.label === filter);
  return (
    <Panel
      title={
        <span className="row gap-s">
          Scored items{" "}
          <span
            className="faint"
            style={{ textTransform: "none", letterSpacing: 0, fontWeight: 400 }}
            title={rate.source ? `Ingest rate from the ${rate.source}` : undefined}
            data-testid="feed-rate"
          >
            · {rate.perMin === null ? "…" : `${num(rate.perMin)}/min ingested`}
          </span>
        </span>
      }
      actions={
        <>
          <Segmented
            label="Sentiment filter"
            value={filter}
            options={["all", "bearish", "neutral", "bullish"] as const}
            onChange={setFilter}
          />
          <button
            className="btn btn-s"
            onClick={() => (paused ? resume() : setPaused(true))}
            aria-pressed={paused}
            data-testid="feed-pause"
          >
            <Icon name={paused ? "play" : "pause"} size={13} />
            {paused ? (queuedN ? `Resume (${queuedN} new)` : "Resume") : "Pause"}
          </button>
        </>
      }
      flush
      testId="feed"
    >
      <div style={{ padding: "8px 12px", borderBottom: "1px solid var(--border)" }}>
        <EntityLegend />
      </div>
      <ErrorNote error={initial.error} retry={initial.reload} />
      {initial.loading && !items.length ? (
        <Skeleton rows={8} />
      ) : shown.length === 0 ? (
        <Empty title="No items yet">Items appear here as streams deliver them and the model scores them.</Empty>
      ) : (
        <ul className="feed feed-scroll" aria-live="off">
          {shown.map((it) => (
            <FeedItem key={it.id} item={it} fresh={fresh.has(it.id)} />
          ))}
        </ul>
      )}
    </Panel>
  );
}

function merge(head: Item[], tail: Item[]): Item[] {
  const seen = new Set<string>();
  const out: Item[] = [];
  for (const it of [...head, ...tail]) {
    if (seen.has(it.id)) continue;
    seen.add(it.id);
    out.push(it);
    if (out.length >= MAX_FEED) break;
  }
  return out;
}

function OpenAlerts() {
  const r = useApi<{ alerts: Alert[] }>("/api/v1/alerts?state=open&limit=8", { refreshMs: 30_000 });
  useAlertEvents(() => void r.reload());
  return (
    <Panel
      title="Open warnings"
      actions={
        <Link href="/alerts" className="small">
          All alerts →
        </Link>
      }
      flush
      testId="open-alerts"
    >
      {r.unavailable ? (
        <Unavailable what="Alerting" />
      ) : r.error ? (
        <ErrorNote error={r.error} retry={r.reload} />
      ) : !r.data ? (
        <Skeleton rows={3} />
      ) : r.data.alerts.length === 0 ? (
        <Empty title="All quiet">No open warnings.</Empty>
      ) : (
        <div>
          {r.data.alerts.map((a) => (
            <Link key={a.id} href={`/alerts?id=${encodeURIComponent(a.id)}`} className="alert-list-item row gap" data-testid="open-alert">
              <span className={`sev-stripe sev-${a.severity}`} aria-hidden />
              <span className="grow col" style={{ gap: 2 }}>
                <span className="row gap-s">
                  <SeverityBadge severity={a.severity} />
                  <EntityKeyText k={a.entity_key} className="muted small" />
                  <span className="right small faint">
                    <Time iso={a.fired_at} />
                  </span>
                </span>
                <span className="cell-title" style={{ maxWidth: "none" }}>
                  <AlertTitle alert={a} />
                </span>
              </span>
              {a.state !== "firing" ? <StateBadge state={a.state} /> : null}
            </Link>
          ))}
        </div>
      )}
    </Panel>
  );
}

export function TopMovers({ compact }: { compact?: boolean }) {
  const [win, setWin] = useState<"15m" | "1h" | "6h" | "1d">("1h");
  const r = useApi<{ movers: Mover[] }>(`/api/v1/entities/top-movers${qs({ window: win, limit: compact ? 8 : 12, min_mentions: 2 })}`, {
    refreshMs: 30_000,
  });
  const max = Math.max(0.05, ...(r.data?.movers ?? []).map((m) => Math.abs(m.delta)));
  return (
    <Panel
      title="Top movers"
      actions={<Segmented label="Window" value={win} options={["15m", "1h", "6h", "1d"] as const} onChange={setWin} />}
      flush
      testId="top-movers"
    >
      {r.unavailable ? (
        <Unavailable what="Entity statistics" />
      ) : r.error ? (
        <ErrorNote error={r.error} retry={r.reload} />
      ) : !r.data ? (
        <Skeleton rows={5} />
      ) : r.data.movers.length === 0 ? (
        <Empty title="No movers">Not enough mentions in this window yet.</Empty>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Entity</th>
              <th className="th-num">Mentions</th>
              <th className="th-num">Sentiment Δ</th>
            </tr>
          </thead>
          <tbody>
            {r.data.movers.map((m) => {
              const w = (Math.abs(m.delta) / max) * 50;
              return (
                <tr key={m.key} data-testid="mover-row">
                  <td>
                    <Link href={entityHref(m.key)} className="row gap-s" style={{ color: "inherit" }}>
                      <span className="faint small" style={{ width: 30, fontSize: 10, fontWeight: 700 }}>
                        {entityType(m.key).slice(0, 3)}
                      </span>
                      <span style={{ fontWeight: 550 }} title={m.entity_name ? m.key : undefined}>
                        {m.entity_name ?? entityName(m.key)}
                      </span>
                    </Link>
                  </td>
                  <td className="num">{num(m.mentions)}</td>
                  <td>
                    <div className="bar-cell">
                      <span className={m.delta < 0 ? "neg" : "pos"} style={{ fontWeight: 600 }}>
                        {signed(m.delta)}
                      </span>
                      <span className="delta-bar" aria-hidden>
                        <span
                          style={
                            m.delta < 0
                              ? { right: "50%", width: `${w}%`, background: "var(--neg)" }
                              : { left: "50%", width: `${w}%`, background: "var(--pos)" }
                          }
                        />
                      </span>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
