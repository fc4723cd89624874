import { describe, expect, it } from "vitest";
import { backoffDelay, judge, parseRetryAfter, MAX_RETRY_AFTER_MS } from "../src/retry.ts";
import { excerpt } from "../src/http-send.ts";
import { loadWebhookConfig, DEFAULT_SCHEDULE_MS } from "../src/config.ts";

const now = new Date("2025-06-01T12:00:00Z");
const res = (status: number, retryAfter?: string) => ({
  kind: "response" as const,
  status,
  excerpt: "",
  latencyMs: 1,
  ...(retryAfter ? { retryAfter } : {}),
});

describe("retry policy", () => {
  it("retries timeouts, connection errors, 408, 429 and 5xx; other 4xx and 3xx are final", () => {
    expect(judge(res(200), now).outcome).toBe("success");
    expect(judge(res(204), now).outcome).toBe("success");
    for (const s of [408, 429, 500, 502, 503, 504]) expect(judge(res(s), now).outcome, String(s)).toBe("retry");
    for (const s of [400, 401, 403, 404, 410, 422]) expect(judge(res(s), now).outcome, String(s)).toBe("failed");
    expect(judge({ ...res(301), location: "https://elsewhere.example/" }, now)).toEqual({
      outcome: "failed",
      reason: expect.stringContaining("redirects are not followed"),
    });
    expect(judge({ kind: "error", error: "ECONNREFUSED", timedOut: false, latencyMs: 1 }, now).outcome).toBe("retry");
    expect(judge({ kind: "error", error: "timed out", timedOut: true, latencyMs: 1 }, now).outcome).toBe("retry");
  });

  it("honours Retry-After in seconds or as an HTTP-date", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Sun, 01 Jun 2025 12:01:30 GMT", now)).toBe(90_000);
    expect(parseRetryAfter("Sun, 01 Jun 2025 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("9999999", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(judge(res(429, "7"), now)).toEqual({ outcome: "retry", reason: "HTTP 429", retryAfterMs: 7000 });
    expect(judge(res(503, "Sun, 01 Jun 2025 12:00:10 GMT"), now)).toMatchObject({ retryAfterMs: 10_000 });
  });

  it("backs off along the schedule with bounded jitter and runs out", () => {
    const schedule = [1000, 10_000];
    expect(backoffDelay(schedule, 0, 0)).toBe(1000);
    expect(backoffDelay(schedule, 1, 0.2, () => 0)).toBe(8000);
    expect(backoffDelay(schedule, 1, 0.2, () => 1)).toBe(12_000);
    expect(backoffDelay(schedule, 2, 0.2)).toBeUndefined();
  });

  it("reads its schedule and options from the environment", () => {
    expect(loadWebhookConfig({}).schedule).toEqual(DEFAULT_SCHEDULE_MS);
    expect(DEFAULT_SCHEDULE_MS.reduce((a, b) => a + b, 0)).toBeGreaterThan(3 * 3_600_000);
    const c = loadWebhookConfig({ WEBHOOK_RETRY_SCHEDULE_MS: "5, 30,120", WEBHOOK_ALLOW_PRIVATE: "loopback" });
    expect(c.schedule).toEqual([5, 30, 120]);
    expect(c.allowPrivate).toBe("loopback");
    expect(() => loadWebhookConfig({ WEBHOOK_ALLOW_PRIVATE: "yes" })).toThrow(/WEBHOOK_ALLOW_PRIVATE/);
    expect(() => loadWebhookConfig({ WEBHOOK_SECRET_KEY: "c2hvcnQ=" })).toThrow(/32 bytes/);
  });

  it("keeps response excerpts within 1 KB without splitting a character", () => {
    const s = excerpt(Buffer.from("é".repeat(1000)));
    expect(Buffer.byteLength(s)).toBeLessThanOrEqual(1024);
    expect(s).toBe("é".repeat(512));
    expect(excerpt(Buffer.from("short"))).toBe("short");
  });
});
