"use client";

import { useEffect, useRef, useState } from "react";
import type uPlot from "uplot";

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** CSS custom property name without `--`, read at draw time so charts follow the theme. */
  color: string;
  kind?: "line" | "bars" | "area";
  scale?: string;
  fmt?: (v: number) => string;
}

export interface ChartProps {
  /** Unix seconds (or plain x values with `timeAxis: false`). */
  x: number[];
  series: ChartSeries[];
  height?: number;
  /** Per-scale fixed range, e.g. `{ s: [-1, 1] }`. */
  ranges?: Record<string, [number, number]>;
  timeAxis?: boolean;
  ariaLabel: string;
  testId?: string;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim() || "#888";
}

function useThemeVersion(): number {
  const [v, setV] = useState(0);
  useEffect(() => {
    const mo = new MutationObserver(() => setV((n) => n + 1));
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    const mq = window.matchMedia("(prefers-color-scheme: dark)");
    const on = () => setV((n) => n + 1);
    mq.addEventListener("change", on);
    return () => {
      mo.disconnect();
      mq.removeEventListener("change", on);
    };
  }, []);
  return v;
}

function lastValue(vals: (number | null | undefined)[] | undefined): number | null {
  if (!vals) return null;
  for (let i = vals.length - 1; i >= 0; i--) if (vals[i] != null) return vals[i]!;
  return null;
}

const hm = typeof Intl !== "undefined" ? new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hour12: false }) : null;
const dhm =
  typeof Intl !== "undefined"
    ? new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false })
    : null;
/** A bucket's time in the legend: a clock time when the chart spans under a day, else with the date. */
function legendTime(sec: number, xs: ArrayLike<number>): string {
  const span = xs.length ? xs[xs.length - 1]! - xs[0]! : 0;
  const f = span < 86_400 ? hm : dhm;
  return f ? f.format(sec * 1000) : new Date(sec * 1000).toISOString();
}

const md = typeof Intl !== "undefined" ? new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" }) : null;
function tickTime(sec: number, span: number): string {
  const f = span < 2 * 86_400 ? hm : md;
  return f ? f.format(sec * 1000) : new Date(sec * 1000).toISOString().slice(11, 16);
}

/** A small uPlot time chart: lines, areas and bars on up to two scales; resizes with its container. */
export function Chart({ x, series, height = 180, ranges, timeAxis = true, ariaLabel, testId }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useThemeVersion();

  useEffect(() => {
    let cancelled = false;
    let ro: ResizeObserver | null = null;
    void import("uplot").then(({ default: UPlot }) => {
      if (cancelled || !host.current) return;
      const grid = cssVar("chart-grid");
      const axisText = cssVar("text-muted");
      const scales: uPlot.Scales = { x: { time: timeAxis } };
      const scaleNames = [...new Set(series.map((s) => s.scale ?? "y"))];
      for (const s of scaleNames)
        scales[s] = ranges?.[s] ? { range: ranges[s] } : { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] };
      const axis = (scale: string, side: 1 | 3 = 3): uPlot.Axis => ({
        scale,
        side,
        stroke: axisText,
        font: "11px var(--font-sans, system-ui)",
        grid: { stroke: grid, width: 1, show: side === 3 },
        ticks: { show: false },
        size: 44,
        values: (_u, vals) =>
          vals.map((v) =>
            v === null ? "" : Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : Number.isInteger(v) ? String(v) : v.toFixed(2),
          ),
      });
      const bars = UPlot.paths.bars!({ size: [0.7, 24], gap: 1 });
      const opts: uPlot.Options = {
        width: host.current.clientWidth || 600,
        height,
        padding: [8, 8, 0, 0],
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        scales,
        axes: [
          {
            stroke: axisText,
            font: "11px system-ui",
            grid: { stroke: grid, width: 1 },
            ticks: { show: false },
            size: 28,
            // One line per tick (uPlot's default adds a second date line that the axis height clips): a clock time
            // when the chart spans under two days, else the date.
            ...(timeAxis
              ? { values: (u: uPlot, splits: number[]) => splits.map((v) => tickTime(v, (u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0))) }
              : {}),
          },
          ...scaleNames.map((s, i) => axis(s, i === 0 ? 3 : 1)),
        ],
        series: [
          {
            label: timeAxis ? "time" : "x",
            // Away from the cursor the legend reads "latest" and each series its last value, not "—".
            value: (u, v, _si, idx) => (idx == null ? "latest" : v == null ? "" : timeAxis ? legendTime(v, u.data[0]) : String(v)),
          },
          ...series.map((s): uPlot.Series => {
            const c = cssVar(s.color);
            return {
              label: s.label,
              scale: s.scale ?? "y",
              stroke: c,
              width: s.kind === "bars" ? 0 : 1.6,
              fill: s.kind === "bars" ? c + "b3" : s.kind === "area" ? c + "26" : undefined,
              paths: s.kind === "bars" ? bars : undefined,
              points: s.kind === "bars" ? { show: false } : { show: true, size: 4, width: 1, fill: c },
              ...(s.kind === "area" ? { fillTo: 0 } : {}),
              spanGaps: false,
              value: (u, v, si, idx) => {
                const shown = idx == null ? lastValue(u.data[si] as (number | null | undefined)[]) : v;
                return shown === null || shown === undefined
                  ? "—"
                  : s.fmt
                    ? s.fmt(shown)
                    : String(Number.isInteger(shown) ? shown : shown.toFixed(3));
              },
            };
          }),
        ],
      };
      plot.current?.destroy();
      plot.current = new UPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, host.current);
      ro = new ResizeObserver(() => {
        if (host.current && plot.current) plot.current.setSize({ width: host.current.clientWidth, height });
      });
      ro.observe(host.current);
    });
    return () => {
      cancelled = true;
      ro?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [x, series, height, ranges, timeAxis, theme]);

  return <div ref={host} className="chart" role="img" aria-label={ariaLabel} data-testid={testId} style={{ minHeight: height + 30 }} />;
}
