"use client";

import { useEffect, useReducer } from "react";
import { CANONICAL_PREFIX } from "@finsentry/schemas/constants";
import { api } from "./api";
import { entityName } from "./format";

/** Resolved mentions carry the registry's id, `E:<id>`, instead of their surface text (issue 20). */
export { CANONICAL_PREFIX };
export const isCanonicalKey = (key: string) => key.startsWith(CANONICAL_PREFIX);

// Registry names of canonical keys, fetched in batches: every key asked for in one render pass is one request.
const names = new Map<string, string | null>();
const pending = new Set<string>();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setTimeout> | undefined;

async function flush() {
  timer = undefined;
  const keys = [...pending];
  pending.clear();
  for (let i = 0; i < keys.length; i += 100) {
    const chunk = keys.slice(i, i + 100);
    try {
      const r = await api<{ labels: { key: string; name: string | null }[] }>(
        `/api/v1/entities/labels?keys=${encodeURIComponent(chunk.join(","))}`,
      );
      for (const l of r.labels) names.set(l.key, l.name);
    } catch {
      // Shown as the key; asked again after the next registry change.
      for (const k of chunk) names.set(k, null);
    }
  }
  for (const f of listeners) f();
}

function request(key: string) {
  if (names.has(key) || pending.has(key)) return;
  pending.add(key);
  timer ??= setTimeout(() => void flush(), 0);
}

/** After a registry change: names are fetched again. */
export function forgetEntityNames() {
  names.clear();
  for (const f of listeners) f();
}

/** The registry name of a canonical key (null while loading, for an unknown id, and for legacy keys). */
export function useEntityName(key: string | null | undefined): string | null {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const canonical = !!key && isCanonicalKey(key);
  useEffect(() => {
    if (!canonical || !key) return;
    const f = () => {
      if (!names.has(key)) request(key);
      rerender();
    };
    listeners.add(f);
    request(key);
    return () => void listeners.delete(f);
  }, [key, canonical]);
  return canonical && key ? (names.get(key) ?? null) : null;
}

/**
 * How a key reads in the UI: a canonical key as its registry name (its id until that loads); a legacy key as today,
 * in full (`ORG:tesla`) or by its text (`tesla`).
 */
export function displayKey(key: string, name: string | null, legacy: "key" | "text" = "key"): string {
  if (isCanonicalKey(key)) return name ?? key.slice(CANONICAL_PREFIX.length);
  return legacy === "text" ? entityName(key) : key;
}
