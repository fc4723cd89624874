/** Retry policy shared by the bus adapters for a batch whose handler fails. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Pause before redelivering a failed batch: 200 ms, doubling, at most 5 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(5_000, 200 * 2 ** Math.max(0, attempt - 1));
}

/**
 * A loggable summary of an error: the innermost cause's message and code. Outer wrappers (e.g. drizzle's
 * "Failed query: … params: …") can carry message contents, which must not reach the logs.
 */
export function errorSummary(err: unknown): { error: string; code?: string } {
  let e: unknown = err;
  for (let i = 0; i < 5 && e instanceof Error && e.cause !== undefined; i++) e = e.cause;
  const code = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  return { error: message.slice(0, 300), ...(code ? { code } : {}) };
}
