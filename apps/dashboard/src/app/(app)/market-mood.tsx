"use client";

import Link from "next/link";
import { useEffect, useMemo, useRef, useState } from "react";
import { api, qs } from "../../lib/api";
import { entityHref, num, signed } from "../../lib/format";
import { useApi } from "../../lib/hooks";
import type { Alert, Item, Mover, SeriesPoint } from "../../lib/types";
import { Chart, type ChartSeries } from "../../components/chart";
import { EntityKeyText } from "../../components/entity-registry";
import { useAlertEvents, useItemEvents } from "../../components/live";
import { Empty, Panel, Skeleton } from "../../components/ui";

const HOUR = 3600_000;
const STEP = 60_000; // one-minute buckets: 60 of them over the hour
const MAX_PAGES = 6; // at most 3,000 items of history fetched on load; live items are added as they arrive
const WATCH_MAX = 6;

// ---------------------------------------------------------------------------------------------------------------
// Ingest rate: from the server's own counters, sampled twice, not from what this tab happened to see.

export interface IngestRate {
  /** Items per minute, null until two samples are in. */
  perMin: number | null;
  /** Where the number comes from, for the tooltip. */
  source: string;
}

/** Sums a Prometheus text counter's samples whose labels include every `match` pair. Null when the metric is absent. */
export function promSum(text: string, name: string, match: Record<string, string> = {}): number | null {
  let found = false;
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    const labels = rest[0] === "{" ? rest.slice(1, rest.indexOf("}")) : "";
    if (!Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))) continue;
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (!Number.isFinite(v)) continue;
    found = true;
    sum += v;
  }
  return found ? sum : null;
}

type Sampler = { source: string; read: () => Promise<number | null> };

// One /metrics read serves every sampler probed within the same second.
let metricsCache: { at: number; text: Promise<string> } | null = null;
const metricsText = () => {
  if (!metricsCache || Date.now() - metricsCache.at > 1000) {
    metricsCache = {
      at: Date.now(),
      text: fetch("/metrics", { credentials: "same-origin", headers: { accept: "text/plain" } }).then(
        (r) => (r.ok ? r.text() : ""),
        () => "",
      ),
    };
  }
  return metricsCache.text;
};
/**
 * Accepted ingest messages (`finsentry_ingest_messages_total{outcome="accepted"}`, packages/pipeline/src/metrics.ts)
 * where this API process runs ingest (all-in-one); otherwise newly scored items; otherwise the stored item count
 * (`/api/v1/items/count`), which every deployment serves.
 */
const SAMPLERS: Sampler[] = [
  {
    source: "server metric finsentry_ingest_messages_total (accepted)",
    read: async () => promSum(await metricsText(), "finsentry_ingest_messages_total", { outcome: "accepted" }),
  },
  {
    source: "server metric finsentry_scorer_items_total (new)",
    read: async () => promSum(await metricsText(), "finsentry_scorer_items_total", { outcome: "new" }),
  },
  { source: "stored item count (/api/v1/items/count)", read: async () => (await api<{ count: number }>("/api/v1/items/count")).count },
];

export function useIngestRate(everyMs = 10_000): IngestRate {
  const [rate, setRate] = useState<IngestRate>({ perMin: null, source: "" });
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sampler: Sampler | null = null;
    const samples: { t: number; v: number }[] = [];
    const tick = async () => {
      try {
        if (!sampler) {
          for (const s of SAMPLERS) {
            const v = await s.read().catch(() => null);
            if (v !== null) {
              sampler = s;
              samples.push({ t: Date.now(), v });
              break;
            }
          }
        } else {
          const v = await sampler.read();
          if (v !== null) samples.push({ t: Date.now(), v });
        }
        // The rate over the last minute or so of samples; a counter reset (restart) starts again.
        while (samples.length > 2 && samples[samples.length - 1]!.t - samples[1]!.t >= 60_000) samples.shift();
        const a = samples[0];
        const b = samples[samples.length - 1];
        if (a && b && b.v < a.v) samples.splice(0, samples.length - 1);
        else if (a && b && b.t - a.t >= 1500 && !stop) setRate({ perMin: ((b.v - a.v) / (b.t - a.t)) * 60_000, source: sampler!.source });
      } catch {
        /* try again next tick */
      }
      // The second sample comes soon, so a number shows within seconds of opening the page.
      if (!stop) timer = setTimeout(() => void tick(), samples.length < 2 ? 2000 : everyMs);
    };
    void tick();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [everyMs]);
  return rate;
}

// ---------------------------------------------------------------------------------------------------------------
// Market mood: sentiment and volume per minute over the last hour, for everything and for the watched entities.

interface Obs {
  t: number;
  score: number | null;
}

/**
 * There is no all-items series route: the hour of items is read page by page from `/api/v1/items?from=…` (up to
 * MAX_PAGES) and live items are added from the socket; buckets older than what was read stay empty (not zero).
 * Watched entities (open warnings' entities, then the top movers of the hour) come from
 * `/api/v1/entities/{key}/series?resolution=1m`, mention-weighted across entities.
 */
export function MarketMood({ rate }: { rate: IngestRate }) {
  const obs = useRef(new Map<string, Obs>());
  const [coveredFrom, setCoveredFrom] = useState<number | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stop = false;
    const load = async () => {
      const from = Date.now() - HOUR;
      let cursor: string | null = null;
      let oldest = Date.now();
      let complete = false;
      for (let page = 0; page < MAX_PAGES && !stop; page++) {
        const r: { items: Item[]; next_cursor: string | null } = await api(
          `/api/v1/items${qs({ from: new Date(from).toISOString(), limit: 500, cursor })}`,
        );
        for (const it of r.items) {
          const t = Date.parse(it.published_at);
          oldest = Math.min(oldest, t);
          obs.current.set(it.id, { t, score: it.output?.sentiment.score ?? null });
        }
        cursor = r.next_cursor;
        if (!cursor) {
          complete = true;
          break;
        }
      }
      if (stop) return;
      setCoveredFrom((cur) => Math.min(cur ?? Infinity, complete ? from : oldest));
      setLoaded(true);
      setTick((n) => n + 1);
    };
    void load().catch(() => setLoaded(true));
    const t = setInterval(() => setTick((n) => n + 1), 15_000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);

  // Live items are bucketed at most every 2 s (and every 15 s as time moves on), not once per item.
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (pending.current && clearTimeout(pending.current)), []);
  useItemEvents((it) => {
    obs.current.set(it.id, { t: Date.parse(it.published_at), score: it.output?.sentiment.score ?? null });
    pending.current ??= setTimeout(() => {
      pending.current = null;
      setTick((n) => n + 1);
    }, 2000);
  });

  // Watched: entities with open warnings first, then the hour's top movers.
  const alerts = useApi<{ alerts: Alert[] }>("/api/v1/alerts?state=open&limit=50", { refreshMs: 60_000 });
  useAlertEvents(() => void alerts.reload());
  const movers = useApi<{ movers: Mover[] }>(`/api/v1/entities/top-movers${qs({ window: "1h", limit: 5, min_mentions: 2 })}`, {
    refreshMs: 60_000,
  });
  const watched = useMemo(() => {
    const keys: string[] = [];
    for (const a of alerts.data?.alerts ?? [])
      if (!a.entity_key.startsWith("MODEL:") && !keys.includes(a.entity_key)) keys.push(a.entity_key);
    for (const m of movers.data?.movers ?? []) if (!keys.includes(m.key)) keys.push(m.key);
    return keys.slice(0, WATCH_MAX);
  }, [alerts.data, movers.data]);
  const watchedSeries = useWatchedSeries(watched, tick);

  const view = useMemo(() => {
    const now = Date.now();
    const end = Math.floor(now / STEP) * STEP;
    const start = end - HOUR + STEP;
    const n = HOUR / STEP;
    const cnt = new Array<number>(n).fill(0);
    const sum = new Array<number>(n).fill(0);
    const scored = new Array<number>(n).fill(0);
    for (const [id, o] of obs.current) {
      if (o.t < now - HOUR - STEP) {
        obs.current.delete(id);
        continue;
      }
      const i = Math.floor((o.t - start) / STEP);
      if (i < 0 || i >= n) continue;
      cnt[i]! += 1;
      if (o.score !== null) {
        sum[i]! += o.score;
        scored[i]! += 1;
      }
    }
    const x: number[] = [];
    const vol: (number | null)[] = [];
    const mood: (number | null)[] = [];
    const wVol: (number | null)[] = [];
    const wMood: (number | null)[] = [];
    let total = 0;
    let sTotal = 0;
    let sN = 0;
    let wTotal = 0;
    let wSum = 0;
    for (let i = 0; i < n; i++) {
      const t = start + i * STEP;
      x.push(t / 1000);
      const known = coveredFrom !== null && t + STEP > coveredFrom;
      vol.push(known ? cnt[i]! : null);
      mood.push(known && scored[i]! ? sum[i]! / scored[i]! : null);
      total += known ? cnt[i]! : 0;
      sTotal += sum[i]!;
      sN += scored[i]!;
      const w = watchedSeries.get(t);
      wVol.push(watchedSeries.size || watched.length ? (w?.count ?? 0) : null);
      wMood.push(w && w.count ? w.sum / w.count : null);
      wTotal += w?.count ?? 0;
      wSum += w?.sum ?? 0;
    }
    // While data is young (a fresh start), the chart starts a minute before the first item, showing at least 15
    // minutes, rather than an hour with a sliver at the right edge.
    let first = n;
    for (let i = 0; i < n; i++)
      if (cnt[i]! > 0 || (watchedSeries.get(start + i * STEP)?.count ?? 0) > 0) {
        first = i;
        break;
      }
    const from = Math.max(0, Math.min(first - 1, n - 15));
    const cut = <T,>(a: T[]) => a.slice(from);
    return {
      x: cut(x),
      vol: cut(vol),
      mood: cut(mood),
      wVol: cut(wVol),
      wMood: cut(wMood),
      total,
      mean: sN ? sTotal / sN : null,
      wMean: wTotal ? wSum / wTotal : null,
      wTotal,
    };
    // `tick` re-buckets every 15 s and after loads; the map itself is mutated in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tick, coveredFrom, watchedSeries, watched.length]);

  const series = useMemo<ChartSeries[]>(
    () => [
      { label: "Items", values: view.vol, color: "c-volume", kind: "bars", scale: "n", fmt: (v) => num(v) },
      { label: "Watched mentions", values: view.wVol, color: "c-warn", kind: "bars", scale: "n", fmt: (v) => num(v) },
      { label: "Mood, all", values: view.mood, color: "c-sent", scale: "s", fmt: (v) => signed(v) },
      { label: "Mood, watched", values: view.wMood, color: "c-loss", scale: "s", fmt: (v) => signed(v) },
    ],
    [view],
  );
  const partial = coveredFrom !== null && coveredFrom > Date.now() - HOUR + STEP;
  const tone = (v: number | null) => (v == null ? "" : v < -0.05 ? "neg" : v > 0.05 ? "pos" : "");

  return (
    <Panel title="Market mood · last hour" testId="market-mood">
      <div className="mood-stats">
        <div
          className="stat"
          title={rate.source ? `From the ${rate.source}, sampled every 10 s` : "Sampling the server's counters…"}
          data-testid="ingest-rate"
        >
          <div className="stat-label">Ingest rate</div>
          <div className="stat-value">{rate.perMin === null ? "…" : `${num(rate.perMin)}/min`}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Items{partial ? " (sampled)" : ""}</div>
          <div className="stat-value">{loaded ? num(view.total) : "—"}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Mood, all</div>
          <div className={`stat-value ${tone(view.mean)}`}>{signed(view.mean)}</div>
        </div>
        <div className="stat">
          <div className="stat-label">Mood, watched</div>
          <div className={`stat-value ${tone(view.wMean)}`}>{signed(view.wMean)}</div>
        </div>
      </div>
      {!loaded ? (
        <Skeleton rows={5} />
      ) : view.total === 0 && view.wTotal === 0 ? (
        <Empty title="No items in the last hour">The chart fills in as streams deliver items.</Empty>
      ) : (
        <Chart
          x={view.x}
          series={series}
          ranges={{ s: [-1, 1] }}
          height={170}
          ariaLabel="Items per minute and mean sentiment over the last hour, for all items and for the watched entities"
          testId="mood-chart"
        />
      )}
      <p className="small muted mood-foot">
        {watched.length ? (
          <>
            Watched:{" "}
            {watched.map((k, i) => (
              <span key={k}>
                {i ? ", " : ""}
                <Link href={entityHref(k)}>
                  <EntityKeyText k={k} legacy="text" className="" />
                </Link>
              </span>
            ))}{" "}
            <span className="faint">(open warnings, then top movers)</span>
          </>
        ) : (
          <span className="faint">No watched entities yet: entities with open warnings or moving most appear here.</span>
        )}
        {partial && coveredFrom ? (
          <span className="faint">
            {" "}
            · history read from {new Date(coveredFrom).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}, live since
          </span>
        ) : null}
      </p>
    </Panel>
  );
}

/** Per-minute mentions and sentiment sums of the watched entities over the last hour, refreshed each minute. */
function useWatchedSeries(keys: string[], tick: number): Map<number, { count: number; sum: number }> {
  const [out, setOut] = useState(new Map<number, { count: number; sum: number }>());
  const keyStr = keys.join("|");
  const minute = Math.floor(tick / 4); // every 4 ticks of 15 s
  useEffect(() => {
    if (!keys.length) {
      setOut(new Map());
      return;
    }
    let stop = false;
    const to = new Date(Date.now() + 60_000).toISOString();
    const from = new Date(Date.now() - HOUR - STEP).toISOString();
    void Promise.all(
      keys.map((k) =>
        api<{ points: SeriesPoint[] }>(`/api/v1/entities/${encodeURIComponent(k)}/series${qs({ resolution: "1m", from, to })}`).catch(
          () => ({ points: [] as SeriesPoint[] }),
        ),
      ),
    ).then((rs) => {
      if (stop) return;
      const m = new Map<number, { count: number; sum: number }>();
      for (const r of rs)
        for (const p of r.points) {
          const t = Math.floor(Date.parse(p.t) / STEP) * STEP;
          const a = m.get(t) ?? { count: 0, sum: 0 };
          a.count += p.count;
          a.sum += (p.mean_sentiment ?? 0) * p.count;
          m.set(t, a);
        }
      setOut(m);
    });
    return () => {
      stop = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [keyStr, minute]);
  return out;
}
