"use client";

import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import { api, ApiError } from "../../lib/api";
import { ThemeToggle } from "../../components/shell";

export function SignInForm() {
  const params = useSearchParams();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = (() => {
    const n = params.get("next");
    return n && n.startsWith("/") && !n.startsWith("//") && !n.startsWith("/signin") ? n : "/";
  })();

  useEffect(() => {
    // Already signed in: skip the form.
    fetch("/api/v1/auth/me", { credentials: "same-origin" }).then(
      (r) => (r.ok ? window.location.replace(next) : undefined),
      () => undefined,
    );
  }, [next]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("/api/v1/auth/login", { method: "POST", json: { username, password } });
      window.location.assign(next);
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 0;
      setError(
        status === 401
          ? "Wrong username or password."
          : status === 400
            ? "Enter your username and password."
            : status === 429
              ? "Too many attempts — wait a minute and try again."
              : "Could not reach the server. Check your connection and try again.",
      );
      setBusy(false);
    }
  };

  return (
    <form className="signin card" onSubmit={submit} data-testid="signin-form" aria-describedby={error ? "signin-error" : undefined}>
      <div className="signin-brand">
        <span className="brand-mark" aria-hidden />
        <span>finsentry</span>
        <span style={{ marginLeft: "auto" }}>
          <ThemeToggle />
        </span>
      </div>
      <h1>Sign in</h1>
      <p className="muted">Live risk warnings from news and social streams.</p>
      <div className="field">
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
        />
      </div>
      <div className="field">
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </div>
      {error ? (
        <div id="signin-error" className="note note-error" role="alert" data-testid="signin-error">
          {error}
        </div>
      ) : null}
      <button className="btn btn-primary btn-block" type="submit" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
      <p className="muted small">First run? The admin password is printed once in the server&apos;s terminal.</p>
    </form>
  );
}
