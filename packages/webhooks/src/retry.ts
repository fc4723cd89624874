import { z } from "zod";
import type { HttpOutcome } from "./http-send.ts";

/** Longest wait a receiver's Retry-After can ask for. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

export type Verdict =
  { outcome: "success" } | { outcome: "retry"; reason: string; retryAfterMs?: number } | { outcome: "failed"; reason: string };

/** 2xx succeeds; timeouts, connection errors, 408, 429 and 5xx are retried; other 4xx and 3xx (not followed) are final. */
export function judge(o: HttpOutcome, now: Date): Verdict {
  if (o.kind === "error") return { outcome: "retry", reason: o.error };
  const s = o.status;
  if (s >= 200 && s < 300) return { outcome: "success" };
  if (s === 408 || s === 429 || s >= 500) {
    const retryAfterMs = parseRetryAfter(o.retryAfter, now);
    return { outcome: "retry", reason: `HTTP ${s}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (s >= 300 && s < 400)
    return { outcome: "failed", reason: `HTTP ${s}: redirects are not followed${o.location ? ` (to ${o.location})` : ""}` };
  return { outcome: "failed", reason: `HTTP ${s}` };
}

const Seconds = z.string().trim().regex(/^\d+$/).transform(Number);

/** Retry-After as delay-seconds or an HTTP-date, in ms from `now` (clamped to [0, 24 h]); undefined when absent or garbled. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const secs = Seconds.safeParse(value);
  let ms: number;
  if (secs.success) ms = secs.data * 1000;
  else {
    // HTTP-dates start with a day name; Date.parse alone would also take things like "-5".
    if (!/^[A-Za-z]{3}/.test(value.trim())) return undefined;
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** Delay before retry number `index` (0-based) with ±`jitter` spread, or undefined when the schedule is exhausted. */
export function backoffDelay(schedule: number[], index: number, jitter = 0.2, random: () => number = Math.random): number | undefined {
  const base = schedule[index];
  if (base === undefined) return undefined;
  // Spread retries of many deliveries that failed together so a recovering receiver is not hit in lockstep.
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}
