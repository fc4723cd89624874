import { connect } from "node:net";
import pg from "pg";

/**
 * Vitest global setup. On a developer machine without Kafka or Postgres, the integration tests skip with a printed
 * reason. Under CI=true a missing or unreachable service fails the whole run here, before any test, with one clear
 * line: a CI that silently skipped them would report green without testing what users run.
 */
export default async function requireServices(): Promise<void> {
  await checkServices(process.env);
}

/** The check itself, on any environment (tests pass their own). */
export async function checkServices(env: Record<string, string | undefined>): Promise<void> {
  if (env.CI !== "true") return;
  const problems: string[] = [];
  const brokers = (env.KAFKA_BROKERS ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) problems.push("KAFKA_BROKERS is not set (start one with `bash infra/kafka/start.sh`)");
  for (const b of brokers) {
    const why = await tcpReachable(b);
    if (why) problems.push(`Kafka broker ${b} is not reachable: ${why}`);
  }
  if (!env.DATABASE_URL || !/^postgres/.test(env.DATABASE_URL)) problems.push("DATABASE_URL is not set to a postgres:// URL");
  else {
    const c = new pg.Client({ connectionString: env.DATABASE_URL, connectionTimeoutMillis: 5000 });
    try {
      await c.connect();
      await c.query("select 1");
    } catch (err) {
      problems.push(`Postgres at DATABASE_URL is not reachable: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  if (problems.length)
    throw new Error(`CI=true needs real Kafka and Postgres, or the integration tests would be skipped: ${problems.join("; ")}`);
}

function tcpReachable(hostPort: string, timeoutMs = 5000): Promise<string | null> {
  const i = hostPort.lastIndexOf(":");
  const host = hostPort.slice(0, i).replace(/^\[|\]$/g, "");
  const port = Number(hostPort.slice(i + 1));
  if (i < 0 || !Number.isInteger(port)) return Promise.resolve("not host:port");
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: timeoutMs });
    s.once("connect", () => (s.destroy(), resolve(null)));
    s.once("timeout", () => (s.destroy(), resolve(`no answer within ${timeoutMs} ms`)));
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}
