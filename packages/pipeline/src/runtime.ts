import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createLogger, loadConfig, redactUrl, type Config, type Logger } from "@finsentry/core";
import { createBus, type Bus } from "@finsentry/bus";
import { openDb, type DbHandle } from "@finsentry/db";
import { TOPICS } from "@finsentry/schemas";

export interface Runtime {
  config: Config;
  log: Logger;
  bus: Bus;
  db: DbHandle;
  close(): Promise<void>;
}

/** Where embedded PGlite keeps its data when DATABASE_URL is unset. */
export const EMBEDDED_DB_DIR = fileURLToPath(new URL("../../../.data/pglite", import.meta.url));

/** Connects a service to its bus and database: real Kafka/Postgres when configured, embedded defaults otherwise. */
export async function createRuntime(service: string, env = process.env): Promise<Runtime> {
  const config = loadConfig(env);
  const log = createLogger(service, config.LOG_LEVEL);
  const bus = createBus({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-${service}`,
    partitions: config.TOPIC_PARTITIONS,
    namespace: config.KAFKA_NAMESPACE,
    log,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
  });
  let dbUrl = config.DATABASE_URL;
  if (!dbUrl) {
    mkdirSync(EMBEDDED_DB_DIR, { recursive: true });
    dbUrl = EMBEDDED_DB_DIR;
  }
  const db = await openDb(dbUrl, {
    onIdleError: (err) => log.warn({ error: err.message }, "idle Postgres connection failed; the pool replaces it"),
  });
  await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: config.TOPIC_PARTITIONS })));
  log.info(
    { bus: config.KAFKA_BROKERS ? config.KAFKA_BROKERS : "in-memory", db: db.kind === "pg" ? redactUrl(dbUrl) : `pglite:${dbUrl}` },
    "runtime ready",
  );
  return {
    config,
    log,
    bus,
    db,
    async close() {
      await bus.close();
      await db.close();
    },
  };
}
