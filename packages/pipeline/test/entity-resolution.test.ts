import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import type { DbHandle } from "@finsentry/db";
import { dbKinds, openTestDb } from "../../../test/support/services.ts";
import { followRegistry, loadResolutionConfig } from "../src/entity-resolution.ts";

// A scorer seeds ENTITY_LISTINGS_DIR at start: only when the listings changed since the last seed, and it logs which.

const SP = "s-and-p-500-companies/constituents.csv";
const HEADER = "Symbol,Security,GICS Sector,GICS Sub-Industry,Headquarters Location,Date added,CIK,Founded";
const ROWS = ['GLBX,Globex,Industrials,Industrial Conglomerates,"Springfield, Oregon",1999-01-01,1,1950'];

describe.each(dbKinds)("followRegistry seeds the listings only when they changed (%s)", (kind) => {
  let h: DbHandle;
  let drop: () => Promise<void>;
  let dir: string;
  beforeAll(async () => {
    ({ db: h, drop } = await openTestDb(kind));
    dir = await mkdtemp(join(tmpdir(), "finsentry-follow-"));
    await mkdir(join(dir, "s-and-p-500-companies"), { recursive: true });
  });
  afterAll(async () => {
    await drop?.();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts a follower over `rows` as the listings and returns its log lines about the listings. */
  const start = async (rows: string[]) => {
    await writeFile(join(dir, SP), [HEADER, ...rows].join("\n") + "\n");
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const config = loadResolutionConfig({ ENTITY_LISTINGS_DIR: dir, ENTITY_REFRESH_MS: "600000" });
    const f = await followRegistry(h.db, createLogger("scorer-test", "info", sink), { config });
    f.stop();
    return { resolver: f.current()!, logs: lines.filter((l) => String(l.msg).startsWith("entity listings")) };
  };

  it("seeds on the first start", async () => {
    const { resolver, logs } = await start(ROWS);
    expect(logs).toEqual([expect.objectContaining({ msg: "entity listings seeded", dir, entities: 1, inserted: 1, first_seed: true })]);
    expect(resolver.resolve({ type: "TICKER", text: "$GLBX", start: 0, end: 5 }, "$GLBX up").key).toBe("E:glbx");
  });

  it("skips the seeding on the next start when the listings are unchanged, and says so", async () => {
    const { resolver, logs } = await start(ROWS);
    expect(logs).toEqual([
      expect.objectContaining({ msg: "entity listings unchanged since the last seed: seeding skipped", dir, entities: 1 }),
    ]);
    expect(logs[0]).toHaveProperty("seeded_at");
    expect(resolver.resolve({ type: "TICKER", text: "$GLBX", start: 0, end: 5 }, "$GLBX up").key).toBe("E:glbx");
  });

  it("seeds again after the listings changed", async () => {
    const { resolver, logs } = await start([
      ...ROWS,
      'HOOL,Hooli Inc. (Class A),Communication Services,Interactive Media,"Palo Alto, California",2010-01-01,2,1998',
    ]);
    expect(logs).toEqual([expect.objectContaining({ msg: "entity listings seeded", entities: 2, inserted: 1, first_seed: false })]);
    expect(resolver.resolve({ type: "TICKER", text: "$HOOL", start: 0, end: 5 }, "$HOOL up").key).toBe("E:hool");
  });
});
