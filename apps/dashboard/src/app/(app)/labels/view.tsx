"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { post } from "../../../lib/api";
import { errorText, pct } from "../../../lib/format";
import { useApi } from "../../../lib/hooks";
import {
  ENTITY_TYPES,
  SENTIMENTS,
  TOPICS,
  type EntityType,
  type Item,
  type ModelOutput,
  type SentimentLabel,
  type TopicLabel,
} from "../../../lib/types";
import { EntityLegend } from "../../../components/feed";
import { useCanEdit } from "../../../components/shell";
import {
  Empty,
  ErrorNote,
  ItemText,
  Kbd,
  PageHeader,
  Panel,
  ProbBar,
  SentimentPill,
  Skeleton,
  Time,
  TopicChip,
  Unavailable,
} from "../../../components/ui";

type QueueItem = Item & { certainty?: number };
type Span = { start: number; end: number; type: EntityType };

export function LabelQueue() {
  const q = useApi<{ items: QueueItem[] }>("/api/v1/labels/queue?limit=50");
  const canEdit = useCanEdit();
  const [idx, setIdx] = useState(0);
  const [done, setDone] = useState<Record<string, string>>({});
  const [topic, setTopic] = useState<TopicLabel | null>(null);
  const [spans, setSpans] = useState<Span[] | null>(null);
  const [picker, setPicker] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const [flash, setFlash] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const items = q.data?.items ?? [];
  const cur = items[idx];

  useEffect(() => {
    setTopic(null);
    setSpans(null);
    setPicker(false);
    setErr(null);
  }, [cur?.id]);

  const predictedSpans = useMemo<Span[]>(
    () => (cur?.output?.entities ?? []).map((e) => ({ start: e.start, end: e.end, type: e.type })),
    [cur],
  );
  const effSpans = spans ?? predictedSpans;

  const submit = useCallback(
    async (sentiment: SentimentLabel | "confirm") => {
      if (!cur || busy || !canEdit) return;
      const o = cur.output;
      const body: Record<string, unknown> = { item_id: cur.id };
      if (sentiment === "confirm") {
        if (o) body.sentiment = o.sentiment.label;
        body.topic = topic ?? o?.topic.label;
        body.entities = effSpans;
      } else {
        body.sentiment = sentiment;
        if (topic) body.topic = topic;
        if (spans) body.entities = spans;
      }
      setBusy(true);
      setErr(null);
      try {
        await post("/api/v1/labels", body);
        const what = [body.sentiment, topic ? `topic “${topic}”` : null, spans ? `${spans.length} entities` : null]
          .filter(Boolean)
          .join(", ");
        setDone((d) => ({ ...d, [cur.id]: what }));
        setFlash(`Saved: ${what}`);
        setIdx((i) => i + 1);
      } catch (e) {
        setErr(e);
      } finally {
        setBusy(false);
      }
    },
    [cur, busy, canEdit, topic, spans, effSpans],
  );

  useEffect(() => {
    if (!flash) return;
    const t = setTimeout(() => setFlash(null), 2500);
    return () => clearTimeout(t);
  }, [flash]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (picker || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName) || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === "1" || e.key === "2" || e.key === "3") {
        e.preventDefault();
        void submit(SENTIMENTS[Number(e.key) - 1]!);
      } else if (e.key === "t") {
        e.preventDefault();
        setPicker(true);
      } else if (e.key === "Enter" && t.tagName !== "BUTTON") {
        e.preventDefault();
        void submit("confirm");
      } else if (e.key === "s" || e.key === "ArrowRight") {
        setIdx((i) => Math.min(items.length, i + 1));
      } else if (e.key === "ArrowLeft") {
        setIdx((i) => Math.max(0, i - 1));
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [submit, picker, items.length]);

  const remaining = items.length - Object.keys(done).length;

  return (
    <>
      <PageHeader
        title="Labelling queue"
        sub="Items the model is least sure about, first. Your corrections train the next model."
        actions={
          <button className="btn btn-s" onClick={() => (setIdx(0), setDone({}), void q.reload())}>
            Refresh queue
          </button>
        }
      />
      {q.unavailable ? (
        <Panel>
          <Unavailable what="Labelling" />
        </Panel>
      ) : q.error ? (
        <ErrorNote error={q.error} retry={q.reload} />
      ) : !q.data ? (
        <Panel>
          <Skeleton rows={8} />
        </Panel>
      ) : items.length === 0 ? (
        <Panel>
          <Empty title="Queue is empty">Every recent item is labelled, or nothing has been scored yet.</Empty>
        </Panel>
      ) : (
        <div className="grid grid-live">
          <div className="stack">
            {cur ? (
              <Panel
                testId="label-card"
                title={
                  <span className="row gap-s" style={{ textTransform: "none", letterSpacing: 0 }}>
                    Item {idx + 1} of {items.length}
                  </span>
                }
                actions={<span className="small muted">{remaining} left in this batch</span>}
              >
                <div className="label-card" style={{ padding: 4 }}>
                  <div className="feed-meta">
                    <span className="src">{cur.source}</span>
                    {cur.stream ? <span className="faint">{cur.stream}</span> : null}
                    <Time iso={cur.published_at} />
                    {cur.certainty != null ? <span className="badge">certainty {pct(cur.certainty)}</span> : null}
                    {done[cur.id] ? <span className="badge ok">labelled</span> : null}
                  </div>
                  <SpanEditor text={cur.text} output={cur.output} spans={effSpans} onChange={canEdit ? setSpans : undefined} />
                  <div className="divider" />
                  <Prediction output={cur.output} topic={topic} onTopic={() => setPicker(true)} />
                  {picker ? (
                    <TopicPicker
                      current={topic ?? cur.output?.topic.label ?? null}
                      onPick={(tp) => (setTopic(tp), setPicker(false))}
                      onClose={() => setPicker(false)}
                    />
                  ) : null}
                  <ErrorNote error={err ? { message: errorText(err) } : null} />
                  <div className="label-actions" role="group" aria-label="Sentiment">
                    {SENTIMENTS.map((s, i) => (
                      <button
                        key={s}
                        className={`btn label-btn ${s === "bearish" ? "neg" : s === "bullish" ? "pos" : ""} ${cur.output?.sentiment.label === s ? "predicted" : ""}`}
                        onClick={() => void submit(s)}
                        disabled={busy || !canEdit}
                        data-testid={`label-${s}`}
                        title={cur.output?.sentiment.label === s ? "Model's prediction" : undefined}
                      >
                        <span>{s}</span>
                        <Kbd>{i + 1}</Kbd>
                      </button>
                    ))}
                  </div>
                  <div className="row gap-s wrap" style={{ marginTop: 10 }}>
                    <button
                      className="btn btn-s"
                      onClick={() => void submit("confirm")}
                      disabled={busy || !canEdit}
                      data-testid="label-confirm"
                    >
                      Model is right <Kbd>Enter</Kbd>
                    </button>
                    <button className="btn btn-s" onClick={() => setPicker(true)} disabled={!canEdit} data-testid="label-topic">
                      Topic <Kbd>t</Kbd>
                    </button>
                    <button className="btn btn-ghost btn-s" onClick={() => setIdx((i) => i + 1)}>
                      Skip <Kbd>s</Kbd>
                    </button>
                    {flash ? (
                      <span className="small pos right" role="status">
                        {flash}
                      </span>
                    ) : null}
                    {!canEdit ? <span className="small faint right">Viewers cannot label.</span> : null}
                  </div>
                </div>
              </Panel>
            ) : (
              <Panel>
                <Empty title="Batch done">
                  {Object.keys(done).length} items labelled.{" "}
                  <button className="btn btn-s" onClick={() => (setIdx(0), setDone({}), void q.reload())}>
                    Load the next batch
                  </button>
                </Empty>
              </Panel>
            )}
            <Panel title="Keys">
              <div className="row gap wrap small muted">
                <span>
                  <Kbd>1</Kbd> bearish
                </span>
                <span>
                  <Kbd>2</Kbd> neutral
                </span>
                <span>
                  <Kbd>3</Kbd> bullish
                </span>
                <span>
                  <Kbd>t</Kbd> pick topic
                </span>
                <span>
                  <Kbd>Enter</Kbd> confirm model
                </span>
                <span>
                  <Kbd>s</Kbd>/<Kbd>→</Kbd> skip
                </span>
                <span>
                  <Kbd>←</Kbd> back
                </span>
                <span>Select text → choose a type to add an entity</span>
              </div>
            </Panel>
          </div>
          <Panel title="Batch" flush className="sticky">
            <div className="queue-list" style={{ maxHeight: "calc(100vh - 180px)", overflow: "auto" }}>
              {items.map((it, i) => (
                <div
                  key={it.id}
                  className={i === idx ? "q-item current" : "q-item"}
                  onClick={() => setIdx(i)}
                  role="button"
                  tabIndex={0}
                  onKeyDown={(e) => e.key === "Enter" && setIdx(i)}
                >
                  <span className={`badge ${done[it.id] ? "ok" : ""}`} style={{ width: 42, justifyContent: "center" }}>
                    {done[it.id] ? "done" : it.certainty != null ? pct(it.certainty) : "—"}
                  </span>
                  <span className="t">{it.text}</span>
                </div>
              ))}
            </div>
          </Panel>
        </div>
      )}
    </>
  );
}

function Prediction({ output, topic, onTopic }: { output: ModelOutput | null; topic: TopicLabel | null; onTopic: () => void }) {
  if (!output) return <p className="muted">Not scored.</p>;
  return (
    <div className="grid grid-2" style={{ gap: 16 }}>
      <div>
        <div className="section-title" style={{ marginTop: 0 }}>
          Model says
        </div>
        <div className="row gap-s" style={{ marginBottom: 6 }}>
          <SentimentPill label={output.sentiment.label} score={output.sentiment.score} />
          <span className="small muted">confidence {pct(output.sentiment.confidence)}</span>
        </div>
        <ProbBar probs={output.sentiment.probs} />
        <div className="row small muted" style={{ justifyContent: "space-between", marginTop: 3 }}>
          <span>bearish {pct(output.sentiment.probs.bearish)}</span>
          <span>neutral {pct(output.sentiment.probs.neutral)}</span>
          <span>bullish {pct(output.sentiment.probs.bullish)}</span>
        </div>
      </div>
      <div>
        <div className="section-title" style={{ marginTop: 0 }}>
          Topic
        </div>
        <div className="row gap-s wrap">
          {topic ? (
            <>
              <span className="chip" style={{ textDecoration: "line-through", opacity: 0.6 }}>
                {output.topic.label}
              </span>
              →
              <span className="chip" style={{ borderColor: "var(--accent)", color: "var(--accent-text)" }} data-testid="pending-topic">
                {topic}
              </span>
            </>
          ) : (
            <>
              <TopicChip topic={output.topic.label} />
              <span className="small muted">confidence {pct(output.topic.confidence)}</span>
            </>
          )}
          <button className="btn btn-ghost btn-xs" onClick={onTopic}>
            change
          </button>
        </div>
      </div>
    </div>
  );
}

function TopicPicker({ current, onPick, onClose }: { current: string | null; onPick: (t: TopicLabel) => void; onClose: () => void }) {
  const [f, setF] = useState("");
  const [hl, setHl] = useState(0);
  const list = TOPICS.filter((t) => t.toLowerCase().includes(f.toLowerCase()));
  useEffect(() => setHl(0), [f]);
  return (
    <div style={{ position: "relative" }}>
      <div className="topic-picker" role="dialog" aria-label="Pick topic" data-testid="topic-picker">
        <input
          autoFocus
          placeholder="Filter topics…"
          value={f}
          onChange={(e) => setF(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") onClose();
            else if (e.key === "ArrowDown") {
              e.preventDefault();
              setHl((h) => Math.min(list.length - 1, h + 1));
            } else if (e.key === "ArrowUp") {
              e.preventDefault();
              setHl((h) => Math.max(0, h - 1));
            } else if (e.key === "Enter" && list[hl]) {
              e.preventDefault();
              onPick(list[hl]!);
            }
          }}
          onBlur={() => setTimeout(onClose, 150)}
          aria-label="Filter topics"
        />
        <ul role="listbox">
          {list.map((t, i) => (
            <li
              key={t}
              role="option"
              aria-selected={i === hl}
              className={i === hl ? "hl" : ""}
              onMouseDown={(e) => (e.preventDefault(), onPick(t))}
              onMouseEnter={() => setHl(i)}
            >
              <span>{t}</span>
              {t === current ? <span className="faint small">current</span> : null}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/** The item text with editable entity spans: select text and pick a type to add, × to remove. */
function SpanEditor({
  text,
  output,
  spans,
  onChange,
}: {
  text: string;
  output: ModelOutput | null;
  spans: Span[];
  onChange?: (s: Span[]) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [sel, setSel] = useState<{ start: number; end: number; x: number; y: number } | null>(null);
  const shown: ModelOutput | null = output ? { ...output, entities: spans.map((s) => ({ ...s, text: text.slice(s.start, s.end) })) } : null;

  const onUp = () => {
    if (!onChange) return;
    const s = window.getSelection();
    if (!s || s.rangeCount === 0 || s.isCollapsed || !box.current) return setSel(null);
    const r = s.getRangeAt(0);
    if (!box.current.contains(r.startContainer) || !box.current.contains(r.endContainer)) return setSel(null);
    const pre = document.createRange();
    pre.selectNodeContents(box.current);
    pre.setEnd(r.startContainer, r.startOffset);
    let start = pre.toString().length;
    let end = start + r.toString().length;
    while (start < end && /\s/.test(text[start]!)) start++;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    if (end <= start) return setSel(null);
    const rect = r.getBoundingClientRect();
    setSel({ start, end, x: rect.left, y: rect.bottom + 6 });
  };

  const add = (type: EntityType) => {
    if (!sel || !onChange) return;
    onChange(
      [...spans.filter((s) => s.end <= sel.start || s.start >= sel.end), { start: sel.start, end: sel.end, type }].sort(
        (a, b) => a.start - b.start,
      ),
    );
    setSel(null);
    window.getSelection()?.removeAllRanges();
  };

  return (
    <div>
      <div ref={box} onMouseUp={onUp} onKeyUp={onUp} style={{ fontSize: 15 }} data-testid="label-text">
        {shown ? <ItemText text={text} output={shown} /> : <p className="item-text">{text}</p>}
      </div>
      {sel ? (
        <div className="span-pop" style={{ left: sel.x, top: sel.y }} role="toolbar" aria-label="Entity type" data-testid="span-types">
          {ENTITY_TYPES.map((t) => (
            <button
              key={t}
              className={`btn btn-xs ent-${t}`}
              style={{ color: "var(--ent-c)" }}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => add(t)}
            >
              {t}
            </button>
          ))}
          <button className="btn btn-icon btn-xs" aria-label="Cancel" onClick={() => setSel(null)}>
            ×
          </button>
        </div>
      ) : null}
      <div className="row gap-s wrap" style={{ marginTop: 10 }}>
        <span className="small muted">Entities:</span>
        {spans.length === 0 ? <span className="small faint">none</span> : null}
        <div className="span-list">
          {spans.map((s) => (
            <span key={`${s.start}-${s.end}`} className={`span-tag ent-${s.type}`}>
              <span className="ty">{s.type}</span>
              {text.slice(s.start, s.end)}
              {onChange ? (
                <button
                  className="btn btn-icon btn-xs"
                  aria-label={`Remove ${text.slice(s.start, s.end)}`}
                  onClick={() => onChange(spans.filter((x) => x !== s))}
                >
                  ×
                </button>
              ) : null}
            </span>
          ))}
        </div>
        <span className="right">
          <EntityLegend />
        </span>
      </div>
    </div>
  );
}
