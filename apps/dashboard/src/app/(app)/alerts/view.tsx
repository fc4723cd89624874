"use client";

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { api, post, qs } from "../../../lib/api";
import { alertFigures, entityHref, pct, signed } from "../../../lib/format";
import { useApi } from "../../../lib/hooks";
import type { Alert, AlertDetail, Item, ModelOutput } from "../../../lib/types";
import { useAlertEvents } from "../../../components/live";
import { useCanEdit } from "../../../components/shell";
import { AlertTitle, ContributedAliases, EntityKeyText } from "../../../components/entity-registry";
import {
  Empty,
  ErrorNote,
  ItemText,
  PageHeader,
  Panel,
  SentimentPill,
  SeverityBadge,
  Skeleton,
  StateBadge,
  Time,
  TopicChip,
  Unavailable,
} from "../../../components/ui";

const STATES = [
  { value: "open", label: "Open" },
  { value: "firing", label: "Firing" },
  { value: "acknowledged", label: "Acknowledged" },
  { value: "resolved", label: "Resolved" },
  { value: "", label: "All states" },
];

export function AlertsView() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const state = params.get("state") ?? "open";
  const severity = params.get("severity") ?? "";
  const entity = params.get("entity") ?? "";
  const selected = params.get("id");
  const [entityDraft, setEntityDraft] = useState(entity);
  const detailRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Narrow screens stack the detail under the list: bring it into view.
    if (selected && window.innerWidth < 960) detailRef.current?.scrollIntoView({ block: "start" });
  }, [selected]);
  const [pages, setPages] = useState<Alert[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);

  const setParam = (patch: Record<string, string | null>) => {
    const u = new URLSearchParams(params.toString());
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === "") u.delete(k);
      else u.set(k, v);
    }
    if (!("state" in patch) && !u.has("state") && state !== "open") u.set("state", state);
    router.replace(`${pathname}?${u.toString()}`, { scroll: false });
  };

  const path = `/api/v1/alerts${qs({ state: state || undefined, severity, entity, limit: 50 })}`;
  const list = useApi<{ alerts: Alert[]; next_cursor: string | null }>(path, { refreshMs: 30_000 });
  useEffect(() => {
    setPages([]);
    setCursor(null);
  }, [path]);
  useEffect(() => {
    if (list.data) setCursor((c) => (pages.length ? c : list.data!.next_cursor));
  }, [list.data, pages.length]);
  useAlertEvents(() => void list.reload());

  const rows = [...(list.data?.alerts ?? []), ...pages.filter((p) => !list.data?.alerts.some((a) => a.id === p.id))];
  const more = async () => {
    if (!cursor) return;
    const r = await api<{ alerts: Alert[]; next_cursor: string | null }>(
      `/api/v1/alerts${qs({ state: state || undefined, severity, entity, limit: 50, cursor })}`,
    );
    setPages((p) => [...p, ...r.alerts]);
    setCursor(r.next_cursor);
  };

  // j/k move through the list, Enter opens.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName) || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key !== "j" && e.key !== "k") return;
      const i = rows.findIndex((a) => a.id === selected);
      const next = rows[e.key === "j" ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1)];
      if (next) setParam({ id: next.id });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  return (
    <>
      <PageHeader
        title="Alerts"
        sub={
          <>
            Risk warnings fired by rules. <span className="kbd">j</span> <span className="kbd">k</span> to move.
          </>
        }
      />
      <div className="filters" data-testid="alert-filters">
        <select aria-label="State" value={state} onChange={(e) => setParam({ state: e.target.value || "", id: null })}>
          {STATES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        <select aria-label="Severity" value={severity} onChange={(e) => setParam({ severity: e.target.value, id: null })}>
          <option value="">All severities</option>
          <option value="critical">Critical</option>
          <option value="warning">Warning</option>
          <option value="info">Info</option>
        </select>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setParam({ entity: entityDraft.trim(), id: null });
          }}
        >
          <input
            aria-label="Entity key"
            placeholder="Entity key, e.g. TICKER:TSLA"
            value={entityDraft}
            onChange={(e) => setEntityDraft(e.target.value)}
            style={{ minWidth: 220 }}
          />
        </form>
        {(severity || entity || state !== "open") && (
          <button className="btn btn-ghost btn-s" onClick={() => (setEntityDraft(""), router.replace(pathname))}>
            Clear filters
          </button>
        )}
        <span className="right muted small">{list.data ? `${rows.length}${cursor ? "+" : ""} alerts` : ""}</span>
      </div>
      <div className="grid grid-split">
        <Panel flush testId="alert-list">
          {list.unavailable ? (
            <Unavailable what="Alerting" />
          ) : list.error ? (
            <ErrorNote error={list.error} retry={list.reload} />
          ) : !list.data ? (
            <Skeleton rows={8} />
          ) : rows.length === 0 ? (
            <Empty title="No alerts match">Try another state or severity.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Alert</th>
                    <th className="hide-s">State</th>
                    <th>Fired</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((a) => (
                    <tr
                      key={a.id}
                      className={a.id === selected ? "clickable selected" : "clickable"}
                      data-testid="alert-row"
                      data-alert-id={a.id}
                      tabIndex={0}
                      aria-selected={a.id === selected}
                      onClick={() => setParam({ id: a.id })}
                      onKeyDown={(e) => e.key === "Enter" && setParam({ id: a.id })}
                    >
                      <td>
                        <SeverityBadge severity={a.severity} />
                      </td>
                      <td style={{ maxWidth: 0, width: "60%" }}>
                        <div className="cell-title">
                          <AlertTitle alert={a} />
                        </div>
                        <div className="muted small mono" style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
                          <EntityKeyText k={a.entity_key} className="" /> · {a.rule_name}
                        </div>
                      </td>
                      <td className="hide-s">
                        <StateBadge state={a.state} />
                      </td>
                      <td className="nowrap muted">
                        <Time iso={a.fired_at} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {cursor ? (
                <div style={{ padding: 10, textAlign: "center" }}>
                  <button className="btn btn-s" onClick={() => void more()}>
                    Load more
                  </button>
                </div>
              ) : null}
            </div>
          )}
        </Panel>
        <div className="sticky" ref={detailRef} style={{ scrollMarginTop: 60 }}>
          {selected ? (
            <AlertDetailPanel id={selected} onChanged={() => void list.reload()} />
          ) : (
            <Panel className="hide-narrow">
              <Empty title="Select an alert">Details, evidence and the actions taken appear here.</Empty>
            </Panel>
          )}
        </div>
      </div>
    </>
  );
}

function AlertDetailPanel({ id, onChanged }: { id: string; onChanged: () => void }) {
  const d = useApi<AlertDetail>(`/api/v1/alerts/${encodeURIComponent(id)}`);
  const canEdit = useCanEdit();
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  useAlertEvents((ev) => {
    if (ev.alert.id === id) void d.reload();
  });
  useEffect(() => {
    setNote("");
    setErr(null);
  }, [id]);

  const act = async (what: "ack" | "resolve") => {
    setBusy(true);
    setErr(null);
    try {
      await post(`/api/v1/alerts/${encodeURIComponent(id)}/${what}`, note.trim() ? { note: note.trim() } : {});
      setNote("");
      await d.reload();
      onChanged();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };

  if (d.unavailable)
    return (
      <Panel>
        <Empty title="Alert not found">It may have been removed.</Empty>
      </Panel>
    );
  if (d.error)
    return (
      <Panel>
        <ErrorNote error={d.error} retry={d.reload} />
      </Panel>
    );
  if (!d.data)
    return (
      <Panel>
        <Skeleton rows={10} />
      </Panel>
    );
  const { alert: a, events, evidence } = d.data;
  const { figures: figs, window: win } = alertFigures(a.figures ?? {});
  return (
    <Panel testId="alert-detail">
      <div className="detail-head">
        <span className={`sev-stripe sev-${a.severity}`} aria-hidden />
        <div className="grow">
          <div className="row gap-s wrap">
            <SeverityBadge severity={a.severity} />
            <StateBadge state={a.state} />
            <Link href={entityHref(a.entity_key)} className="entity-link" data-testid="alert-entity">
              <EntityKeyText k={a.entity_key} className="" />
            </Link>
            <ContributedAliases k={a.entity_key} items={a.evidence_item_ids ?? []} />
          </div>
          <h2 style={{ fontSize: 16, marginTop: 6 }}>
            <AlertTitle alert={a} />
          </h2>
          <p className="muted" style={{ marginTop: 4 }}>
            {a.summary}
          </p>
        </div>
      </div>
      <dl className="kv" style={{ marginTop: 12 }}>
        <dt>Rule</dt>
        <dd>
          <Link href={`/rules?id=${encodeURIComponent(a.rule_id)}`}>{a.rule_name}</Link> <span className="faint">({a.rule_type})</span>
        </dd>
        {win ? (
          <>
            <dt>Window</dt>
            <dd data-testid="alert-window">{win}</dd>
          </>
        ) : null}
        <dt>Fired</dt>
        <dd>
          <Time iso={a.fired_at} abs /> · <Time iso={a.fired_at} />
        </dd>
        {a.acknowledged_at ? (
          <>
            <dt>Acknowledged</dt>
            <dd>
              <Time iso={a.acknowledged_at} abs /> by {a.acknowledged_by ?? "—"}
            </dd>
          </>
        ) : null}
        {a.resolved_at ? (
          <>
            <dt>Resolved</dt>
            <dd>
              <Time iso={a.resolved_at} abs /> {a.resolved_by ? `by ${a.resolved_by}` : ""}{" "}
              {a.resolve_reason ? `· ${a.resolve_reason}` : ""}
            </dd>
          </>
        ) : null}
      </dl>

      {a.state !== "resolved" ? (
        <div style={{ marginTop: 14 }}>
          <ErrorNote error={err} />
          <div className="row gap-s">
            <input
              placeholder="Note (optional)"
              value={note}
              onChange={(e) => setNote(e.target.value)}
              aria-label="Note"
              disabled={!canEdit}
            />
            {a.state === "firing" ? (
              <button className="btn btn-primary" disabled={busy || !canEdit} onClick={() => void act("ack")} data-testid="ack-button">
                Acknowledge
              </button>
            ) : null}
            <button className="btn" disabled={busy || !canEdit} onClick={() => void act("resolve")} data-testid="resolve-button">
              Resolve
            </button>
          </div>
          {!canEdit ? (
            <p className="small faint" style={{ marginTop: 4 }}>
              Viewers cannot change alerts.
            </p>
          ) : null}
        </div>
      ) : null}

      {figs.length ? (
        <>
          <div className="section-title">Figures</div>
          <div className="figures" data-testid="alert-figures">
            {figs.map((f) => (
              <div key={f.key} className="figure">
                <div className="k">{f.label}</div>
                <div className="v">{f.value}</div>
              </div>
            ))}
          </div>
        </>
      ) : null}

      <div className="section-title">
        Evidence{" "}
        <span className="faint">
          ({evidence.items.length}
          {evidence.missing.length ? `, ${evidence.missing.length} no longer stored` : ""})
        </span>
      </div>
      {evidence.items.length === 0 ? (
        <p className="muted">No evidence items.</p>
      ) : (
        <>
          <p className="small muted" style={{ marginBottom: 8 }}>
            Shading shows the words the model attended to for its sentiment call; underlines are entities.
          </p>
          {evidence.items.map((e) => (
            <Evidence key={e.id} ev={e} />
          ))}
        </>
      )}

      <div className="section-title">Timeline</div>
      <ol className="timeline">
        {events.map((e) => (
          <li key={e.id} className={`t-${(e.type ?? "").replace("alert.", "")}`}>
            <div className="row gap-s">
              <strong>{(e.type ?? "").replace("alert.", "")}</strong>
              {e.actor ? <span className="muted">by {e.actor}</span> : null}
              <span className="right faint small">
                <Time iso={e.at} abs />
              </span>
            </div>
            {e.note ? <div className="muted">{e.note}</div> : null}
          </li>
        ))}
      </ol>
    </Panel>
  );
}

/** An evidence item; fetches the full score to draw per-token attributions. */
function Evidence({ ev }: { ev: AlertDetail["evidence"]["items"][number] }) {
  const [output, setOutput] = useState<ModelOutput | null>(null);
  const [text, setText] = useState(ev.text);
  useEffect(() => {
    let live = true;
    api<{ item: Item & { text: string }; score: { output: ModelOutput } | null }>(`/api/v1/items/${ev.id}`).then(
      (r) => {
        if (!live) return;
        setText(r.item.text);
        setOutput(r.score?.output ?? null);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [ev.id]);
  return (
    <div className="evidence" data-testid="evidence-item">
      <div className="feed-meta">
        <span className="src">{ev.source}</span>
        <Time iso={ev.published_at} />
        <span className="right row gap-s">
          <TopicChip topic={ev.topic} />
          <SentimentPill label={ev.sentiment} score={ev.score} confidence={ev.confidence} />
        </span>
      </div>
      <ItemText text={text} output={output} attributions />
      {output ? (
        <div className="small faint" style={{ marginTop: 4 }}>
          confidence {pct(output.sentiment.confidence)} · score {signed(output.sentiment.score)}
          {ev.url ? (
            <>
              {" · "}
              <a href={ev.url} target="_blank" rel="noreferrer noopener">
                source ↗
              </a>
            </>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
