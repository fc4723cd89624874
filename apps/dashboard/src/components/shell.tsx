"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { api, post } from "../lib/api";
import { displayKey, useEntityName } from "../lib/entity-names";
import { entityHref, toastTitle } from "../lib/format";
import { useApi, useStoredFlag } from "../lib/hooks";
import type { Alert, AlertEvent, User } from "../lib/types";
import { LiveProvider, useAlertEvents, useLive } from "./live";
import { Icon, type IconName } from "./icons";

const UserContext = createContext<User | null>(null);
export const useUser = () => useContext(UserContext);
/** Analysts and admins may change things; viewers only look. */
export const useCanEdit = () => {
  const u = useUser();
  return u ? u.role !== "viewer" : false;
};

const NAV: { href: string; label: string; icon: IconName; group?: string }[] = [
  { href: "/", label: "Live", icon: "pulse" },
  { href: "/alerts", label: "Alerts", icon: "bell" },
  { href: "/entities", label: "Entities", icon: "entity" },
  { href: "/labels", label: "Labelling", icon: "tag" },
  { href: "/streams", label: "Streams", icon: "stream", group: "Configure" },
  { href: "/rules", label: "Rules", icon: "rule" },
  { href: "/webhooks", label: "Webhooks", icon: "hook" },
  { href: "/models", label: "Models", icon: "model" },
];

export function Shell({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  useEffect(() => {
    api<{ user: User }>("/api/v1/auth/me").then(
      (r) => setUser(r.user),
      () => undefined,
    );
  }, []);
  if (!user) {
    return (
      <div className="boot" aria-busy="true">
        <div className="brand-mark" aria-hidden />
        <span className="muted">Loading finsentry…</span>
      </div>
    );
  }
  return (
    <UserContext.Provider value={user}>
      <LiveProvider>
        <Frame user={user}>{children}</Frame>
      </LiveProvider>
    </UserContext.Provider>
  );
}

function Frame({ user, children }: { user: User; children: ReactNode }) {
  const pathname = usePathname();
  const [navOpen, setNavOpen] = useState(false);
  const open = useApi<{ alerts: Alert[] }>("/api/v1/alerts?state=firing&limit=200", { refreshMs: 60_000 });
  const [firing, setFiring] = useState<number | null>(null);
  useEffect(() => setFiring(open.data ? open.data.alerts.length : null), [open.data]);
  useAlertEvents(() => void open.reload());
  useEffect(() => setNavOpen(false), [pathname]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className={navOpen ? "sidebar open" : "sidebar"} aria-label="Primary">
        <Link href="/" className="brand">
          <span className="brand-mark" aria-hidden />
          <span>finsentry</span>
        </Link>
        <nav>
          {NAV.map((n) => {
            const active = n.href === "/" ? pathname === "/" : pathname.startsWith(n.href);
            return (
              <div key={n.href}>
                {n.group ? <div className="nav-group">{n.group}</div> : null}
                <Link href={n.href} className={active ? "nav-link active" : "nav-link"} aria-current={active ? "page" : undefined}>
                  <Icon name={n.icon} />
                  <span>{n.label}</span>
                  {n.href === "/alerts" && firing ? (
                    <span className="nav-count" data-testid="firing-count" aria-label={`${firing} firing`}>
                      {firing}
                    </span>
                  ) : null}
                </Link>
              </div>
            );
          })}
        </nav>
        <div className="sidebar-foot muted">
          <span>{user.name}</span>
          <span className="badge">{user.role}</span>
        </div>
      </aside>
      <div className="main-col">
        <TopBar user={user} onMenu={() => setNavOpen((v) => !v)} />
        <main id="main" className="main" tabIndex={-1}>
          {children}
        </main>
      </div>
      <Toasts />
    </div>
  );
}

function TopBar({ user, onMenu }: { user: User; onMenu: () => void }) {
  const live = useLive();
  const router = useRouter();
  const [q, setQ] = useState("");
  const search = useRef<HTMLInputElement>(null);
  const [sound, setSound] = useStoredFlag("finsentry.sound", false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key === "/" && !["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName) && !t.isContentEditable) {
        e.preventDefault();
        search.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const go = (e: React.FormEvent) => {
    e.preventDefault();
    const v = q.trim();
    if (!v) return;
    const key = v.includes(":")
      ? v
      : /^\$?[A-Za-z][A-Za-z0-9.]{0,9}$/.test(v) && v === v.toUpperCase()
        ? `TICKER:${v.replace(/^\$/, "")}`
        : `ORG:${v.toLowerCase()}`;
    router.push(entityHref(key));
    setQ("");
    search.current?.blur();
  };

  return (
    <header className="topbar">
      <button className="btn btn-icon menu-btn" onClick={onMenu} aria-label="Menu">
        <Icon name="menu" />
      </button>
      <form onSubmit={go} className="search" role="search">
        <Icon name="search" />
        <input
          ref={search}
          value={q}
          onChange={(e) => setQ(e.target.value)}
          placeholder="Go to entity — TSLA, ORG:tesla"
          aria-label="Go to entity"
        />
        <kbd className="kbd">/</kbd>
      </form>
      <div className="topbar-right">
        <span
          className={`live-pill ${live.status}`}
          data-testid="live-status"
          title={
            live.status === "live" ? "Receiving live updates" : live.status === "connecting" ? "Connecting…" : "Disconnected — retrying"
          }
        >
          <span className="dot" aria-hidden />
          {live.status === "live" ? "Live" : live.status === "connecting" ? "Connecting" : "Offline"}
        </span>
        <button
          className="btn btn-icon"
          aria-pressed={sound}
          onClick={() => setSound(!sound)}
          title={sound ? "Alert sound on" : "Alert sound off"}
          aria-label="Alert sound"
          data-testid="sound-toggle"
        >
          <Icon name={sound ? "sound" : "mute"} />
        </button>
        <ThemeToggle />
        <button
          className="btn btn-ghost btn-s"
          onClick={async () => {
            await post("/api/v1/auth/logout").catch(() => undefined);
            window.location.assign("/signin");
          }}
          title={`Signed in as ${user.name} (${user.role})`}
        >
          Sign out
        </button>
      </div>
    </header>
  );
}

export function ThemeToggle() {
  const [theme, setTheme] = useState<"light" | "dark" | null>(null);
  useEffect(() => {
    setTheme(document.documentElement.dataset.theme === "light" ? "light" : "dark");
  }, []);
  const flip = () => {
    const next = theme === "light" ? "dark" : "light";
    document.documentElement.dataset.theme = next;
    localStorage.setItem("finsentry.theme", next);
    setTheme(next);
  };
  return (
    <button
      className="btn btn-icon"
      onClick={flip}
      aria-label={`Switch to ${theme === "light" ? "dark" : "light"} theme`}
      title="Toggle theme"
      data-testid="theme-toggle"
    >
      <Icon name={theme === "light" ? "moon" : "sun"} />
    </button>
  );
}

interface Toast {
  id: string;
  ev: AlertEvent;
}

function beep(severity: string) {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext: typeof AudioContext }).webkitAudioContext;
    const ctx = new Ctx();
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = severity === "critical" ? 880 : 660;
    g.gain.setValueAtTime(0.0001, ctx.currentTime);
    g.gain.exponentialRampToValueAtTime(0.15, ctx.currentTime + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.35);
    o.connect(g).connect(ctx.destination);
    o.start();
    o.stop(ctx.currentTime + 0.4);
    o.onended = () => void ctx.close();
  } catch {
    /* no audio */
  }
}

/** A toast's entity: a registry entity by its name (the key on hover), a legacy key as it is. */
function ToastEntity({ k, name: given }: { k: string; name?: string | undefined }) {
  const name = useEntityName(given ? null : k);
  return (
    <span className="muted" title={k}>
      {displayKey(k, given ?? name)}
    </span>
  );
}

/** The entity is in the line above: "Rule name: Northwind Motors" (or "…: E:nwm", "…: ORG:x") would say it twice. */
function ToastTitle({ alert }: { alert: AlertEvent["alert"] }) {
  const name = useEntityName(alert.entity_name ? null : alert.entity_key);
  return <>{toastTitle(alert, name)}</>;
}

/** New warnings as toasts, top right; critical ones stay until dismissed. */
function Toasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const router = useRouter();
  const dismiss = useCallback((id: string) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  useAlertEvents((ev) => {
    if (ev.type !== "alert.fired") return;
    setToasts((t) => [{ id: ev.event_id, ev }, ...t.filter((x) => x.ev.alert.id !== ev.alert.id)].slice(0, 5));
    if (localStorage.getItem("finsentry.sound") === "1") beep(ev.alert.severity);
    if (ev.alert.severity !== "critical") setTimeout(() => dismiss(ev.event_id), 10_000);
  });
  return (
    <div className="toasts" aria-live="polite" aria-relevant="additions">
      {toasts.map(({ id, ev }) => (
        <div
          key={id}
          className={`toast sev-${ev.alert.severity}`}
          data-testid="warning-toast"
          role={ev.alert.severity === "critical" ? "alert" : "status"}
        >
          <button className="toast-body" onClick={() => (dismiss(id), router.push(`/alerts?id=${encodeURIComponent(ev.alert.id)}`))}>
            <span className="toast-meta">
              <span className={`badge sev-${ev.alert.severity}`}>{ev.alert.severity}</span>
              <ToastEntity k={ev.alert.entity_key} name={ev.alert.entity_name} />
            </span>
            <span className="toast-title">
              <ToastTitle alert={ev.alert} />
            </span>
            <span className="toast-summary muted">{ev.alert.summary}</span>
          </button>
          <button className="btn btn-icon btn-xs toast-x" aria-label="Dismiss" onClick={() => dismiss(id)}>
            <Icon name="x" />
          </button>
        </div>
      ))}
    </div>
  );
}
