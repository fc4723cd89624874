import { Writable } from "node:stream";
import { createLogger } from "@finsentry/core";
import { MemoryBus } from "@finsentry/bus";
import { items, type DbHandle } from "@finsentry/db";
import { RawItemV1, TOPICS } from "@finsentry/schemas";
import { apiRoutePlugins, buildServer, createApiKey, type BuiltServer } from "../src/index.ts";
import type { FastifyPluginAsync } from "fastify";
import { openTestDb } from "../../../test/support/services.ts";

export type DbKind = "pglite" | "pg";

/** What must never show in an error answer or a log line: secrets, key hashes, SQL. */
export const LEAKS: [string, RegExp][] = [
  ["webhook secret", /whsec_/],
  ["secret_hash column", /secret_hash/i],
  ["secretHash field", /secretHash/],
  ["64-hex hash", /\b[0-9a-f]{64}\b/i],
  ["SQL insert", /insert into/i],
  ["SQL select", /\bselect\s/i],
  ["stack trace", /\n\s+at .*\(.*:\d+:\d+\)/],
];
export const leaksIn = (text: string) => LEAKS.filter(([, re]) => re.test(text)).map(([name]) => name);

export interface Api {
  server: BuiltServer;
  db: DbHandle;
  adminKey: string;
  /** Items the stand-in scorer could not store: an accepted item Postgres cannot hold is a hygiene hole. */
  storeErrors: string[];
  /** Everything the server logged (JSON lines), HTTP logger at `info` so refused requests show too. */
  logs(): string;
  close(): Promise<void>;
}

/** The API server as the api process builds it, over `kind`, logging into a buffer. */
export async function startApi(kind: DbKind, extra: FastifyPluginAsync[] = []): Promise<Api> {
  const { db, drop } = await openTestDb(kind);
  let buf = "";
  const sink = new Writable({
    write(chunk, _enc, done) {
      buf += String(chunk);
      done();
    },
  });
  const prevLevel = process.env.HTTP_LOG_LEVEL;
  process.env.HTTP_LOG_LEVEL = "info";
  const log = createLogger("test", "info", sink);
  const bus = new MemoryBus();
  // Stands in for the scorer: stores every accepted item (without scoring) and commits, as the HTTP push waits for.
  const storeErrors: string[] = [];
  const scorer = await bus.subscribe({
    groupId: "scorer",
    topics: [TOPICS.raw],
    eachBatch: async (batch) => {
      for (const m of batch.messages) {
        const i = RawItemV1.parse(JSON.parse(m.value.toString()));
        const row = {
          id: i.id,
          externalId: i.external_id,
          source: i.source,
          stream: i.stream,
          publishedAt: i.published_at,
          ingestedAt: i.ingested_at,
          text: i.text,
          url: i.url,
          author: i.author,
          lang: i.lang,
          raw: i.raw,
        };
        await db.db
          .insert(items)
          .values(row)
          .onConflictDoNothing()
          .catch((err: Error) => void storeErrors.push(`${i.id}: ${err.message.slice(0, 200)}`));
      }
    },
  });
  // Webhook targets resolve to a public address without DNS; the URL check still runs.
  const webhooks = { resolve: async () => [{ address: "93.184.216.34", family: 4 }], timeoutMs: 200 };
  // The fuzzer sends thousands of requests; the limiter is not what it tests.
  const server = await buildServer({
    db,
    log,
    plugins: [...apiRoutePlugins({ db, bus, log, webhooks }), ...extra],
    auth: { RATE_LIMIT_PER_MINUTE: 1_000_000 },
  });
  if (prevLevel === undefined) delete process.env.HTTP_LOG_LEVEL;
  else process.env.HTTP_LOG_LEVEL = prevLevel;
  await server.app.ready();
  const adminKey = (await createApiKey(db.db, { name: "fuzz-admin", role: "admin", createdBy: "test" })).key;
  return {
    server,
    db,
    adminKey,
    storeErrors,
    logs: () => buf,
    async close() {
      await server.close(1000);
      await scorer.stop();
      await bus.close();
      await drop();
    },
  };
}
