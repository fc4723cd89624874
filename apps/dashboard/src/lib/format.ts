import { CANONICAL_PREFIX } from "@finsentry/schemas/constants";

/** Canonical entity key, exactly as the pipeline builds it. */
export { entityKey } from "@finsentry/schemas/constants";

// The model's output stream (drift alerts) is not an entity: it links to the drift chart.
export const entityHref = (key: string) => (key.startsWith("MODEL:") ? "/models#drift" : `/entities/${encodeURIComponent(key)}`);

/** `TICKER:TSLA` → `TSLA`, `ORG:tesla` → `tesla`, a registry entity `E:tsla` → `tsla` (its name: useEntityName). */
export function entityName(key: string): string {
  const i = key.indexOf(":");
  return i < 0 ? key : key.slice(i + 1);
}
/** `TICKER:TSLA` → `TICKER`; a registry entity (`E:<id>`) → `ENTITY`. */
export function entityType(key: string): string {
  if (key.startsWith(CANONICAL_PREFIX)) return "ENTITY";
  const i = key.indexOf(":");
  return i < 0 ? "" : key.slice(0, i);
}

export function relTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  const d = (now - Date.parse(iso)) / 1000;
  if (!Number.isFinite(d)) return "—";
  const a = Math.abs(d);
  const s =
    a < 45
      ? `${Math.max(1, Math.round(a))}s`
      : a < 3600
        ? `${Math.round(a / 60)}m`
        : a < 86400
          ? `${Math.round(a / 3600)}h`
          : `${Math.round(a / 86400)}d`;
  return d >= 0 ? `${s} ago` : `in ${s}`;
}

const dtf =
  typeof Intl !== "undefined"
    ? new Intl.DateTimeFormat(undefined, {
        month: "short",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hour12: false,
      })
    : null;
export function absTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  return Number.isFinite(t) && dtf ? dtf.format(t) : iso;
}

export const signed = (n: number | null | undefined, digits = 2) =>
  n === null || n === undefined || !Number.isFinite(n) ? "—" : `${n > 0 ? "+" : n < 0 ? "−" : ""}${Math.abs(n).toFixed(digits)}`;
export const pct = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || !Number.isFinite(n) ? "—" : `${(n * 100).toFixed(digits)}%`;
export const num = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || !Number.isFinite(n)
    ? "—"
    : n.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function figureLabel(k: string): string {
  return k.replace(/_/g, " ");
}
export function figureValue(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString();
  return Math.abs(v) < 10 ? v.toFixed(3) : v.toFixed(1);
}

const EPOCH_MS_MIN = 946_684_800_000; // 2000-01-01: a figure above this named *_ms / *_at is a time, not a quantity
const clock =
  typeof Intl !== "undefined" ? new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hour12: false }) : null;
const isTimeKey = (k: string, v: number) => /(_ms|_at|_time)$/.test(k) && v >= EPOCH_MS_MIN;

/** `16:20–16:25` (same day) or `Dec 4, 16:20 – Dec 5, 16:20`. */
export function timeRange(fromMs: number, toMs: number): string {
  if (!clock || !dtf) return `${new Date(fromMs).toISOString()} – ${new Date(toMs).toISOString()}`;
  const sameDay = new Date(fromMs).toDateString() === new Date(toMs).toDateString();
  const today = new Date().toDateString() === new Date(toMs).toDateString();
  const mins = Math.round((toMs - fromMs) / 60_000);
  const dur = mins < 120 ? `${mins} min` : mins < 2880 ? `${Math.round(mins / 60)} h` : `${Math.round(mins / 1440)} d`;
  const day = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
  if (sameDay) return `${today ? "" : `${day.format(fromMs)}, `}${clock.format(fromMs)}–${clock.format(toMs)} (${dur})`;
  return `${day.format(fromMs)} ${clock.format(fromMs)} – ${day.format(toMs)} ${clock.format(toMs)} (${dur})`;
}

/**
 * An alert's figures as an analyst reads them: the window's epoch-ms bounds become one human time range (shown
 * apart, not in the grid), a figure equal to the rule's `value` is folded into its label ("value · weighted mean")
 * instead of being shown twice, other times read as clock times, and `topic:X` reads as `topic X`.
 */
export function alertFigures(figures: Record<string, number>): {
  figures: { key: string; label: string; value: string }[];
  window: string | null;
} {
  const f = { ...figures };
  let window: string | null = null;
  const ws = f.window_start_ms;
  const we = f.window_end_ms;
  if (typeof ws === "number" && typeof we === "number" && ws >= EPOCH_MS_MIN) {
    window = timeRange(ws, we);
    delete f.window_start_ms;
    delete f.window_end_ms;
  }
  const out: { key: string; label: string; value: string }[] = [];
  const value = f.value;
  const sameAsValue =
    typeof value === "number"
      ? Object.keys(f).filter((k) => k !== "value" && f[k] === value && !isTimeKey(k, f[k]!) && !/count|bearish$|matched$/.test(k))
      : [];
  for (const [k, v] of Object.entries(f)) {
    if (sameAsValue.includes(k)) continue;
    let label = figureLabel(k).replace(/^topic:/, "topic ");
    if (k === "value" && sameAsValue.length) label = `value · ${sameAsValue.map(figureLabel).join(", ")}`;
    const text = isTimeKey(k, v) ? absTime(new Date(v).toISOString()) : k.endsWith("_share") ? pct(v, 1) : figureValue(v);
    out.push({ key: k, label, value: text });
  }
  return { figures: out, window };
}

export function sentimentClass(label: string | null | undefined): string {
  return label === "bearish" ? "neg" : label === "bullish" ? "pos" : "neu";
}

export function errorText(e: unknown): string {
  if (!e) return "";
  const err = e as { problems?: { path: string; message: string }[]; message?: string };
  if (err.problems && err.problems.length) return err.problems.map((p) => `${p.path}: ${p.message}`).join("; ");
  return err.message ?? String(e);
}

/** What an alert title is made of (an alert from the API, or one in an `alerts` event). */
interface Titled {
  title: string;
  entity_key: string;
  /** The registry name, in events since the alerter names entities. */
  entity_name?: string | null;
}

/**
 * An alert's title as the UI shows it. The alerter titles an alert `<rule>: <entity>`; one fired before it named
 * registry entities (or while the registry lacked the id) ends in the raw key (`…: E:nwm`), shown with the registry
 * name instead (`name`, from useEntityName) once it is known.
 */
export function alertTitle(a: Titled, name: string | null): string {
  const display = a.entity_name ?? name;
  const suffix = `: ${a.entity_key}`;
  if (!display || !a.entity_key.startsWith(CANONICAL_PREFIX) || !a.title.endsWith(suffix)) return a.title;
  return `${a.title.slice(0, -suffix.length)}: ${display}`;
}

/** A toast's title: the entity is on the line above it, so a title ending in the entity (key or name) drops it. */
export function toastTitle(a: Titled, name: string | null): string {
  for (const end of [a.entity_key, a.entity_name, name]) {
    if (end && a.title.endsWith(`: ${end}`) && a.title.length > end.length + 2) return a.title.slice(0, -(end.length + 2));
  }
  return a.title;
}
