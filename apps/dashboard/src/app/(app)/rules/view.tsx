"use client";

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { api, ApiError, post, type Problem } from "../../../lib/api";
import { entityHref, figureLabel, figureValue } from "../../../lib/format";
import { useApi } from "../../../lib/hooks";
import { Chart, type ChartSeries } from "../../../components/chart";
import { useCanEdit } from "../../../components/shell";
import { EntityKeyText } from "../../../components/entity-registry";
import { Empty, ErrorNote, PageHeader, Panel, Segmented, SeverityBadge, Skeleton, Time, Unavailable } from "../../../components/ui";

interface RuleRow {
  id: string;
  name: string;
  type: string;
  severity: string;
  enabled: boolean;
  description?: string;
  scope?: { entities?: string[]; tickers?: string[]; entity_types?: string[] };
  window?: { size?: string; type?: string };
  version?: number;
  source?: string;
  updated_at?: string;
  updated_by?: string;
  [k: string]: unknown;
}
interface BacktestResult {
  from: string;
  to: string;
  items: number;
  entities: number;
  evaluations: number;
  alerts: {
    alert_id: string;
    entity_key: string;
    severity: string;
    fired_at: string;
    resolved_at: string | null;
    summary: string;
    figures: Record<string, number>;
    updates: number;
  }[];
}

const META = ["version", "source", "created_at", "updated_at", "updated_by"];
const TEMPLATES: Record<string, object> = {
  sentiment_shift: {
    id: "new-shift",
    name: "Sentiment drops sharply",
    type: "sentiment_shift",
    severity: "warning",
    window: { size: "1h" },
    direction: "down",
    std_devs: 3,
    min_samples: 5,
  },
  negative_volume_spike: {
    id: "new-spike",
    name: "Bearish volume spike",
    type: "negative_volume_spike",
    severity: "critical",
    window: { size: "30m" },
    z_score: 4,
    min_bearish: 5,
  },
  sentiment_level: {
    id: "new-level",
    name: "Very negative coverage",
    type: "sentiment_level",
    severity: "warning",
    window: { size: "1h" },
    op: "below",
    threshold: -0.5,
    min_samples: 5,
  },
  watched_topics: {
    id: "new-topics",
    name: "Legal or regulatory news",
    type: "watched_topics",
    severity: "info",
    window: { size: "1h" },
    topics: ["Legal | Regulation"],
    min_count: 1,
  },
  drift: {
    id: "new-drift",
    name: "Sentiment prediction drift",
    type: "drift",
    severity: "warning",
    task: "sentiment",
    window: { size: "1h", step: "5m", baseline_half_life: "3d" },
    measure: "js",
    threshold: 0.25,
    confidence_drop: 0.15,
    min_samples: 200,
    baseline_min_windows: 72,
    for: "15m",
  },
};
const RANGES = { "24h": 86400_000, "7d": 7 * 86400_000, "30d": 30 * 86400_000 } as const;

function scopeText(r: RuleRow): string {
  if (r.type === "drift") return "model output (all items)";
  const s = r.scope;
  if (!s) return "all entities";
  const parts = [...(s.tickers ?? []).map((t) => `$${t}`), ...(s.entities ?? [])];
  const types = s.entity_types?.length ? ` (${s.entity_types.join(", ")})` : "";
  return parts.length ? parts.slice(0, 3).join(", ") + (parts.length > 3 ? ` +${parts.length - 3}` : "") + types : `all entities${types}`;
}

export function RulesView() {
  const list = useApi<{ rules: RuleRow[]; invalid?: { id: string; problems?: Problem[] }[] }>("/api/v1/rules");
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const selected = params.get("id");
  const [draftNew, setDraftNew] = useState<string | null>(null);
  const canEdit = useCanEdit();
  const select = (id: string | null) => router.replace(id ? `${pathname}?id=${encodeURIComponent(id)}` : pathname, { scroll: false });
  const cur = list.data?.rules.find((r) => r.id === selected);

  return (
    <>
      <PageHeader
        title="Rules"
        sub="What turns scored items into warnings. Edit, then backtest against stored history before saving."
        actions={
          <select
            aria-label="New rule"
            value=""
            disabled={!canEdit}
            onChange={(e) => {
              if (!e.target.value) return;
              setDraftNew(JSON.stringify(TEMPLATES[e.target.value], null, 2));
              select(null);
            }}
            style={{ width: "auto" }}
            data-testid="new-rule"
          >
            <option value="">New rule…</option>
            {Object.keys(TEMPLATES).map((t) => (
              <option key={t} value={t}>
                {t.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        }
      />
      <div className="grid grid-split">
        <Panel flush testId="rule-list">
          {list.unavailable ? (
            <Unavailable what="Rules" />
          ) : list.error ? (
            <ErrorNote error={list.error} retry={list.reload} />
          ) : !list.data ? (
            <Skeleton rows={6} />
          ) : list.data.rules.length === 0 ? (
            <Empty title="No rules">Create one from a template.</Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Rule</th>
                  <th>Type</th>
                  <th>Severity</th>
                  <th className="hide-s">Scope</th>
                  <th>On</th>
                </tr>
              </thead>
              <tbody>
                {list.data.rules.map((r) => (
                  <tr
                    key={r.id}
                    className={r.id === selected ? "clickable selected" : "clickable"}
                    onClick={() => (setDraftNew(null), select(r.id))}
                    tabIndex={0}
                    onKeyDown={(e) => e.key === "Enter" && select(r.id)}
                    data-testid="rule-row"
                  >
                    <td>
                      <div style={{ fontWeight: 550 }}>{r.name}</div>
                      <div className="mono small faint">
                        {r.id} · window {r.window?.size ?? "1h"}
                      </div>
                    </td>
                    <td className="small">{r.type.replace(/_/g, " ")}</td>
                    <td>
                      <SeverityBadge severity={r.severity} />
                    </td>
                    <td className="small muted hide-s">{scopeText(r)}</td>
                    <td>{r.enabled ? <span className="badge ok">on</span> : <span className="badge">off</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {list.data?.invalid?.length ? (
            <ErrorNote
              error={{
                message: `${list.data.invalid.length} stored rule(s) no longer validate: ${list.data.invalid.map((i) => i.id).join(", ")}`,
              }}
            />
          ) : null}
        </Panel>
        <div className="stack sticky">
          {draftNew !== null ? (
            <RuleEditor key="new" initial={draftNew} isNew onSaved={(id) => (setDraftNew(null), void list.reload(), select(id))} />
          ) : cur ? (
            <RuleEditor
              key={cur.id + (cur.version ?? "")}
              rule={cur}
              initial={JSON.stringify(Object.fromEntries(Object.entries(cur).filter(([k]) => !META.includes(k))), null, 2)}
              onSaved={() => void list.reload()}
              onDeleted={() => (select(null), void list.reload())}
            />
          ) : (
            <Panel>
              <Empty title="Select a rule">Or start a new one from a template.</Empty>
            </Panel>
          )}
        </div>
      </div>
    </>
  );
}

function RuleEditor({
  rule,
  initial,
  isNew,
  onSaved,
  onDeleted,
}: {
  rule?: RuleRow;
  initial: string;
  isNew?: boolean;
  onSaved: (id: string) => void;
  onDeleted?: () => void;
}) {
  const [text, setText] = useState(initial);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [ok, setOk] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const canEdit = useCanEdit();
  const parsed = useMemo(() => {
    try {
      return { ok: true as const, value: JSON.parse(text) as Record<string, unknown> };
    } catch (e) {
      return { ok: false as const, error: (e as Error).message };
    }
  }, [text]);
  const dirty = text !== initial;

  const save = async () => {
    if (!parsed.ok) return;
    setBusy(true);
    setProblems([]);
    setErr(null);
    setOk(null);
    try {
      const r = isNew
        ? await post<RuleRow>("/api/v1/rules", parsed.value)
        : await api<RuleRow>(`/api/v1/rules/${encodeURIComponent(rule!.id)}`, { method: "PUT", json: parsed.value });
      setOk("Saved");
      onSaved(r.id);
    } catch (e) {
      if (e instanceof ApiError && e.problems.length) setProblems(e.problems);
      else setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const toggle = async () => {
    try {
      await api(`/api/v1/rules/${encodeURIComponent(rule!.id)}`, { method: "PATCH", json: { enabled: !rule!.enabled } });
      onSaved(rule!.id);
    } catch (e) {
      setErr(e);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete rule '${rule!.name}'? Alerts it fired stay.`)) return;
    try {
      await api(`/api/v1/rules/${encodeURIComponent(rule!.id)}`, { method: "DELETE" });
      onDeleted?.();
    } catch (e) {
      setErr(e);
    }
  };

  return (
    <>
      <Panel
        title={isNew ? "New rule" : rule!.name}
        actions={
          !isNew ? (
            <>
              <button className="btn btn-s" onClick={() => void toggle()} disabled={!canEdit}>
                {rule!.enabled ? "Disable" : "Enable"}
              </button>
              <button className="btn btn-danger btn-s" onClick={() => void remove()} disabled={!canEdit}>
                Delete
              </button>
            </>
          ) : null
        }
        testId="rule-editor"
      >
        {!isNew && rule ? (
          <p className="small muted" style={{ marginBottom: 8 }}>
            v{rule.version ?? 1} · {rule.source ?? "api"} · updated <Time iso={rule.updated_at} />{" "}
            {rule.updated_by ? `by ${rule.updated_by}` : ""}
          </p>
        ) : null}
        <ErrorNote error={err} />
        {problems.length ? (
          <div className="note note-error" role="alert">
            <ul style={{ margin: 0, paddingLeft: 16 }}>
              {problems.map((p, i) => (
                <li key={i}>
                  <code>{p.path}</code>: {p.message}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <textarea
          className="json-edit"
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
          aria-label="Rule definition (JSON)"
          readOnly={!canEdit}
        />
        <div className="row gap-s" style={{ marginTop: 8 }}>
          {!parsed.ok ? (
            <span className="small neg">JSON: {parsed.error}</span>
          ) : dirty ? (
            <span className="small faint">Unsaved changes</span>
          ) : ok ? (
            <span className="small pos">{ok}</span>
          ) : null}
          <span className="right row gap-s">
            {dirty ? (
              <button className="btn btn-ghost" onClick={() => setText(initial)}>
                Revert
              </button>
            ) : null}
            <button
              className="btn btn-primary"
              onClick={() => void save()}
              disabled={!parsed.ok || busy || !canEdit || (!dirty && !isNew)}
              data-testid="rule-save"
            >
              {isNew ? "Create rule" : "Save"}
            </button>
          </span>
        </div>
      </Panel>
      <Backtest ruleId={isNew || dirty ? null : (rule?.id ?? null)} draft={parsed.ok ? parsed.value : null} />
    </>
  );
}

function Backtest({ ruleId, draft }: { ruleId: string | null; draft: Record<string, unknown> | null }) {
  const [range, setRange] = useState<keyof typeof RANGES>("7d");
  const [res, setRes] = useState<BacktestResult | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const canEdit = useCanEdit();
  useEffect(() => setRes(null), [ruleId]);

  const run = async () => {
    setBusy(true);
    setErr(null);
    const to = new Date();
    const from = new Date(to.getTime() - RANGES[range]);
    try {
      const body = { from: from.toISOString(), to: to.toISOString() };
      setRes(
        ruleId
          ? await post<BacktestResult>(`/api/v1/rules/${encodeURIComponent(ruleId)}/backtest`, body)
          : await post<BacktestResult>("/api/v1/rules/backtest", { rule: draft, ...body }),
      );
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };

  const chart = useMemo(() => {
    if (!res) return null;
    const from = Date.parse(res.from);
    const to = Date.parse(res.to);
    const n = 48;
    const step = (to - from) / n;
    const x = Array.from({ length: n }, (_, i) => (from + i * step) / 1000);
    const by = (sev: string) => {
      const v = new Array<number>(n).fill(0);
      for (const a of res.alerts)
        if (a.severity === sev) v[Math.min(n - 1, Math.max(0, Math.floor((Date.parse(a.fired_at) - from) / step)))]! += 1;
      return v;
    };
    const series: ChartSeries[] = (
      [
        { label: "critical", values: by("critical"), color: "c-bearish", kind: "bars" },
        { label: "warning", values: by("warning"), color: "c-warn", kind: "bars" },
        { label: "info", values: by("info"), color: "c-sent", kind: "bars" },
      ] satisfies ChartSeries[]
    ).filter((s) => s.values.some((v) => v! > 0));
    return { x, series };
  }, [res]);

  return (
    <Panel
      title="Backtest"
      actions={
        <>
          <Segmented label="Backtest range" value={range} options={Object.keys(RANGES) as (keyof typeof RANGES)[]} onChange={setRange} />
          <button
            className="btn btn-s btn-primary"
            onClick={() => void run()}
            disabled={busy || !canEdit || (!ruleId && !draft)}
            data-testid="backtest-run"
          >
            {busy ? "Running…" : "Run"}
          </button>
        </>
      }
      testId="backtest"
    >
      <ErrorNote error={err} />
      {!res ? (
        <p className="muted small">
          Replays stored items through this {ruleId ? "rule" : "draft"} and shows the alerts it would have fired.
        </p>
      ) : (
        <>
          <div className="stats">
            <div className="stat">
              <div className="stat-label">Would fire</div>
              <div className="stat-value">{res.alerts.length}</div>
            </div>
            <div className="stat">
              <div className="stat-label">Items replayed</div>
              <div className="stat-value">{res.items.toLocaleString()}</div>
            </div>
            <div className="stat">
              <div className="stat-label">Entities</div>
              <div className="stat-value">{res.entities.toLocaleString()}</div>
            </div>
          </div>
          {chart && chart.series.length ? (
            <Chart
              x={chart.x}
              series={chart.series}
              height={140}
              ariaLabel="Alerts the rule would have fired over time"
              testId="backtest-chart"
            />
          ) : (
            <Empty title="No alerts in this range">The rule stays quiet on this history.</Empty>
          )}
          {res.alerts.length ? (
            <div className="table-wrap" style={{ maxHeight: 300, marginTop: 8 }}>
              <table className="table">
                <thead>
                  <tr>
                    <th>Fired</th>
                    <th>Entity</th>
                    <th>Summary</th>
                  </tr>
                </thead>
                <tbody>
                  {res.alerts.slice(0, 200).map((a) => (
                    <tr key={a.alert_id}>
                      <td className="nowrap small">
                        <Time iso={a.fired_at} abs />
                      </td>
                      <td className="mono small">
                        <Link href={entityHref(a.entity_key)}>
                          <EntityKeyText k={a.entity_key} className="" />
                        </Link>
                      </td>
                      <td
                        className="small"
                        title={Object.entries(a.figures)
                          .map(([k, v]) => `${figureLabel(k)} ${figureValue(v)}`)
                          .join(" · ")}
                      >
                        {a.summary}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </>
      )}
    </Panel>
  );
}
