import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { checkServices as requireServices } from "./support/require-services.ts";
import { freePort } from "./support/processes.ts";

describe("CI refuses to run without its services", () => {
  it("fails under CI=true with a clear reason when Kafka or Postgres is missing or unreachable", async () => {
    const closed = await freePort();
    await expect(requireServices({ CI: "true", DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test" })).rejects.toThrow(
      /KAFKA_BROKERS is not set/,
    );
    await expect(
      requireServices({ CI: "true", KAFKA_BROKERS: `127.0.0.1:${closed}`, DATABASE_URL: `postgres://postgres@127.0.0.1:${closed}/test` }),
    ).rejects.toThrow(
      new RegExp(`Kafka broker 127\\.0\\.0\\.1:${closed} is not reachable: ECONNREFUSED.*Postgres at DATABASE_URL is not reachable`),
    );
  });

  it("passes when both answer, and never checks outside CI", async () => {
    const listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    const port = (listener.address() as AddressInfo).port;
    try {
      await expect(requireServices({ CI: "false" })).resolves.toBeUndefined();
      // A broker address that accepts connections, and the Postgres CI uses (skipped here without one).
      if (process.env.DATABASE_URL?.startsWith("postgres")) {
        await expect(
          requireServices({ CI: "true", KAFKA_BROKERS: `127.0.0.1:${port}`, DATABASE_URL: process.env.DATABASE_URL }),
        ).resolves.toBeUndefined();
      } else console.warn("require-services: the passing case needs DATABASE_URL (skipped)");
    } finally {
      listener.close();
    }
  });
});
