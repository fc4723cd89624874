import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { MemoryBus } from "@finsentry/bus";
import { createLogger } from "@finsentry/core";
import { openDb, type DbHandle } from "@finsentry/db";
import { startNotifier } from "../src/notifier.ts";

/** Starts a notifier with a logger writing into a string, stops it, and returns what it logged. */
async function startupLog(db: DbHandle, secretKey: string | undefined): Promise<string> {
  let out = "";
  const sink = new Writable({ write: (chunk, _enc, done) => ((out += String(chunk)), done()) });
  const n = await startNotifier({
    bus: new MemoryBus(),
    db,
    log: createLogger("test", "info", sink),
    consume: false,
    pollMs: 50,
    ...(secretKey ? { secretKey } : {}),
  });
  await n.stop();
  return out;
}

describe("webhook secret storage at start", () => {
  it("warns that secrets are stored in plain text when WEBHOOK_SECRET_KEY is unset, and not when it is set", async () => {
    const saved = process.env.WEBHOOK_SECRET_KEY;
    delete process.env.WEBHOOK_SECRET_KEY;
    const db = await openDb("memory://");
    try {
      expect(await startupLog(db, undefined)).toMatch(/WEBHOOK_SECRET_KEY is not set: webhook signing secrets are stored in plain text/);
      const key = Buffer.alloc(32, 7).toString("base64");
      const withKey = await startupLog(db, key);
      expect(withKey).not.toMatch(/WEBHOOK_SECRET_KEY is not set/);
      expect(withKey).not.toContain(key);
    } finally {
      await db.close();
      if (saved !== undefined) process.env.WEBHOOK_SECRET_KEY = saved;
    }
  });
});
