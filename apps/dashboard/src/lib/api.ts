"use client";

export interface Problem {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    // An RFC 9457 problem (`detail`), or an older `{ error, message }` body.
    readonly body: { error?: string; detail?: string; message?: string; problems?: Problem[] } & Record<string, unknown>,
  ) {
    super(body.detail ?? body.message ?? body.error ?? `HTTP ${status}`);
  }
  get problems(): Problem[] {
    return Array.isArray(this.body.problems) ? this.body.problems : [];
  }
}

/** Sends the browser to sign-in, remembering where it was. */
export function toSignIn() {
  if (typeof window === "undefined" || window.location.pathname.startsWith("/signin")) return;
  const next = window.location.pathname + window.location.search;
  window.location.assign(`/signin?next=${encodeURIComponent(next)}`);
}

/** Same-origin JSON call with the session cookie; a 401 anywhere but sign-in goes to the sign-in page. */
export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, headers, ...rest } = init;
  const res = await fetch(path, {
    credentials: "same-origin",
    ...rest,
    headers: {
      accept: "application/json",
      "x-finsentry-client": "dashboard",
      ...(json !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: json !== undefined ? JSON.stringify(json) : rest.body,
  });
  if (res.status === 401 && !path.startsWith("/api/v1/auth/login")) {
    toSignIn();
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: "bad_response", message: text.slice(0, 200) };
  }
  if (!res.ok) throw new ApiError(res.status, (body ?? { error: `HTTP ${res.status}` }) as ApiError["body"]);
  return body as T;
}

export const post = <T>(path: string, json: unknown = {}) => api<T>(path, { method: "POST", json });

export function qs(params: Record<string, string | number | undefined | null | false>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== false && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}
