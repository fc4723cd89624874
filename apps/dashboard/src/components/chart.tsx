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
      for (const s of scaleNames) scales[s] = ranges?.[s] ? { range: ranges[s] } : { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] };
      const axis = (scale: string, side: 1 | 3 = 3): uPlot.Axis => ({
        scale,
        side,
        stroke: axisText,
        font: "11px var(--font-sans, system-ui)",
        grid: { stroke: grid, width: 1, show: side === 3 },
        ticks: { show: false },
        size: 44,
        values: (_u, vals) => vals.map((v) => (v === null ? "" : Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(1)}k` : Number.isInteger(v) ? String(v) : v.toFixed(2))),
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
          { stroke: axisText, font: "11px system-ui", grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: 28 },
          ...scaleNames.map((s, i) => axis(s, i === 0 ? 3 : 1)),
        ],
        series: [
          { label: timeAxis ? "time" : "x" },
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
              value: (_u, v) => (v === null || v === undefined ? "—" : s.fmt ? s.fmt(v) : String(Number.isInteger(v) ? v : v.toFixed(3))),
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
