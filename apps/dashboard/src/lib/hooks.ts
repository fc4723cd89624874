"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError } from "./api";

export interface Resource<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  /** The route is not deployed (404/405/501) — show an empty state, not an error. */
  unavailable: boolean;
  reload: () => Promise<void>;
  setData: (f: (d: T | undefined) => T | undefined) => void;
}

/** Fetches `path` (null = skip), refetching on change and every `refreshMs` while the tab is visible. */
export function useApi<T>(path: string | null, opts: { refreshMs?: number } = {}): Resource<T> {
  const [data, setDataState] = useState<T>();
  const [error, setError] = useState<ApiError | Error>();
  const [loading, setLoading] = useState(path !== null);
  const seq = useRef(0);

  const load = useCallback(
    async (quiet = false) => {
      if (path === null) return;
      const mine = ++seq.current;
      if (!quiet) setLoading(true);
      try {
        const d = await api<T>(path);
        if (mine !== seq.current) return;
        setDataState(d);
        setError(undefined);
      } catch (e) {
        if (mine !== seq.current) return;
        setError(e as Error);
      } finally {
        if (mine === seq.current) setLoading(false);
      }
    },
    [path],
  );

  useEffect(() => {
    setDataState(undefined);
    setError(undefined);
    void load();
  }, [load]);

  useEffect(() => {
    if (!opts.refreshMs || path === null) return;
    const t = setInterval(() => {
      if (document.visibilityState === "visible") void load(true);
    }, opts.refreshMs);
    return () => clearInterval(t);
  }, [load, opts.refreshMs, path]);

  const unavailable = error instanceof ApiError && [404, 405, 501].includes(error.status);
  return { data, error, loading, unavailable, reload: () => load(true), setData: (f) => setDataState((d) => f(d)) };
}

/** A boolean persisted in localStorage. */
export function useStoredFlag(key: string, initial: boolean): [boolean, (v: boolean) => void] {
  const [v, setV] = useState(initial);
  useEffect(() => {
    const s = localStorage.getItem(key);
    if (s !== null) setV(s === "1");
  }, [key]);
  return [
    v,
    (nv: boolean) => {
      setV(nv);
      localStorage.setItem(key, nv ? "1" : "0");
    },
  ];
}

/** Re-renders every `ms` so relative times stay fresh. */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
