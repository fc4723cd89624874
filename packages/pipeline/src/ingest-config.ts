import { z } from "zod";
import { parseEnv } from "@finsentry/core";

/** Ingest backpressure and acknowledgement settings, from the environment (validated like the core config). */
export const IngestConfig = z.object({
  /** Items the scorer may be behind on items.raw before HTTP ingest answers 429 and in-memory sources pause. */
  INGEST_MAX_LAG: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  /** In-memory bus: how long an HTTP push waits for its items to be stored before answering 503. */
  INGEST_ACK_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
});
export type IngestConfig = z.infer<typeof IngestConfig>;

export function loadIngestConfig(env: Record<string, string | undefined> = process.env): IngestConfig {
  return parseEnv(IngestConfig, env);
}
