import { describe, it } from "vitest";
import { KafkaBus } from "@finsentry/bus";
import { openDb } from "@finsentry/db";
import { TOPICS } from "@finsentry/schemas";
import { createTestDatabase, KAFKA_BROKERS, skipReason, uniqueName } from "../../../test/support/services.ts";
import { capturingLogger } from "../../../test/support/logs.ts";
import { runPoisonScenario } from "./poison-scenario.ts";

const skip = skipReason(["kafka", "postgres"]);

describe.skipIf(!!skip)("scorer on Kafka + Postgres: a poison item never stalls its partition", () => {
  it("stores the good items, dead-letters the bad one after bounded retries, and moves on", async () => {
    const { log, lines, raw } = capturingLogger();
    const bus = new KafkaBus({ brokers: KAFKA_BROKERS!, namespace: `${uniqueName("t")}.`, log });
    await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name, partitions: 3 })));
    const tdb = await createTestDatabase();
    const db = await openDb(tdb.url);
    try {
      await runPoisonScenario({ bus, db, log, lines, raw, tag: "kafka" });
    } finally {
      await bus.close();
      await db.close();
      await tdb.drop();
    }
  }, 120_000);
});
