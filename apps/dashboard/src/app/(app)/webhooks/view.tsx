"use client";

import { Fragment, useState } from "react";
import { api, ApiError, post, type Problem } from "../../../lib/api";
import { useApi } from "../../../lib/hooks";
import { useUser } from "../../../components/shell";
import { Empty, ErrorNote, Field, PageHeader, Panel, SecretReveal, Skeleton, Time, Unavailable } from "../../../components/ui";

interface Webhook {
  id: string;
  url: string;
  description: string;
  enabled: boolean;
  event_types: string[];
  severities: string[];
  rule_ids: string[];
  entity_keys: string[];
  disabled_at: string | null;
  disabled_reason: string | null;
  failing_since: string | null;
  secret_rotated_at: string | null;
  previous_secret_expires_at: string | null;
  created_at: string;
}
interface Attempt {
  attempt: number;
  started_at: string;
  latency_ms: number | null;
  status_code: number | null;
  response_excerpt: string | null;
  error: string | null;
  outcome: string;
  retry_at: string | null;
}
interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  status: "pending" | "delivering" | "succeeded" | "dead";
  attempt_count: number;
  replays: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  dead_at: string | null;
  payload: unknown;
  attempts: Attempt[];
}

interface Notice {
  id: string;
  subscription_id: string;
  kind: string;
  message: string;
  created_at: string;
  acknowledged_at: string | null;
}

/** Endpoints the notifier disabled after failing for too long: shown until an admin acknowledges them. */
function Notices({ onChange }: { onChange: () => void }) {
  const notices = useApi<{ notices: Notice[] }>("/api/v1/webhooks/notices?unacknowledged=true", { refreshMs: 30_000 });
  const open = notices.data?.notices ?? [];
  if (open.length === 0) return null;
  return (
    <Panel testId="webhook-notices">
      <ul className="stack" role="alert">
        {open.map((n) => (
          <li key={n.id} className="row" data-testid="webhook-notice">
            <span className="badge bad">{n.kind.replaceAll("_", " ")}</span>
            <span style={{ flex: 1 }}>{n.message}</span>
            <Time iso={n.created_at} />
            <button
              className="btn"
              onClick={async () => {
                await post(`/api/v1/webhooks/notices/${n.id}/ack`);
                await notices.reload();
                onChange();
              }}
            >
              Dismiss
            </button>
          </li>
        ))}
      </ul>
    </Panel>
  );
}

const EVENT_TYPES = ["alert.fired", "alert.acknowledged", "alert.resolved"];
const STATUS_CLASS: Record<string, string> = { succeeded: "ok", dead: "bad", pending: "", delivering: "accent" };

export function WebhooksView() {
  const list = useApi<{ webhooks: Webhook[] }>("/api/v1/webhooks");
  const user = useUser();
  const isAdmin = user?.role === "admin";
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ value: string; note: string } | null>(null);
  const cur = list.data?.webhooks.find((w) => w.id === selected) ?? list.data?.webhooks[0];

  return (
    <>
      <PageHeader
        title="Webhooks"
        sub="Push alert events to other systems. Each delivery is signed with the webhook's secret and retried with backoff."
        actions={
          <button className="btn btn-primary" onClick={() => setCreating(true)} disabled={!isAdmin} data-testid="new-webhook">
            Add webhook
          </button>
        }
      />
      {secret ? <SecretReveal secret={secret.value} note={secret.note} onDone={() => setSecret(null)} /> : null}
      {isAdmin ? <Notices onChange={() => void list.reload()} /> : null}
      {list.error instanceof ApiError && list.error.status === 403 ? (
        <Panel>
          <Empty title="Admins only">Ask an admin to manage webhooks.</Empty>
        </Panel>
      ) : (
        <div className="grid grid-split">
          <div className="stack">
            {creating ? (
              <WebhookForm
                onCancel={() => setCreating(false)}
                onCreated={(w, s) => {
                  setCreating(false);
                  setSecret({ value: s, note: `Signing secret for ${w.url} — shown once, store it now.` });
                  setSelected(w.id);
                  void list.reload();
                }}
              />
            ) : null}
            <Panel flush testId="webhook-list">
              {list.unavailable ? (
                <Unavailable what="Webhooks" />
              ) : list.error ? (
                <ErrorNote error={list.error} retry={list.reload} />
              ) : !list.data ? (
                <Skeleton rows={4} />
              ) : list.data.webhooks.length === 0 ? (
                <Empty title="No webhooks yet">Add one to send alert events to Slack, PagerDuty or your own service.</Empty>
              ) : (
                <table className="table">
                  <thead>
                    <tr>
                      <th>Endpoint</th>
                      <th>Filters</th>
                      <th>Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.webhooks.map((w) => (
                      <tr
                        key={w.id}
                        className={w.id === cur?.id ? "clickable selected" : "clickable"}
                        onClick={() => setSelected(w.id)}
                        tabIndex={0}
                        onKeyDown={(e) => e.key === "Enter" && setSelected(w.id)}
                        data-testid="webhook-row"
                      >
                        <td style={{ maxWidth: 0, width: "55%" }}>
                          <div className="mono small" style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
                            {w.url}
                          </div>
                          <div className="small muted">{w.description || w.id}</div>
                        </td>
                        <td className="small muted">{filterText(w)}</td>
                        <td>
                          {!w.enabled ? (
                            <span className="badge bad" title={w.disabled_reason ?? undefined}>
                              disabled
                            </span>
                          ) : w.failing_since ? (
                            <span className="badge sev-warning">failing</span>
                          ) : (
                            <span className="badge ok">active</span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Panel>
          </div>
          <div className="sticky">
            {cur ? (
              <WebhookDetail
                key={cur.id}
                w={cur}
                onChanged={() => void list.reload()}
                onSecret={(s) =>
                  setSecret({ value: s, note: "New signing secret — shown once. The previous secret keeps signing for 24 hours." })
                }
              />
            ) : null}
          </div>
        </div>
      )}
    </>
  );
}

function filterText(w: Webhook): string {
  const parts = [
    w.event_types.length ? w.event_types.join(", ") : "all events",
    w.severities.length ? w.severities.join("/") : null,
    w.entity_keys.length ? `${w.entity_keys.length} entities` : null,
    w.rule_ids.length ? `${w.rule_ids.length} rules` : null,
  ];
  return parts.filter(Boolean).join(" · ");
}

/** One subscription: its actions, its settings, and its recent deliveries. */
function WebhookDetail({ w, onChanged, onSecret }: { w: Webhook; onChanged: () => void; onSecret: (s: string) => void }) {
  const deliveries = useApi<{ deliveries: Delivery[] }>(`/api/v1/webhooks/${encodeURIComponent(w.id)}/deliveries?limit=50`, {
    refreshMs: 10_000,
  });
  // Kept here rather than in the table, so an expanded delivery stays expanded across a failed refresh.
  const [open, setOpen] = useState<string | null>(null);
  const actions = useWebhookActions(w, () => void deliveries.reload(), onChanged, onSecret);

  return (
    <Panel title="Endpoint" actions={<WebhookActionButtons w={w} actions={actions} />} flush testId="webhook-detail">
      <div style={{ padding: 12 }}>
        <ErrorNote error={actions.err} />
        {actions.msg ? (
          <div className={actions.msg.ok ? "note note-ok" : "note note-error"} role="status" data-testid="webhook-test-result">
            {actions.msg.text}
          </div>
        ) : null}
        <WebhookFacts w={w} />
      </div>
      <div className="panel-head" style={{ borderTop: "1px solid var(--border)" }}>
        <h2>Deliveries</h2>
        <button className="btn btn-ghost btn-xs" onClick={() => void deliveries.reload()}>
          Refresh
        </button>
      </div>
      {deliveries.error ? (
        <ErrorNote error={deliveries.error} retry={deliveries.reload} />
      ) : !deliveries.data ? (
        <Skeleton rows={4} />
      ) : deliveries.data.deliveries.length === 0 ? (
        <Empty title="No deliveries yet">Send a test ping to check the endpoint.</Empty>
      ) : (
        <DeliveryTable
          deliveries={deliveries.data.deliveries}
          open={open}
          onToggle={(id) => setOpen(open === id ? null : id)}
          busy={!!actions.busy}
          onReplay={(id) => void actions.replay(id)}
        />
      )}
    </Panel>
  );
}

type WebhookActions = ReturnType<typeof useWebhookActions>;

/**
 * The detail view's actions (test, rotate, enable/disable, delete, replay) and their shared state: one action at a
 * time (`busy` names it), its error, and its outcome message.
 */
function useWebhookActions(w: Webhook, reloadDeliveries: () => void, onChanged: () => void, onSecret: (s: string) => void) {
  const [err, setErr] = useState<unknown>(null);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const run = async (what: string, f: () => Promise<void>) => {
    setBusy(what);
    setErr(null);
    setMsg(null);
    try {
      await f();
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(null);
    }
  };
  const test = () =>
    run("test", async () => {
      const r = await post<{ delivered: boolean; delivery: Delivery }>(`/api/v1/webhooks/${encodeURIComponent(w.id)}/test`);
      const a = r.delivery.attempts[r.delivery.attempts.length - 1];
      setMsg({
        ok: r.delivered,
        text: r.delivered
          ? `Test ping delivered (${a?.status_code ?? "ok"}, ${a?.latency_ms ?? "?"} ms)`
          : `Test ping failed: ${a?.error ?? `HTTP ${a?.status_code ?? "?"}`} — it will be retried`,
      });
      reloadDeliveries();
    });
  const rotate = () =>
    run("rotate", async () => {
      if (!confirm("Rotate the signing secret? The old one keeps working for 24 hours.")) return;
      const r = await post<{ secret: string }>(`/api/v1/webhooks/${encodeURIComponent(w.id)}/rotate-secret`, { overlap_seconds: 86400 });
      onSecret(r.secret);
      onChanged();
    });
  const toggle = () =>
    run("toggle", async () => {
      await api(`/api/v1/webhooks/${encodeURIComponent(w.id)}`, { method: "PATCH", json: { enabled: !w.enabled } });
      onChanged();
    });
  const remove = () =>
    run("delete", async () => {
      if (!confirm(`Delete the webhook to ${w.url}?`)) return;
      await api(`/api/v1/webhooks/${encodeURIComponent(w.id)}`, { method: "DELETE" });
      onChanged();
    });
  const replay = (id: string) =>
    run(`replay:${id}`, async () => {
      await post(`/api/v1/webhooks/deliveries/${encodeURIComponent(id)}/replay`);
      setMsg({ ok: true, text: "Queued for redelivery" });
      reloadDeliveries();
    });

  return { err, msg, busy, test, rotate, toggle, remove, replay };
}

/** The panel's header buttons; all are disabled while any action runs. */
function WebhookActionButtons({ w, actions }: { w: Webhook; actions: WebhookActions }) {
  const { busy } = actions;
  return (
    <>
      <button className="btn btn-s" onClick={() => void actions.test()} disabled={!!busy} data-testid="webhook-test">
        {busy === "test" ? "Sending…" : "Send test"}
      </button>
      <button className="btn btn-s" onClick={() => void actions.rotate()} disabled={!!busy} data-testid="webhook-rotate">
        Rotate secret
      </button>
      <button className="btn btn-s" onClick={() => void actions.toggle()} disabled={!!busy}>
        {w.enabled ? "Disable" : "Enable"}
      </button>
      <button className="btn btn-danger btn-s" onClick={() => void actions.remove()} disabled={!!busy}>
        Delete
      </button>
    </>
  );
}

/** The subscription's settings and health: URL, filters, secret rotation, and why it is disabled or failing. */
function WebhookFacts({ w }: { w: Webhook }) {
  return (
    <dl className="kv">
      <dt>URL</dt>
      <dd className="mono">{w.url}</dd>
      <dt>Events</dt>
      <dd>{filterText(w)}</dd>
      {w.entity_keys.length ? (
        <>
          <dt>Entities</dt>
          <dd className="mono small">{w.entity_keys.join(", ")}</dd>
        </>
      ) : null}
      <dt>Created</dt>
      <dd>
        <Time iso={w.created_at} abs />
      </dd>
      {w.secret_rotated_at ? (
        <>
          <dt>Secret rotated</dt>
          <dd>
            <Time iso={w.secret_rotated_at} />
            {w.previous_secret_expires_at ? (
              <span className="faint">
                {" "}
                · old secret valid until <Time iso={w.previous_secret_expires_at} abs />
              </span>
            ) : null}
          </dd>
        </>
      ) : null}
      {!w.enabled && w.disabled_reason ? (
        <>
          <dt>Disabled</dt>
          <dd className="neg">{w.disabled_reason}</dd>
        </>
      ) : w.failing_since ? (
        <>
          <dt>Failing since</dt>
          <dd className="neg">
            <Time iso={w.failing_since} />
          </dd>
        </>
      ) : null}
    </dl>
  );
}

/** Recent deliveries; a row expands to its attempts and payload. */
function DeliveryTable({
  deliveries,
  open,
  onToggle,
  busy,
  onReplay,
}: {
  deliveries: Delivery[];
  open: string | null;
  onToggle: (id: string) => void;
  busy: boolean;
  onReplay: (id: string) => void;
}) {
  return (
    <div className="table-wrap" style={{ maxHeight: 520 }}>
      <table className="table">
        <thead>
          <tr>
            <th>Event</th>
            <th>Status</th>
            <th className="th-num">Attempts</th>
            <th>Last</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {deliveries.map((dl) => (
            <Fragment key={dl.id}>
              <DeliveryRow dl={dl} expanded={open === dl.id} onToggle={() => onToggle(dl.id)} busy={busy} onReplay={onReplay} />
              {open === dl.id ? (
                <tr>
                  <td colSpan={5} style={{ background: "var(--surface-2)" }}>
                    <AttemptList attempts={dl.attempts} />
                    <div className="section-title">Payload</div>
                    <pre className="pre" style={{ maxHeight: 200 }}>
                      {JSON.stringify(dl.payload, null, 2)}
                    </pre>
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One delivery's summary row; only finished deliveries (dead or succeeded) can be replayed. */
function DeliveryRow({
  dl,
  expanded,
  onToggle,
  busy,
  onReplay,
}: {
  dl: Delivery;
  expanded: boolean;
  onToggle: () => void;
  busy: boolean;
  onReplay: (id: string) => void;
}) {
  return (
    <tr className="clickable" onClick={onToggle} data-testid="delivery-row" aria-expanded={expanded}>
      <td>
        <div className="mono small">{dl.event_type}</div>
        <div className="faint small">
          <Time iso={dl.created_at} />
        </div>
      </td>
      <td>
        <span className={`badge ${STATUS_CLASS[dl.status] ?? ""}`}>{dl.status}</span>
        {dl.replays ? <span className="faint small"> ×{dl.replays} replayed</span> : null}
      </td>
      <td className="num">{dl.attempt_count}</td>
      <td className="small muted" style={{ maxWidth: 180, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
        {dl.last_status_code ? `HTTP ${dl.last_status_code}` : (dl.last_error ?? "—")}
        {dl.next_attempt_at ? (
          <div className="faint">
            retry <Time iso={dl.next_attempt_at} />
          </div>
        ) : null}
      </td>
      <td>
        {dl.status === "dead" || dl.status === "succeeded" ? (
          <button
            className="btn btn-xs"
            onClick={(e) => (e.stopPropagation(), onReplay(dl.id))}
            disabled={busy}
            data-testid="replay-button"
          >
            Replay
          </button>
        ) : null}
      </td>
    </tr>
  );
}

function AttemptList({ attempts }: { attempts: Attempt[] }) {
  if (!attempts.length) return <p className="small muted">No attempts yet.</p>;
  return (
    <table className="table" data-testid="attempts">
      <thead>
        <tr>
          <th>#</th>
          <th>When</th>
          <th>Outcome</th>
          <th className="th-num">Latency</th>
          <th>Response</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a) => (
          <tr key={`${a.attempt}-${a.started_at}`}>
            <td>{a.attempt}</td>
            <td className="small nowrap">
              <Time iso={a.started_at} abs />
            </td>
            <td>
              <span className={`badge ${a.outcome === "success" ? "ok" : "bad"}`}>{a.outcome}</span>
            </td>
            <td className="num small">{a.latency_ms != null ? `${a.latency_ms} ms` : "—"}</td>
            <td
              className="small mono"
              style={{ maxWidth: 260, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}
              title={a.error ?? a.response_excerpt ?? ""}
            >
              {a.status_code ? `${a.status_code} ` : ""}
              {a.error ?? a.response_excerpt ?? ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function WebhookForm({ onCancel, onCreated }: { onCancel: () => void; onCreated: (w: Webhook, secret: string) => void }) {
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [types, setTypes] = useState<string[]>(["alert.fired"]);
  const [sev, setSev] = useState<string[]>([]);
  const [entities, setEntities] = useState("");
  const [problems, setProblems] = useState<Problem[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const pErr = (p: string) => problems.find((x) => x.path === p || x.path.startsWith(`${p}.`))?.message;
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblems([]);
    setErr(null);
    try {
      const keys = entities
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      const r = await post<{ webhook: Webhook; secret: string }>("/api/v1/webhooks", {
        url: url.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        event_types: types,
        severities: sev,
        ...(keys.length ? { entity_keys: keys } : {}),
      });
      onCreated(r.webhook, r.secret);
    } catch (e2) {
      if (e2 instanceof ApiError && e2.problems.length) setProblems(e2.problems);
      else setErr(e2);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel title="Add a webhook">
      <form onSubmit={submit} data-testid="webhook-form" noValidate>
        <ErrorNote error={err} />
        <Field
          label="Endpoint URL"
          htmlFor="wh-url"
          error={pErr("url")}
          hint="HTTPS recommended. Private addresses are refused unless the server allows them."
        >
          <input
            id="wh-url"
            name="url"
            type="url"
            className="mono"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            placeholder="https://hooks.example.com/finsentry"
            required
            autoFocus
          />
        </Field>
        <Field label="Description" htmlFor="wh-desc" error={pErr("description")}>
          <input
            id="wh-desc"
            name="description"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            placeholder="Risk desk Slack channel"
          />
        </Field>
        <div className="form-grid">
          <fieldset className="field" style={{ border: 0, padding: 0, margin: "0 0 12px" }}>
            <legend className="small muted" style={{ fontWeight: 550, marginBottom: 4 }}>
              Events (none = all)
            </legend>
            {EVENT_TYPES.map((t) => (
              <label key={t} className="row gap-s small">
                <input type="checkbox" checked={types.includes(t)} onChange={() => setTypes((l) => toggle(l, t))} />{" "}
                <span className="mono">{t}</span>
              </label>
            ))}
          </fieldset>
          <fieldset className="field" style={{ border: 0, padding: 0, margin: "0 0 12px" }}>
            <legend className="small muted" style={{ fontWeight: 550, marginBottom: 4 }}>
              Severities (none = all)
            </legend>
            {["critical", "warning", "info"].map((t) => (
              <label key={t} className="row gap-s small">
                <input type="checkbox" checked={sev.includes(t)} onChange={() => setSev((l) => toggle(l, t))} /> {t}
              </label>
            ))}
          </fieldset>
        </div>
        <Field
          label="Only these entities (optional)"
          htmlFor="wh-ent"
          error={pErr("entity_keys")}
          hint="Entity keys separated by commas, e.g. TICKER:TSLA, ORG:tesla"
        >
          <input id="wh-ent" className="mono" value={entities} onChange={(e) => setEntities(e.target.value)} />
        </Field>
        {problems.filter((p) => !["url", "description"].includes(p.path) && !p.path.startsWith("entity_keys")).length ? (
          <ErrorNote error={{ problems: problems.filter((p) => !["url", "description"].includes(p.path)) }} />
        ) : null}
        <div className="form-actions">
          <button type="button" className="btn btn-ghost" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="webhook-submit">
            {busy ? "Creating…" : "Create webhook"}
          </button>
        </div>
      </form>
    </Panel>
  );
}
