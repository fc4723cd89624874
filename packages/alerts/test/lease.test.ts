import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@finsentry/db";
import { LeadershipLost } from "../src/engine/live.ts";
import { PgLease } from "../src/ha/lease.ts";
import { havePostgres, openTestDb } from "../../../test/support/services.ts";

const opts = (holder: string, ttlMs = 400) => ({ name: "alerter", holder, ttlMs, idleInTransactionMs: 10_000, lockTimeoutMs: 200 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!havePostgres)("alerter lease on Postgres", () => {
  let handle: DbHandle;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ db: handle, drop } = await openTestDb("pg"));
  });
  afterAll(async () => drop?.());

  it("one holder at a time; an expired lease is taken with a new epoch and fences the old holder out", async () => {
    const a = new PgLease(handle.db, opts("a"));
    const b = new PgLease(handle.db, opts("b"));
    const ea = await a.tryAcquire();
    expect(ea).toBe(1);
    expect(await b.tryAcquire()).toBeNull();
    expect(await a.renew(ea!)).toBe(true);
    await handle.db.transaction(async (tx) => a.fence(ea!)(tx));
    await sleep(600);
    const eb = await b.tryAcquire();
    expect(eb).toBe(2);
    expect(await a.renew(ea!)).toBe(false);
    await expect(handle.db.transaction(async (tx) => a.fence(ea!)(tx))).rejects.toBeInstanceOf(LeadershipLost);
    await b.release(eb!);
    expect(await a.tryAcquire()).toBe(3);
  });

  it("a takeover waits for the old leader's open transaction: its commit lands before the successor's term", async () => {
    const a = new PgLease(handle.db, opts("a2", 300));
    const b = new PgLease(handle.db, { ...opts("b2", 300), lockTimeoutMs: 5_000 });
    await handle.exec("delete from leader_leases");
    const ea = (await a.tryAcquire())!;
    let committed = 0;
    const slow = handle.db.transaction(async (tx) => {
      await a.fence(ea)(tx);
      await sleep(1_000); // the lease expires meanwhile
      committed = Date.now();
    });
    await sleep(500);
    const eb = await b.tryAcquire();
    const tookAt = Date.now();
    await slow;
    expect(eb).toBe(ea + 1);
    expect(tookAt).toBeGreaterThanOrEqual(committed);
  });
});
