import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entityMentions, items } from "@finsentry/db";
import { mergeEntities, seedRegistry } from "@finsentry/entities";
import { dbKinds } from "../../../test/support/services.ts";
import { createApiKey } from "../src/index.ts";
import { startApi, type Api } from "./harness.ts";

// The entity registry's routes: reads for viewers, writes for admins only, the store's refusals as 4xx problems,
// and each write re-keying the stored mentions it affects before it answers.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers

describe.each(dbKinds)("entity registry API (%s)", (kind) => {
  let api: Api;
  let base: string;
  let viewer: string;
  let analyst: string;

  beforeAll(async () => {
    api = await startApi(kind);
    base = await api.server.listen(0, "127.0.0.1");
    viewer = (await createApiKey(api.db.db, { name: "v", role: "viewer", createdBy: "test" })).key;
    analyst = (await createApiKey(api.db.db, { name: "a", role: "analyst", createdBy: "test" })).key;
    await seedRegistry(
      api.db.db,
      [
        { id: "tsla", kind: "instrument", name: "Tesla", ticker: "TSLA", exchange: "NASDAQ", aliases: ["Tesla"] },
        { id: "tesla-motors", kind: "instrument", name: "Tesla Motors", aliases: ["Tesla Motors"] },
        { id: "aapl", kind: "instrument", name: "Apple", ticker: "AAPL", aliases: ["Apple"] },
      ],
      "seed",
    );
    const at = new Date().toISOString();
    const rows = [
      { item: "n1", text: "Tesla", key: "E:tsla", body: "Tesla recalls cars" },
      { item: "n2", text: "Tesla Motors", key: "E:tesla-motors", body: "Tesla Motors cuts prices" },
      { item: "n3", text: "Teslar", key: "ORG:teslar", body: "Teslar shares slide" },
    ];
    for (const r of rows) {
      await api.db.db.insert(items).values({ id: r.item, source: "wire", stream: "news", publishedAt: at, ingestedAt: at, text: r.body });
      await api.db.db.insert(entityMentions).values({
        itemId: r.item,
        start: 0,
        end: r.text.length,
        entityKey: r.key,
        type: "ORG",
        text: r.text,
        publishedAt: at,
      });
    }
  });
  afterAll(async () => api?.close());

  const call = async (method: string, path: string, json?: unknown, key = api.adminKey) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(json !== undefined ? { "content-type": "application/json" } : {}) },
      body: json !== undefined ? JSON.stringify(json) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
  };
  const mentionKeys = async () =>
    Object.fromEntries(
      (await api.db.exec(`select item_id, entity_key from entity_mentions order by 1`)).rows.map((r) => [r.item_id, r.entity_key]),
    );

  it("searches and shows entities to viewers", async () => {
    const found = await call("GET", "/api/v1/entities?q=tesla", undefined, viewer);
    expect(found.status).toBe(200);
    expect(found.body.entities.map((e: Json) => e.id)).toEqual(["tsla", "tesla-motors"]);
    expect((await call("GET", "/api/v1/entities?q=AAPL", undefined, viewer)).body.entities[0]).toMatchObject({ id: "aapl", key: "E:aapl" });
    const one = await call("GET", "/api/v1/entities/tsla", undefined, viewer);
    expect(one.body.entity).toMatchObject({ id: "tsla", name: "Tesla", ticker: "TSLA", aliases: ["Tesla"], merged_ids: [] });
    expect(one.body.entity.changes[0]).toMatchObject({ action: "seed", actor: "seed", version: 1 });
    expect((await call("GET", "/api/v1/entities/nope", undefined, viewer)).status).toBe(404);
    expect((await call("GET", "/api/v1/entities/Not%20A%20Slug", undefined, viewer)).status).toBe(400);
  });

  it("lets only admins write", async () => {
    for (const key of [viewer, analyst]) {
      expect((await call("POST", "/api/v1/entities", { id: "x", kind: "instrument", name: "X" }, key)).status).toBe(403);
      expect((await call("POST", "/api/v1/entities/tsla/aliases", { alias: "T" }, key)).status).toBe(403);
      expect((await call("DELETE", "/api/v1/entities/tsla/aliases/Tesla", undefined, key)).status).toBe(403);
      expect((await call("POST", "/api/v1/entities/tsla/merge", { into: "aapl" }, key)).status).toBe(403);
      expect((await call("POST", "/api/v1/entities/tsla/split", { aliases: ["Tesla"], new_id: "t2", name: "T" }, key)).status).toBe(403);
    }
    expect((await fetch(`${base}/api/v1/entities`)).status).toBe(401);
  });

  it("adds an alias and re-keys the mentions it names; refuses collisions (409), self-merges (400), unknown ids (404)", async () => {
    const added = await call("POST", "/api/v1/entities/tsla/aliases", { alias: "Teslar" });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.entity.aliases).toEqual(["Tesla", "Teslar"]);
    expect(added.body.change).toMatchObject({ action: "add_alias", actor: "key:fuzz-admin", version: 2 });
    expect(added.body.rekey).toMatchObject({ rekeyed: 1, movedTo: { "E:tsla": 1 } });
    expect(added.body.registry_version).toBe(2);
    expect((await mentionKeys()).n3).toBe("E:tsla");

    const taken = await call("POST", "/api/v1/entities/aapl/aliases", { alias: "tesla" });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ error: "alias_conflict", entity_id: "tsla" });
    expect((await call("POST", "/api/v1/entities/aapl/merge", { into: "aapl" })).body).toMatchObject({
      status: 400,
      error: "merge_into_self",
    });
    expect((await call("POST", "/api/v1/entities/nope/merge", { into: "aapl" })).status).toBe(404);
    expect((await call("POST", "/api/v1/entities/aapl/merge", { into: "nope" })).status).toBe(404);
    expect((await call("DELETE", "/api/v1/entities/aapl/aliases/Tesla")).status).toBe(404);
    const invalid = await call("POST", "/api/v1/entities", { id: "Bad Id", kind: "company", name: "" });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toBe("validation_failed");
    expect(invalid.body.problems.map((p: Json) => p.path).sort()).toEqual(["id", "kind", "name"]);
    expect((await call("POST", "/api/v1/entities/tsla/aliases", { alias: "x", extra: 1 })).status).toBe(400);
    expect((await call("POST", "/api/v1/entities", { id: "aapl", kind: "instrument", name: "Again" })).status).toBe(409);
    expect((await call("GET", "/api/v1/entities/changes")).body.registry_version).toBe(2);
  });

  it("merges, splits back, and lists the changes", async () => {
    const merged = await call("POST", "/api/v1/entities/tesla-motors/merge", { into: "tsla" });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body.entity).toMatchObject({ id: "tsla", merged_ids: ["tesla-motors"] });
    expect(merged.body.entity.aliases).toContain("Tesla Motors");
    expect((await mentionKeys()).n2).toBe("E:tsla");
    expect((await call("GET", "/api/v1/entities/tesla-motors")).body.entity.merged_into).toBe("tsla");
    expect((await call("GET", "/api/v1/entities?q=tesla")).body.entities.map((e: Json) => e.id)).toEqual(["tsla"]);

    const split = await call("POST", "/api/v1/entities/tsla/split", {
      aliases: ["Tesla Motors"],
      new_id: "tesla-motors",
      name: "Tesla Motors",
    });
    expect(split.status, JSON.stringify(split.body)).toBe(201);
    expect(split.body.entity).toMatchObject({ id: "tesla-motors", merged_into: null, aliases: ["Tesla Motors"] });
    expect(await mentionKeys()).toEqual({ n1: "E:tsla", n2: "E:tesla-motors", n3: "E:tsla" });

    const created = await call("POST", "/api/v1/entities", {
      id: "msft",
      kind: "instrument",
      name: "Microsoft",
      ticker: "MSFT",
      aliases: ["Microsoft"],
    });
    expect(created.status).toBe(201);
    const removed = await call("DELETE", "/api/v1/entities/msft/aliases/microsoft");
    expect(removed.status).toBe(200);
    expect(removed.body.entity.aliases).toEqual([]);

    const changes = await call("GET", "/api/v1/entities/changes?limit=3", undefined, viewer);
    expect(changes.body.changes.map((c: Json) => c.action)).toEqual(["remove_alias", "add_entity", "split"]);
    expect(changes.body.next_before).toBe(changes.body.changes[2].id);
    const older = await call("GET", `/api/v1/entities/changes?before=${changes.body.next_before}`, undefined, viewer);
    expect(older.body.changes.map((c: Json) => c.action)).toEqual(["merge", "add_alias", "seed"]);
    expect(older.body.next_before).toBeNull();
    expect((await call("GET", "/api/v1/entities/changes?entity=tesla-motors")).body.changes.map((c: Json) => c.action)).toEqual([
      "split",
      "merge",
      "seed",
    ]);
  });

  it("labels canonical keys with registry names and the aliases behind them", async () => {
    const r = await call("GET", "/api/v1/entities/labels?keys=E:tsla,ORG:acme,E:gone&items=n1,n3", undefined, viewer);
    expect(r.status).toBe(200);
    expect(r.body.labels).toEqual([
      { key: "E:tsla", name: "Tesla", entity_id: "tsla", aliases: ["Tesla", "Teslar"] },
      { key: "ORG:acme", name: null, entity_id: null, aliases: [] },
      { key: "E:gone", name: null, entity_id: null, aliases: [] },
    ]);
    // A key with a comma goes in a repeated parameter.
    const repeated = await call("GET", "/api/v1/entities/labels?keys=ORG:smith,%20jones&keys=E:tsla", undefined, viewer);
    expect(repeated.body.labels.map((l: Json) => l.key)).toEqual(["ORG:smith, jones", "E:tsla"]);
    expect((await call("GET", "/api/v1/entities/labels", undefined, viewer)).status).toBe(400);
    const movers = await call("GET", "/api/v1/entities/top-movers?window=1d&min_mentions=1", undefined, viewer);
    expect(movers.status).toBe(200);
  });

  it("re-runs the re-keying of the latest changes (admin only, idempotent)", async () => {
    // A merge whose re-keying never ran (the process died between the two): history still under the merged key.
    await mergeEntities(api.db.db, "tesla-motors", "tsla", "ops");
    expect((await mentionKeys()).n2).toBe("E:tesla-motors");
    for (const key of [viewer, analyst]) expect((await call("POST", "/api/v1/entities/rekey", {}, key)).status).toBe(403);
    expect((await call("POST", "/api/v1/entities/rekey", { last: 1, since_version: 0 })).status).toBe(400);
    expect((await call("POST", "/api/v1/entities/rekey", { last: 0 })).status).toBe(400);
    expect((await call("POST", "/api/v1/entities/rekey", { extra: true })).status).toBe(400);

    const first = await call("POST", "/api/v1/entities/rekey");
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.changes.map((c: Json) => [c.action, c.actor])).toEqual([["merge", "ops"]]);
    expect(first.body.affected.merges).toEqual([{ from: "E:tesla-motors", into: "E:tsla" }]);
    expect(first.body.rekey).toMatchObject({ rekeyed: 1, movedTo: { "E:tsla": 1 } });
    expect(first.body.registry_version).toBe(first.body.changes[0].version);
    expect(await mentionKeys()).toEqual({ n1: "E:tsla", n2: "E:tsla", n3: "E:tsla" });

    const again = await call("POST", "/api/v1/entities/rekey", { last: 1 });
    expect(again.body.rekey).toMatchObject({ rekeyed: 0, alerts: { moved: 0 } });
    // Every change since the start: the same registry, so nothing moves.
    const all = await call("POST", "/api/v1/entities/rekey", { since_version: 0 });
    expect(all.status).toBe(200);
    expect(all.body.changes.at(-1).action).toBe("seed");
    expect(all.body.rekey.rekeyed).toBe(0);
    expect(await mentionKeys()).toEqual({ n1: "E:tsla", n2: "E:tsla", n3: "E:tsla" });
  });

  it("answers a write whose re-keying failed with 500 rekey_failed and the change; the rekey route then catches up", async () => {
    await api.db.db.insert(items).values({
      id: "n4",
      source: "wire",
      stream: "news",
      publishedAt: new Date().toISOString(),
      ingestedAt: new Date().toISOString(),
      text: "Appel slips",
    });
    await api.db.db.insert(entityMentions).values({
      itemId: "n4",
      start: 0,
      end: 5,
      entityKey: "ORG:appel",
      type: "ORG",
      text: "Appel",
      publishedAt: new Date().toISOString(),
    });
    // Re-keying reads entity_mentions: without it, the write commits and its re-keying fails.
    await api.db.exec(`alter table entity_mentions rename to entity_mentions_away`);
    let failed;
    try {
      failed = await call("POST", "/api/v1/entities/aapl/aliases", { alias: "Appel" });
    } finally {
      await api.db.exec(`alter table entity_mentions_away rename to entity_mentions`);
    }
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ error: "rekey_failed", change: { action: "add_alias", entity_ids: ["aapl"] } });
    expect(failed.body.detail).toContain("POST /api/v1/entities/rekey");
    expect((await call("GET", "/api/v1/entities/aapl")).body.entity.aliases).toContain("Appel");
    expect((await mentionKeys()).n4).toBe("ORG:appel");

    const fixed = await call("POST", "/api/v1/entities/rekey", {});
    expect(fixed.status).toBe(200);
    expect(fixed.body.rekey).toMatchObject({ rekeyed: 1, movedTo: { "E:aapl": 1 } });
    expect((await mentionKeys()).n4).toBe("E:aapl");
  });
});
