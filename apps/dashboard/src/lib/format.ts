/** Canonical entity key, exactly as the pipeline builds it. */
export { entityKey } from "@finsentry/schemas/constants";

// The model's output stream (drift alerts) is not an entity: it links to the drift chart.
export const entityHref = (key: string) => (key.startsWith("MODEL:") ? "/models#drift" : `/entities/${encodeURIComponent(key)}`);

/** `TICKER:TSLA` → `TSLA`, `ORG:tesla` → `tesla`. */
export function entityName(key: string): string {
  const i = key.indexOf(":");
  return i < 0 ? key : key.slice(i + 1);
}
export function entityType(key: string): string {
  const i = key.indexOf(":");
  return i < 0 ? "" : key.slice(0, i);
}

export function relTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  const d = (now - Date.parse(iso)) / 1000;
  if (!Number.isFinite(d)) return "—";
  const a = Math.abs(d);
  const s = a < 45 ? `${Math.max(1, Math.round(a))}s` : a < 3600 ? `${Math.round(a / 60)}m` : a < 86400 ? `${Math.round(a / 3600)}h` : `${Math.round(a / 86400)}d`;
  return d >= 0 ? `${s} ago` : `in ${s}`;
}

const dtf = typeof Intl !== "undefined" ? new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }) : null;
export function absTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  return Number.isFinite(t) && dtf ? dtf.format(t) : iso;
}

export const signed = (n: number | null | undefined, digits = 2) => (n === null || n === undefined || !Number.isFinite(n) ? "—" : `${n > 0 ? "+" : n < 0 ? "−" : ""}${Math.abs(n).toFixed(digits)}`);
export const pct = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || !Number.isFinite(n) ? "—" : `${(n * 100).toFixed(digits)}%`);
export const num = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || !Number.isFinite(n) ? "—" : n.toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function figureLabel(k: string): string {
  return k.replace(/_/g, " ");
}
export function figureValue(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString();
  return Math.abs(v) < 10 ? v.toFixed(3) : v.toFixed(1);
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
