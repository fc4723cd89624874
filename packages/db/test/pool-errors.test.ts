import pg from "pg";
import { describe, expect, it } from "vitest";
import { openDb } from "../src/index.ts";
import { createTestDatabase, skipReason } from "../../../test/support/services.ts";

const skip = skipReason(["postgres"]);

describe.skipIf(!!skip)("openDb on Postgres: an idle connection that the server ends", () => {
  it("is reported and replaced, not thrown: the process lives on and the next query works", async () => {
    const t = await createTestDatabase();
    const seen: string[] = [];
    const h = await openDb(t.url, { onIdleError: (e) => seen.push(e.message) });
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      const pid = (await h.exec("select pg_backend_pid() as pid")).rows[0]!.pid as number;
      await admin.query("select pg_terminate_backend($1)", [pid]);
      for (let i = 0; i < 100 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([expect.stringMatching(/terminat/)]);
      expect((await h.exec("select 1 as one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await admin.end();
      await h.close();
      await t.drop();
    }
  });
});
