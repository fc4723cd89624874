import { describe, it } from "vitest";
import { MemoryBus } from "@finsentry/bus";
import { TOPICS } from "@finsentry/schemas";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";
import { capturingLogger } from "../../../test/support/logs.ts";
import { runPoisonScenario } from "./poison-scenario.ts";

describe.each(dbKinds)("scorer on the memory bus: a poison item never stalls its partition (%s)", (kind) => {
  it("stores the good items, dead-letters the bad one after bounded retries, and moves on", async () => {
    const { log, lines, raw } = capturingLogger();
    const bus = new MemoryBus(3, { log });
    await bus.ensureTopics(Object.values(TOPICS).map((name) => ({ name })));
    const h = await openTestDb(kind);
    try {
      await runPoisonScenario({ bus, db: h.db, log, lines, raw, tag: `mem-${kind}` });
    } finally {
      await bus.close();
      await h.drop();
    }
  });
});
