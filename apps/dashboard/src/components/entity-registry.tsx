"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { api, ApiError, post, qs } from "../lib/api";
import { CANONICAL_PREFIX, displayKey, forgetEntityNames, isCanonicalKey, useEntityName } from "../lib/entity-names";
import { alertTitle, entityHref } from "../lib/format";
import { useApi } from "../lib/hooks";
import { useUser } from "./shell";
import { Empty, ErrorNote, Field, Panel, Skeleton, Time } from "./ui";

export interface RegistryEntity {
  id: string;
  key: string;
  kind: "instrument" | "person" | "place";
  name: string;
  ticker: string | null;
  exchange: string | null;
  merged_into: string | null;
  aliases: string[];
}

export interface RegistryChange {
  id: number;
  at: string;
  actor: string;
  action: "add_entity" | "add_alias" | "remove_alias" | "merge" | "split" | "seed";
  entity_ids: string[];
  version: number;
  payload: Record<string, unknown>;
}

export interface RegistryDetail extends RegistryEntity {
  created_at: string;
  updated_at: string;
  merged_ids: string[];
  changes: RegistryChange[];
}

interface WriteAnswer {
  entity: RegistryDetail;
  change: RegistryChange | null;
  registry_version: number;
  rekey: { scanned: number; rekeyed: number; alerts: { moved: number } } | null;
}

const idHref = (id: string) => entityHref(`${CANONICAL_PREFIX}${id}`);

/** An entity key as the UI shows it: a registry entity by its name (the key on hover), a legacy key as it is. */
export function EntityKeyText({ k, legacy = "key", className }: { k: string; legacy?: "key" | "text"; className?: string }) {
  const name = useEntityName(k);
  const canonical = isCanonicalKey(k);
  return (
    <span className={className ?? (canonical ? undefined : "mono")} title={canonical ? k : undefined} data-entity-key={k}>
      {displayKey(k, name, legacy)}
    </span>
  );
}

/** An alert's title with its entity by registry name (alerts fired before the alerter named entities end in the key). */
export function AlertTitle({ alert }: { alert: { title: string; entity_key: string; entity_name?: string | null } }) {
  const name = useEntityName(alert.entity_name ? null : alert.entity_key);
  return <>{alertTitle(alert, name)}</>;
}

/** The surface forms behind a canonical key in some items (an alert's evidence): "via Tesla, Tesla Inc". */
export function ContributedAliases({ k, items }: { k: string; items: string[] }) {
  const r = useApi<{ labels: { key: string; aliases: string[] }[] }>(
    isCanonicalKey(k) && items.length ? `/api/v1/entities/labels${qs({ keys: k, items: items.slice(0, 500).join(",") })}` : null,
  );
  const aliases = r.data?.labels[0]?.aliases ?? [];
  if (!aliases.length) return null;
  return (
    <span className="muted small" data-testid="contributed-aliases">
      via {aliases.map((a) => `“${a}”`).join(", ")}
    </span>
  );
}

function describe(c: RegistryChange): string {
  const p = c.payload;
  const list = (v: unknown) => (Array.isArray(v) ? v.map((a) => `“${String(a)}”`).join(", ") : "");
  switch (c.action) {
    case "seed":
      return `seeded ${String(p.entities ?? "")} entities (${String(p.inserted ?? 0)} new, ${String(p.updated ?? 0)} updated, ${String(p.aliases_added ?? 0)} aliases)`;
    case "add_entity":
      return `added ${String(p.id)} “${String(p.name)}”`;
    case "add_alias":
      return `added alias “${String(p.alias)}” to ${String(p.id)}`;
    case "remove_alias":
      return `removed alias “${String(p.alias)}” from ${String(p.id)}`;
    case "merge":
      return `merged ${String(p.from)} into ${String(p.into)}${list(p.aliases) ? ` (aliases ${list(p.aliases)})` : ""}`;
    case "split":
      return `split ${list(p.aliases)} off ${String(p.from)} into ${String(p.new_id)}${p.revived ? " (restored)" : ""}`;
  }
}

export function ChangeList({ changes }: { changes: RegistryChange[] }) {
  if (!changes.length) return <Empty title="No changes yet" />;
  return (
    <table className="table" data-testid="registry-changes">
      <thead>
        <tr>
          <th>When</th>
          <th>Change</th>
          <th className="hide-s">Who</th>
          <th className="th-num">Version</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.id}>
            <td className="nowrap muted">
              <Time iso={c.at} />
            </td>
            <td>{describe(c)}</td>
            <td className="hide-s muted">{c.actor}</td>
            <td className="num">{c.version}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Admins: a new entity (id, kind, name, ticker, exchange, aliases), opened from the registry panel. */
function AddEntityForm({ onAdded }: { onAdded: () => void }) {
  const [f, setF] = useState({ id: "", kind: "instrument", name: "", ticker: "", exchange: "", aliases: "" });
  const w = useWrite(onAdded);
  const set = (k: keyof typeof f) => (ev: { target: { value: string } }) => setF((p) => ({ ...p, [k]: ev.target.value }));
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const body = {
      id: f.id.trim(),
      kind: f.kind,
      name: f.name.trim(),
      ...(f.ticker.trim() ? { ticker: f.ticker.trim().toUpperCase() } : {}),
      ...(f.exchange.trim() ? { exchange: f.exchange.trim() } : {}),
      aliases: f.aliases
        .split(",")
        .map((a) => a.trim())
        .filter(Boolean),
    };
    const ok = await w.run(
      () => post<WriteAnswer>("/api/v1/entities", body),
      (a) => `Added ${a.entity.name} (${a.entity.key})`,
    );
    if (ok) setF({ id: "", kind: f.kind, name: "", ticker: "", exchange: "", aliases: "" });
  };
  return (
    <form onSubmit={(ev) => void submit(ev)} style={{ padding: "10px 12px" }} data-testid="add-entity-form">
      <ErrorNote error={w.error} />
      {w.note ? (
        <div className="note note-ok" role="status">
          {w.note}
        </div>
      ) : null}
      <div className="form-grid">
        <Field label="Id" htmlFor="new-entity-id" hint="lowercase letters, digits and dashes; its key is E:<id>">
          <input id="new-entity-id" className="mono" value={f.id} onChange={set("id")} placeholder="person-jane-doe" />
        </Field>
        <Field label="Kind" htmlFor="new-entity-kind">
          <select id="new-entity-kind" value={f.kind} onChange={set("kind")}>
            <option value="instrument">instrument</option>
            <option value="person">person</option>
            <option value="place">place</option>
          </select>
        </Field>
        <Field label="Name" htmlFor="new-entity-name">
          <input id="new-entity-name" value={f.name} onChange={set("name")} placeholder="Jane Doe" />
        </Field>
        {f.kind === "instrument" ? (
          <>
            <Field label="Ticker" htmlFor="new-entity-ticker">
              <input id="new-entity-ticker" className="mono" value={f.ticker} onChange={set("ticker")} placeholder="optional" />
            </Field>
            <Field label="Exchange" htmlFor="new-entity-exchange">
              <input id="new-entity-exchange" value={f.exchange} onChange={set("exchange")} placeholder="optional" />
            </Field>
          </>
        ) : null}
        <Field label="Aliases" htmlFor="new-entity-aliases" hint="comma-separated">
          <input id="new-entity-aliases" value={f.aliases} onChange={set("aliases")} placeholder="Jane Doe, J. Doe" />
        </Field>
      </div>
      <div className="form-actions">
        <button className="btn btn-s" type="submit" disabled={w.busy || !f.id.trim() || !f.name.trim()}>
          Add entity
        </button>
      </div>
    </form>
  );
}

/** Search over the registry (name, alias, ticker, id) and its most recent changes; admins can add entities. */
export function RegistrySearch() {
  const [draft, setDraft] = useState("");
  const [q, setQ] = useState("");
  const [adding, setAdding] = useState(false);
  const isAdmin = useUser()?.role === "admin";
  const r = useApi<{ entities: RegistryEntity[] }>(`/api/v1/entities${qs({ q, limit: 25 })}`);
  const changes = useApi<{ changes: RegistryChange[] }>(`/api/v1/entities/changes${qs({ limit: 15 })}`, { refreshMs: 60_000 });
  return (
    <div className="grid grid-2">
      <Panel title="Registry" flush testId="entity-registry">
        <form
          className="row gap-s"
          style={{ padding: "10px 12px" }}
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setQ(draft.trim());
          }}
        >
          <input
            aria-label="Search entities"
            placeholder="Name, alias, ticker or id, e.g. Tesla or TSLA"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            className="grow"
            data-testid="entity-search"
          />
          <button className="btn btn-s" type="submit">
            Search
          </button>
          {isAdmin ? (
            <button className="btn btn-s btn-ghost" type="button" aria-expanded={adding} onClick={() => setAdding((a) => !a)}>
              {adding ? "Close" : "New entity"}
            </button>
          ) : null}
        </form>
        {adding ? (
          <AddEntityForm
            onAdded={() => {
              void r.reload();
              void changes.reload();
            }}
          />
        ) : null}
        {r.unavailable ? (
          <Empty title="The entity registry isn't available on this server" />
        ) : r.error ? (
          <ErrorNote error={r.error} retry={r.reload} />
        ) : !r.data ? (
          <Skeleton rows={5} />
        ) : r.data.entities.length === 0 ? (
          <Empty title={q ? `Nothing matches “${q}”` : "The registry is empty"}>
            {q ? "Try a ticker or another alias." : "Seed it with `finsentry entities seed --tickers <dir>`."}
          </Empty>
        ) : (
          <table className="table" data-testid="entity-results">
            <thead>
              <tr>
                <th>Entity</th>
                <th>Ticker</th>
                <th className="hide-s">Aliases</th>
              </tr>
            </thead>
            <tbody>
              {r.data.entities.map((e) => (
                <tr key={e.id}>
                  <td>
                    <Link href={idHref(e.id)} style={{ fontWeight: 550 }}>
                      {e.name}
                    </Link>{" "}
                    <span className="faint small mono">{e.id}</span>
                  </td>
                  <td className="mono small">
                    {e.ticker ? `${e.ticker}${e.exchange ? ` · ${e.exchange}` : ""}` : <span className="faint">—</span>}
                  </td>
                  <td className="hide-s">
                    <span className="row gap-s wrap">
                      {e.aliases.slice(0, 4).map((a) => (
                        <span key={a} className="chip">
                          {a}
                        </span>
                      ))}
                      {e.aliases.length > 4 ? <span className="faint small">+{e.aliases.length - 4}</span> : null}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      <Panel title="Recent registry changes" flush>
        {changes.unavailable ? null : changes.error ? (
          <ErrorNote error={changes.error} retry={changes.reload} />
        ) : !changes.data ? (
          <Skeleton rows={5} />
        ) : (
          <ChangeList changes={changes.data.changes} />
        )}
      </Panel>
    </div>
  );
}

/** A write form's state: busy flag, the last error and the last outcome line. */
function useWrite(onDone: (a: WriteAnswer) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [note, setNote] = useState<string | null>(null);
  /** Resolves true when the write succeeded (its inputs can be cleared), false when it was refused. */
  const run = async (f: () => Promise<WriteAnswer>, ok: (a: WriteAnswer) => string): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    setNote(null);
    try {
      const a = await f();
      forgetEntityNames();
      setNote(`${ok(a)}${a.rekey ? ` · ${a.rekey.rekeyed} mention${a.rekey.rekeyed === 1 ? "" : "s"} re-keyed` : ""}`);
      onDone(a);
      return true;
    } catch (e) {
      setError(e instanceof ApiError ? e : new Error(String(e)));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, note, run };
}

/** A registry entity: its aliases, what was merged into it, its history, and (for admins) the forms that change it. */
export function RegistryPanel({ id }: { id: string }) {
  const r = useApi<{ entity: RegistryDetail }>(`/api/v1/entities/${encodeURIComponent(id)}`);
  const user = useUser();
  const isAdmin = user?.role === "admin";
  const [alias, setAlias] = useState("");
  const [into, setInto] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const [newId, setNewId] = useState("");
  const [newName, setNewName] = useState("");
  const w = useWrite(() => void r.reload());

  if (r.unavailable && r.error instanceof ApiError && r.error.status === 404)
    return (
      <Panel title="Registry">
        <Empty title={`No registry entity “${id}”`}>It may have been removed from the registry.</Empty>
      </Panel>
    );
  if (r.error) return <ErrorNote error={r.error} retry={r.reload} />;
  if (!r.data)
    return (
      <Panel title="Registry">
        <Skeleton rows={4} />
      </Panel>
    );
  const e = r.data.entity;
  const base = `/api/v1/entities/${encodeURIComponent(e.id)}`;
  const addAlias = async (ev: FormEvent) => {
    ev.preventDefault();
    const text = alias.trim();
    const ok = await w.run(
      () => post<WriteAnswer>(`${base}/aliases`, { alias: text }),
      (a) => (a.change ? `Added “${text}”` : `“${text}” is already an alias`),
    );
    if (ok) setAlias("");
  };
  const removeAlias = (a: string) =>
    void w.run(
      () => api<WriteAnswer>(`${base}/aliases/${encodeURIComponent(a)}`, { method: "DELETE" }),
      () => `Removed “${a}”`,
    );
  const merge = (ev: FormEvent) => {
    ev.preventDefault();
    const typed = into.trim();
    const target = typed.startsWith(CANONICAL_PREFIX) ? typed.slice(CANONICAL_PREFIX.length) : typed;
    if (!window.confirm(`Merge ${e.name} (${e.id}) into ${target}? Its aliases, mentions and alerts move there.`)) return;
    void w.run(
      () => post<WriteAnswer>(`${base}/merge`, { into: target }),
      (a) => {
        window.location.assign(idHref(a.entity.id));
        return `Merged into ${a.entity.name}`;
      },
    );
  };
  const split = async (ev: FormEvent) => {
    ev.preventDefault();
    const ok = await w.run(
      () => post<WriteAnswer>(`${base}/split`, { aliases: picked, new_id: newId.trim(), name: newName.trim() }),
      (a) => `Split ${picked.length} alias${picked.length === 1 ? "" : "es"} into ${a.entity.name} (${a.entity.id})`,
    );
    if (ok) {
      setPicked([]);
      setNewId("");
      setNewName("");
    }
  };

  return (
    <Panel title="Registry" testId="registry-panel">
      {e.merged_into ? (
        <div className="note" role="status">
          <span>
            Merged into <Link href={idHref(e.merged_into)}>{e.merged_into}</Link>: its mentions and alerts are there now.
          </span>
        </div>
      ) : null}
      <dl className="kv">
        <dt>Id</dt>
        <dd className="mono">{e.id}</dd>
        <dt>Kind</dt>
        <dd>{e.kind}</dd>
        {e.ticker ? (
          <>
            <dt>Ticker</dt>
            <dd className="mono">
              {e.ticker}
              {e.exchange ? <span className="faint"> · {e.exchange}</span> : null}
            </dd>
          </>
        ) : null}
        <dt>Aliases</dt>
        <dd>
          <span className="row gap-s wrap" data-testid="entity-aliases">
            {e.aliases.length === 0 ? <span className="faint">none</span> : null}
            {e.aliases.map((a) => (
              <span key={a} className="chip" style={{ maxWidth: "none" }}>
                {a}
                {isAdmin && !e.merged_into ? (
                  <button
                    className="btn btn-ghost btn-xs"
                    style={{ marginLeft: 4, padding: "0 3px" }}
                    aria-label={`Remove alias ${a}`}
                    disabled={w.busy}
                    onClick={() => removeAlias(a)}
                  >
                    ×
                  </button>
                ) : null}
              </span>
            ))}
          </span>
        </dd>
        {e.merged_ids.length ? (
          <>
            <dt>Merged here</dt>
            <dd className="row gap-s wrap" data-testid="merged-ids">
              {e.merged_ids.map((m) => (
                <Link key={m} href={idHref(m)} className="mono small">
                  {m}
                </Link>
              ))}
            </dd>
          </>
        ) : null}
      </dl>
      {isAdmin && !e.merged_into ? (
        <div className="stack" style={{ marginTop: 12 }}>
          <ErrorNote error={w.error} />
          {w.note ? (
            <div className="note note-ok" role="status">
              {w.note}
            </div>
          ) : null}
          <form onSubmit={(ev) => void addAlias(ev)} className="row gap-s" data-testid="add-alias-form">
            <input
              aria-label="New alias"
              placeholder="New alias, e.g. Tesla Motors"
              value={alias}
              onChange={(ev) => setAlias(ev.target.value)}
            />
            <button className="btn btn-s" type="submit" disabled={w.busy || !alias.trim()}>
              Add alias
            </button>
          </form>
          <form onSubmit={merge} className="row gap-s" data-testid="merge-form">
            <input
              aria-label="Merge into entity id"
              placeholder="Merge into (entity id)"
              value={into}
              onChange={(ev) => setInto(ev.target.value)}
            />
            <button className="btn btn-s btn-danger" type="submit" disabled={w.busy || !into.trim()}>
              Merge
            </button>
          </form>
          {e.aliases.length ? (
            <form onSubmit={(ev) => void split(ev)} data-testid="split-form">
              <div className="section-title">Split aliases out into another entity</div>
              <div className="row gap-s wrap" style={{ margin: "6px 0" }}>
                {e.aliases.map((a) => (
                  <label key={a} className="row gap-s small">
                    <input
                      type="checkbox"
                      checked={picked.includes(a)}
                      onChange={(ev) => setPicked((p) => (ev.target.checked ? [...p, a] : p.filter((x) => x !== a)))}
                    />
                    {a}
                  </label>
                ))}
              </div>
              <div className="form-grid">
                <Field label="New id" htmlFor="split-id" hint="lowercase letters, digits and dashes (or an id merged here, to restore it)">
                  <input
                    id="split-id"
                    className="mono"
                    value={newId}
                    onChange={(ev) => setNewId(ev.target.value)}
                    placeholder="tesla-energy"
                  />
                </Field>
                <Field label="Name" htmlFor="split-name">
                  <input id="split-name" value={newName} onChange={(ev) => setNewName(ev.target.value)} placeholder="Tesla Energy" />
                </Field>
              </div>
              <div className="form-actions">
                <button className="btn btn-s" type="submit" disabled={w.busy || !picked.length || !newId.trim() || !newName.trim()}>
                  Split out
                </button>
              </div>
            </form>
          ) : null}
        </div>
      ) : null}
      <div className="section-title" style={{ marginTop: 14 }}>
        History
      </div>
      <ChangeList changes={e.changes} />
    </Panel>
  );
}

/** On a legacy key's page: registry entities that may hold this name now (its mentions may have moved there). */
export function RegistryMatches({ text }: { text: string }) {
  const r = useApi<{ entities: RegistryEntity[] }>(text ? `/api/v1/entities${qs({ q: text, limit: 3 })}` : null);
  const list = r.data?.entities ?? [];
  if (!list.length) return null;
  return (
    <div className="note" role="status" data-testid="registry-matches">
      <span>
        In the registry:{" "}
        {list.map((e, i) => (
          <span key={e.id}>
            {i ? ", " : ""}
            <Link href={idHref(e.id)}>{e.name}</Link>
          </span>
        ))}
        . Resolved mentions are counted there.
      </span>
    </div>
  );
}
