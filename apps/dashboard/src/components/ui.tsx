"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { absTime, entityHref, entityKey, pct, relTime, sentimentClass, signed } from "../lib/format";
import { useNow } from "../lib/hooks";
import type { ModelOutput } from "../lib/types";

export function PageHeader({ title, sub, actions }: { title: string; sub?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {sub ? <p className="muted">{sub}</p> : null}
      </div>
      {actions ? <div className="row gap-s">{actions}</div> : null}
    </header>
  );
}

export function Panel({
  title,
  actions,
  children,
  className,
  testId,
  flush,
}: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
  flush?: boolean;
}) {
  return (
    <section className={`panel ${className ?? ""}`} data-testid={testId}>
      {title || actions ? (
        <div className="panel-head">
          {title ? <h2>{title}</h2> : <span />}
          {actions ? <div className="row gap-s">{actions}</div> : null}
        </div>
      ) : null}
      <div className={flush ? "panel-body flush" : "panel-body"}>{children}</div>
    </section>
  );
}

export function Empty({ title, children, testId }: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId ?? "empty-state"}>
      <div className="empty-title">{title}</div>
      {children ? <div className="muted">{children}</div> : null}
    </div>
  );
}

export function ErrorNote({ error, retry }: { error: unknown; retry?: () => void }) {
  if (!error) return null;
  const e = error as { message?: string; problems?: { path: string; message: string }[] };
  return (
    <div className="note note-error" role="alert">
      <span>
        {e.problems?.length ? e.problems.map((p) => `${p.path}: ${p.message}`).join("; ") : (e.message ?? "Something went wrong")}
      </span>
      {retry ? (
        <button className="btn btn-ghost btn-xs" onClick={retry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** Empty state for a route the server does not expose yet (404/405). */
export function Unavailable({ what }: { what: string }) {
  return (
    <Empty title={`${what} isn't available on this server`} testId="unavailable">
      The API did not answer this route. It appears once the service is deployed.
    </Empty>
  );
}

export function Skeleton({ rows = 5 }: { rows?: number }) {
  return (
    <div className="skeleton" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton-row" style={{ width: `${92 - ((i * 17) % 30)}%` }} />
      ))}
    </div>
  );
}

export function Time({ iso, abs }: { iso: string | null | undefined; abs?: boolean }) {
  const now = useNow();
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={absTime(iso)} className="time">
      {abs ? absTime(iso) : relTime(iso, now)}
    </time>
  );
}

export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`badge sev-${severity}`}>{severity}</span>;
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}

export function SentimentPill({
  label,
  score,
  confidence,
}: {
  label: string | null | undefined;
  score?: number | null;
  confidence?: number | null;
}) {
  if (!label) return <span className="pill neu">unscored</span>;
  return (
    <span className={`pill ${sentimentClass(label)}`} title={confidence != null ? `confidence ${pct(confidence)}` : undefined}>
      <span className="dot" aria-hidden />
      {label}
      {score != null ? <span className="pill-num">{signed(score)}</span> : null}
    </span>
  );
}

export function TopicChip({ topic, confidence }: { topic: string | null | undefined; confidence?: number }) {
  if (!topic) return null;
  return (
    <span className="chip" title={confidence !== undefined ? `topic confidence ${pct(confidence)}` : undefined}>
      {topic}
    </span>
  );
}

export function EntityLink({ k, children }: { k: string; children?: ReactNode }) {
  return (
    <Link className="entity-link" href={entityHref(k)}>
      {children ?? k}
    </Link>
  );
}

interface Seg {
  start: number;
  end: number;
  entity?: { type: string; text: string };
  weight?: number;
}

/**
 * An item's text with entity spans highlighted (linked to the entity page when watchable) and, when `attributions`
 * is set, per-token shading by the model's attention weight in the predicted sentiment's colour.
 */
export function ItemText({
  text,
  output,
  attributions,
  clamp,
}: {
  text: string;
  output: ModelOutput | null | undefined;
  attributions?: boolean;
  clamp?: boolean;
}) {
  const ents = [...(output?.entities ?? [])].filter((e) => e.end <= text.length && e.start < e.end).sort((a, b) => a.start - b.start);
  const attrs = attributions ? wordAttributions(text, output?.attributions ?? []) : [];
  const maxW = attrs.reduce((m, a) => Math.max(m, a.weight), 0) || 1;
  const cuts = new Set<number>([0, text.length]);
  for (const e of ents) cuts.add(e.start).add(e.end);
  for (const a of attrs) cuts.add(a.start).add(a.end);
  const points = [...cuts].sort((a, b) => a - b);
  const segs: Seg[] = [];
  let ei = 0;
  for (let i = 0; i < points.length - 1; i++) {
    const start = points[i]!;
    const end = points[i + 1]!;
    while (ei < ents.length && ents[ei]!.end <= start) ei++;
    const e = ents[ei] && ents[ei]!.start <= start && ents[ei]!.end >= end ? ents[ei] : undefined;
    const a = attrs.find((x) => x.start <= start && x.end >= end);
    segs.push({ start, end, entity: e ? { type: e.type, text: e.text } : undefined, weight: a ? a.weight / maxW : undefined });
  }
  const tone = sentimentClass(output?.sentiment.label);
  const out: ReactNode[] = [];
  for (let i = 0; i < segs.length;) {
    const s = segs[i]!;
    if (!s.entity) {
      out.push(<Piece key={i} text={text.slice(s.start, s.end)} weight={s.weight} tone={tone} />);
      i++;
      continue;
    }
    const group: Seg[] = [];
    const ent = s.entity;
    while (i < segs.length && segs[i]!.entity === ent) group.push(segs[i++]!);
    const key = entityKey(ent.type, ent.text);
    const inner = group.map((g, j) => <Piece key={j} text={text.slice(g.start, g.end)} weight={g.weight} tone={tone} />);
    out.push(
      key ? (
        <Link key={`e${i}`} href={entityHref(key)} className={`ent ent-${ent.type}`} title={`${ent.type} · ${key}`}>
          {inner}
        </Link>
      ) : (
        <mark key={`e${i}`} className={`ent ent-${ent.type}`} title={ent.type}>
          {inner}
        </mark>
      ),
    );
  }
  return <p className={clamp ? "item-text clamp" : "item-text"}>{out}</p>;
}

const WORD = /[\p{L}\p{N}]+(?:['’.&-][\p{L}\p{N}]+)*/gu;

/**
 * The model's attributions are per sub-word token ("Fabr" + "ikam"): shade whole words instead, each with the largest
 * weight of any token inside it. Words without a letter (a demo counter "(337)", a bare number) are not shaded.
 */
export function wordAttributions(
  text: string,
  attrs: readonly { start: number; end: number; weight: number }[],
): { start: number; end: number; weight: number }[] {
  const valid = attrs.filter((a) => a.end <= text.length && a.start < a.end && Number.isFinite(a.weight));
  if (!valid.length) return [];
  const out: { start: number; end: number; weight: number }[] = [];
  for (const m of text.matchAll(WORD)) {
    const start = m.index;
    const end = start + m[0].length;
    if (!/\p{L}/u.test(m[0])) continue;
    let w = -Infinity;
    for (const a of valid) if (a.start < end && a.end > start) w = Math.max(w, a.weight);
    if (w > -Infinity) out.push({ start, end, weight: w });
  }
  return out;
}

function Piece({ text, weight, tone }: { text: string; weight?: number; tone: string }) {
  if (weight === undefined || weight < 0.08) return <>{text}</>;
  return (
    <span
      className={`attr attr-${tone}`}
      style={{ ["--w" as string]: Math.min(1, weight).toFixed(2) }}
      title={`attention ${(weight * 100).toFixed(0)}% of max`}
    >
      {text}
    </span>
  );
}

export function ProbBar({ probs }: { probs: { bearish: number; neutral: number; bullish: number } }) {
  return (
    <div
      className="probbar"
      role="img"
      aria-label={`bearish ${pct(probs.bearish)}, neutral ${pct(probs.neutral)}, bullish ${pct(probs.bullish)}`}
    >
      <span className="neg" style={{ width: `${probs.bearish * 100}%` }} />
      <span className="neu" style={{ width: `${probs.neutral * 100}%` }} />
      <span className="pos" style={{ width: `${probs.bullish * 100}%` }} />
    </div>
  );
}

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="kbd">{children}</kbd>;
}

export function Field({
  label,
  hint,
  error,
  children,
  htmlFor,
}: {
  label: string;
  hint?: ReactNode;
  error?: string;
  children: ReactNode;
  htmlFor?: string;
}) {
  return (
    <div className={error ? "field has-error" : "field"}>
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {error ? <div className="field-error">{error}</div> : hint ? <div className="field-hint">{hint}</div> : null}
    </div>
  );
}

export function Segmented<T extends string>({
  value,
  options,
  onChange,
  label,
}: {
  value: T;
  options: readonly (T | { value: T; label: string })[];
  onChange: (v: T) => void;
  label: string;
}) {
  return (
    <div className="segmented" role="radiogroup" aria-label={label}>
      {options.map((o) => {
        const v = typeof o === "string" ? o : o.value;
        const l = typeof o === "string" ? o : o.label;
        return (
          <button key={v} role="radio" aria-checked={v === value} className={v === value ? "on" : ""} onClick={() => onChange(v)}>
            {l}
          </button>
        );
      })}
    </div>
  );
}

/** Shows a one-time secret with a copy button. */
export function SecretReveal({ secret, note, onDone }: { secret: string; note: string; onDone: () => void }) {
  return (
    <div className="note note-secret" data-testid="secret-reveal" role="status">
      <div>
        <strong>{note}</strong>
        <code className="secret">{secret}</code>
      </div>
      <div className="row gap-s">
        <button className="btn btn-xs" onClick={() => void navigator.clipboard?.writeText(secret)}>
          Copy
        </button>
        <button className="btn btn-ghost btn-xs" onClick={onDone}>
          I stored it
        </button>
      </div>
    </div>
  );
}
