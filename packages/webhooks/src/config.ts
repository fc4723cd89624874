import { z } from "zod";
import { parseEnv } from "@finsentry/core";

/** How far the SSRF guard relaxes: `none` (public addresses only), `loopback`, `private` (+ RFC 1918/ULA/CGNAT), `all`. */
export const AllowPrivate = z.enum(["none", "loopback", "private", "all"]);
export type AllowPrivate = z.infer<typeof AllowPrivate>;

/** Default retry delays (ms) after attempt 1, 2, …: ~10.7 h in all, i.e. 9 attempts before dead-letter. */
export const DEFAULT_SCHEDULE_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000];

const msList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean)
      .map(Number),
  )
  .pipe(z.array(z.number().int().min(0)).min(1));

/** Notifier settings from the environment (all optional). */
export const WebhookEnv = z.object({
  WEBHOOK_ALLOW_PRIVATE: AllowPrivate.default("none"),
  /** Comma-separated retry delays in ms. */
  WEBHOOK_RETRY_SCHEDULE_MS: msList.optional(),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** An endpoint failing without a single success for this long is disabled (default 3 days). */
  WEBHOOK_DISABLE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(3 * 24 * 3_600_000),
  /** base64 of 32 bytes: when set, signing secrets are stored AES-256-GCM encrypted. */
  WEBHOOK_SECRET_KEY: z
    .string()
    .refine((s) => Buffer.from(s, "base64").length === 32, { message: "must be base64 of exactly 32 bytes" })
    .optional(),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
});

export interface WebhookConfig {
  allowPrivate: AllowPrivate;
  schedule: number[];
  timeoutMs: number;
  disableAfterMs: number;
  secretKey: string | undefined;
  concurrency: number;
}

export function loadWebhookConfig(env: Record<string, string | undefined> = process.env): WebhookConfig {
  const e = parseEnv(WebhookEnv, env, "webhook configuration");
  return {
    allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    schedule: e.WEBHOOK_RETRY_SCHEDULE_MS ?? DEFAULT_SCHEDULE_MS,
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    disableAfterMs: e.WEBHOOK_DISABLE_AFTER_MS,
    secretKey: e.WEBHOOK_SECRET_KEY,
    concurrency: e.WEBHOOK_CONCURRENCY,
  };
}
