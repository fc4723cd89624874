"use client";

import { useState } from "react";
import { api, ApiError, post, qs, type Problem } from "../../../lib/api";
import { useApi } from "../../../lib/hooks";
import type { Item, PathOrConst, StreamSpec } from "../../../lib/types";
import { FeedItem } from "../../../components/feed";
import { useCanEdit } from "../../../components/shell";
import { Empty, ErrorNote, Field, PageHeader, Panel, Segmented, Skeleton, Unavailable } from "../../../components/ui";

const BUILTIN: StreamSpec[] = [
  { id: "news", kind: "kafka", topic: "news", enabled: true, mapping: {} },
  { id: "social", kind: "kafka", topic: "social", enabled: true, mapping: {} },
];

const showMap = (v: PathOrConst | undefined) => (v === undefined ? null : typeof v === "string" ? v : `= ${JSON.stringify(v.const)}`);

export function StreamsView() {
  const list = useApi<{ streams: StreamSpec[] }>("/api/v1/streams");
  const [selected, setSelected] = useState<string>("news");
  const [creating, setCreating] = useState(false);
  const canEdit = useCanEdit();
  const streams = [...BUILTIN, ...(list.data?.streams ?? []).filter((s) => !BUILTIN.some((b) => b.id === s.id))];
  const cur = streams.find((s) => s.id === selected);

  return (
    <>
      <PageHeader
        title="Streams"
        sub="Where items come from: the built-in news and social topics plus registered Kafka topics and HTTP push endpoints."
        actions={
          <button className="btn btn-primary" onClick={() => setCreating(true)} disabled={!canEdit} data-testid="new-stream">
            Register stream
          </button>
        }
      />
      <div className="grid grid-split">
        <div className="stack">
          {creating ? (
            <StreamForm
              onCancel={() => setCreating(false)}
              onCreated={(id) => {
                setCreating(false);
                setSelected(id);
                void list.reload();
              }}
            />
          ) : null}
          <Panel flush testId="stream-list">
            {list.unavailable ? (
              <Unavailable what="Stream registry" />
            ) : list.error ? (
              <ErrorNote error={list.error} retry={list.reload} />
            ) : !list.data ? (
              <Skeleton rows={4} />
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th>Stream</th>
                      <th>Kind</th>
                      <th>Source</th>
                      <th>Mapping</th>
                      <th>Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {streams.map((s) => (
                      <tr
                        key={s.id}
                        className={s.id === selected ? "clickable selected" : "clickable"}
                        onClick={() => setSelected(s.id)}
                        tabIndex={0}
                        onKeyDown={(e) => e.key === "Enter" && setSelected(s.id)}
                        data-testid="stream-row"
                      >
                        <td style={{ fontWeight: 600 }}>{s.id}</td>
                        <td>
                          <span className="badge">{s.kind}</span>
                        </td>
                        <td className="mono small">{s.kind === "kafka" ? s.topic : `POST /api/v1/streams/${s.id}/items`}</td>
                        <td className="small muted">{BUILTIN.includes(s) ? "built-in schema" : `text ← ${showMap(s.mapping.text)}`}</td>
                        <td>{s.enabled ? <span className="badge ok">enabled</span> : <span className="badge">disabled</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Panel>
        </div>
        <div className="sticky">
          {cur ? (
            <StreamDetail
              s={cur}
              builtin={BUILTIN.some((b) => b.id === cur.id)}
              onRemoved={() => (setSelected("news"), void list.reload())}
            />
          ) : null}
        </div>
      </div>
    </>
  );
}

function StreamDetail({ s, builtin, onRemoved }: { s: StreamSpec; builtin: boolean; onRemoved: () => void }) {
  const items = useApi<{ items: Item[] }>(`/api/v1/items${qs({ stream: s.id, limit: 15 })}`, { refreshMs: 15_000 });
  const canEdit = useCanEdit();
  const [err, setErr] = useState<unknown>(null);
  const remove = async () => {
    if (!confirm(`Remove stream '${s.id}'? Items already ingested stay.`)) return;
    try {
      await api(`/api/v1/streams/${encodeURIComponent(s.id)}`, { method: "DELETE" });
      onRemoved();
    } catch (e) {
      setErr(e);
    }
  };
  const mapped = Object.entries(s.mapping).filter(([k, v]) => k !== "published_at_format" && v !== undefined);
  return (
    <Panel
      title={s.id}
      actions={
        !builtin ? (
          <button className="btn btn-danger btn-s" onClick={() => void remove()} disabled={!canEdit}>
            Remove
          </button>
        ) : null
      }
      flush
      testId="stream-detail"
    >
      <div style={{ padding: 12 }}>
        <ErrorNote error={err} />
        <dl className="kv">
          <dt>Kind</dt>
          <dd>{s.kind === "kafka" ? `Kafka topic ${s.topic}` : "HTTP push"}</dd>
          {s.kind === "http" ? (
            <>
              <dt>Push</dt>
              <dd>
                <code>POST /api/v1/streams/{s.id}/items</code> <span className="faint">(JSON, JSON array or NDJSON; analyst key)</span>
              </dd>
            </>
          ) : null}
          {builtin ? (
            <>
              <dt>Schema</dt>
              <dd>IncomingItemV1 (source, published_at, text, url?, author?, lang?, id?)</dd>
            </>
          ) : (
            mapped.map(([k, v]) => (
              <div key={k} style={{ display: "contents" }}>
                <dt>{k}</dt>
                <dd className="mono">
                  ← {showMap(v as PathOrConst)}
                  {k === "published_at" && s.mapping.published_at_format ? (
                    <span className="faint"> ({s.mapping.published_at_format})</span>
                  ) : null}
                </dd>
              </div>
            ))
          )}
        </dl>
      </div>
      <div className="panel-head" style={{ borderTop: "1px solid var(--border)" }}>
        <h2>Recent items</h2>
      </div>
      {items.error ? (
        <ErrorNote error={items.error} retry={items.reload} />
      ) : !items.data ? (
        <Skeleton rows={4} />
      ) : items.data.items.length === 0 ? (
        <Empty title="Nothing received yet" />
      ) : (
        <ul className="feed" style={{ maxHeight: 520, overflow: "auto" }}>
          {items.data.items.map((it) => (
            <FeedItem key={it.id} item={it} />
          ))}
        </ul>
      )}
    </Panel>
  );
}

const MAP_FIELDS = [
  { k: "text", label: "Text", req: true, ph: "body.text" },
  { k: "published_at", label: "Published at", req: true, ph: "created_at" },
  { k: "source", label: "Source", ph: "= acme-wire" },
  { k: "id", label: "External id", ph: "id" },
  { k: "url", label: "URL", ph: "link" },
  { k: "author", label: "Author", ph: "user.name" },
  { k: "lang", label: "Language", ph: "lang" },
] as const;

function StreamForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (id: string) => void }) {
  const [kind, setKind] = useState<"kafka" | "http">("kafka");
  const [id, setId] = useState("");
  const [topic, setTopic] = useState("");
  const [fmt, setFmt] = useState("iso");
  const [map, setMap] = useState<Record<string, string>>({ text: "", published_at: "" });
  const [problems, setProblems] = useState<Problem[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const pErr = (path: string) => problems.find((p) => p.path === path)?.message;

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const missing: Problem[] = [
      ...(id.trim() ? [] : [{ path: "id", message: "required" }]),
      ...(kind === "kafka" && !topic.trim() ? [{ path: "topic", message: "required for a Kafka stream" }] : []),
      ...(["text", "published_at"] as const)
        .filter((k) => !(map[k] ?? "").trim())
        .map((k) => ({ path: `mapping.${k}`, message: "required: where to find it in each document" })),
    ];
    if (missing.length) return setProblems(missing);
    setBusy(true);
    setProblems([]);
    setErr(null);
    const mapping: Record<string, unknown> = { published_at_format: fmt };
    for (const f of MAP_FIELDS) {
      const v = (map[f.k] ?? "").trim();
      if (!v) continue;
      mapping[f.k] = v.startsWith("=") ? { const: v.slice(1).trim() } : v;
    }
    try {
      await post("/api/v1/streams", { id: id.trim(), kind, ...(kind === "kafka" ? { topic: topic.trim() } : {}), mapping });
      onCreated(id.trim());
    } catch (e2) {
      if (e2 instanceof ApiError && e2.problems.length) setProblems(e2.problems);
      else setErr(e2);
    } finally {
      setBusy(false);
    }
  };

  const other = problems.filter((p) => !["id", "topic", ...MAP_FIELDS.map((f) => `mapping.${f.k}`)].includes(p.path));
  return (
    <Panel title="Register a stream">
      <form onSubmit={submit} data-testid="stream-form" noValidate>
        <ErrorNote error={err} />
        {other.length ? <ErrorNote error={{ problems: other }} /> : null}
        <div className="form-grid">
          <Field label="Stream id" htmlFor="s-id" hint="lowercase letters, digits and dashes" error={pErr("id")}>
            <input id="s-id" name="id" value={id} onChange={(e) => setId(e.target.value)} placeholder="acme-wire" required autoFocus />
          </Field>
          <Field label="Kind" hint={kind === "kafka" ? "consume a Kafka topic" : "clients POST documents to finsentry"}>
            <Segmented
              label="Kind"
              value={kind}
              options={
                [
                  { value: "kafka", label: "Kafka topic" },
                  { value: "http", label: "HTTP push" },
                ] as const
              }
              onChange={setKind}
            />
          </Field>
          {kind === "kafka" ? (
            <Field label="Kafka topic" htmlFor="s-topic" error={pErr("topic")}>
              <input id="s-topic" name="topic" value={topic} onChange={(e) => setTopic(e.target.value)} placeholder="vendor.acme.news" />
            </Field>
          ) : null}
          <Field label="Timestamp format" htmlFor="s-fmt">
            <select id="s-fmt" value={fmt} onChange={(e) => setFmt(e.target.value)}>
              <option value="iso">ISO-8601</option>
              <option value="unix_s">Unix seconds</option>
              <option value="unix_ms">Unix milliseconds</option>
            </select>
          </Field>
        </div>
        <div className="section-title" style={{ marginTop: 4 }}>
          Field mapping{" "}
          <span className="faint" style={{ textTransform: "none", letterSpacing: 0, fontWeight: 400 }}>
            — dotted path into each document, or “= value” for a constant
          </span>
        </div>
        <div className="form-grid">
          {MAP_FIELDS.map((f) => (
            <Field key={f.k} label={`${f.label}${"req" in f && f.req ? " *" : ""}`} htmlFor={`m-${f.k}`} error={pErr(`mapping.${f.k}`)}>
              <input
                id={`m-${f.k}`}
                name={`mapping.${f.k}`}
                className="mono"
                value={map[f.k] ?? ""}
                onChange={(e) => setMap((m) => ({ ...m, [f.k]: e.target.value }))}
                placeholder={f.ph}
              />
            </Field>
          ))}
        </div>
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="stream-submit">
            {busy ? "Registering…" : "Register"}
          </button>
        </div>
      </form>
    </Panel>
  );
}
