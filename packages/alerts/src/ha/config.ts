import { z } from "zod";
import { parseEnv } from "@finsentry/core";

/** Alerter high-availability settings (environment, validated at start like the rest of the configuration). */
export const AlerterHaConfig = z
  .object({
    /** A leader silent this long (SIGKILL, partition, long pause) loses the lease to a standby. */
    ALERTER_LEASE_TTL_MS: z.coerce.number().int().min(1_000).max(300_000).default(5_000),
    /** How often the leader extends its lease. */
    ALERTER_LEASE_RENEW_MS: z.coerce.number().int().min(100).max(100_000).default(1_000),
    /** How often a standby tries to take an expired lease. */
    ALERTER_STANDBY_POLL_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  })
  .refine((c) => c.ALERTER_LEASE_RENEW_MS * 2 <= c.ALERTER_LEASE_TTL_MS, {
    message: "ALERTER_LEASE_RENEW_MS must be at most half of ALERTER_LEASE_TTL_MS (a leader must renew at least twice per lease)",
    path: ["ALERTER_LEASE_RENEW_MS"],
  });
export type AlerterHaConfig = z.infer<typeof AlerterHaConfig>;

export function loadAlerterHaConfig(env: Record<string, string | undefined> = process.env): AlerterHaConfig {
  return parseEnv(AlerterHaConfig, env, "alerter configuration");
}
