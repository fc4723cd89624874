import { z } from "zod";

/** Process configuration from the environment, validated once at start. */
export const Config = z.object({
  KAFKA_BROKERS: z
    .string()
    .optional()
    .transform((s) =>
      s
        ? s
            .split(",")
            .map((b) => b.trim())
            .filter(Boolean)
        : undefined,
    ),
  KAFKA_CLIENT_ID: z.string().default("finsentry"),
  /** Prefix for topics and consumer groups, so several deployments or test runs can share one cluster. */
  KAFKA_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/)
    .default(""),
  /** Kafka's own bounds for a group member's session (group.min/max.session.timeout.ms defaults). */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(15_000),
  DATABASE_URL: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  /** Services without an HTTP API serve /metrics and /healthz here when set. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  MODEL_DIR: z.string().optional(),
  /** `lexicon`: with no model at MODEL_DIR, score with the regex baseline instead of refusing to start (tests, demos). */
  SCORER_FALLBACK: z.enum(["none", "lexicon"]).default("none"),
  SCORER_BATCH_SIZE: z.coerce.number().int().min(1).max(4096).default(64),
  TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(256).default(3),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});
export type Config = z.infer<typeof Config>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(Config, env);
}

/** Parses environment variables with `schema`; a bad value throws one line naming every variable that is wrong. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>, what = "configuration"): z.infer<S> {
  const r = schema.safeParse(env);
  if (!r.success) throw new Error(`invalid ${what}: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return r.data;
}
