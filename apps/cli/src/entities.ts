import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { openDb, type DbHandle } from "@finsentry/db";
import { changeJson, DEMO_ENTITIES, EntityStoreError, loadListings, rekeyAfter, registryVersion, seedRegistry } from "@finsentry/entities";

/** Where `npm start` keeps its embedded database (packages/pipeline's EMBEDDED_DB_DIR). */
const EMBEDDED_DB_DIR = fileURLToPath(new URL("../../../.data/pglite", import.meta.url));

/** main.ts's API call: answers the parsed body, or prints the problem and exits 1 on a 4xx/5xx. */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<unknown>;

const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));
const collect = (v: string, prev: string[] = []) => [...prev, v];
const seg = encodeURIComponent;

/**
 * `finsentry entities …`: the entity registry. Reads and changes go through the API like the other commands
 * (FINSENTRY_URL, FINSENTRY_API_KEY; changes need an admin key), so they are authorised, recorded with the key's
 * owner, and re-key stored history exactly as the dashboard's do. `seed` is the one exception: a bulk bootstrap
 * from listing files, run by whoever operates the database (--db, else DATABASE_URL, else DB_PATH, else the embedded
 * database of `npm start`; stop it first: embedded PGlite has one writer).
 */
export function registerEntityCommands(program: Command, call: ApiCall): void {
  const entities = program.command("entities").description("the entity registry (canonical entities, aliases, merges and splits)");

  entities
    .command("search [query]")
    .description("entities whose name, alias, ticker or id matches")
    .option("--limit <n>", "at most this many", "20")
    .action(async (q: string | undefined, o: { limit: string }) => {
      const qs = new URLSearchParams({ limit: String(Math.min(200, Math.max(1, Number(o.limit) || 20))), ...(q ? { q } : {}) });
      print(await call("GET", `/api/v1/entities?${qs}`));
    });

  entities
    .command("show <id>")
    .description("an entity with its aliases, merged ids and recent changes")
    .action(async (id: string) => print(await call("GET", `/api/v1/entities/${seg(id)}`)));

  entities
    .command("changes")
    .description("registry changes, newest first")
    .option("--limit <n>", "at most this many", "50")
    .option("--before <change-id>", "older changes only (paging)")
    .option("--entity <id>", "only changes that touched this entity")
    .action(async (o: { limit: string; before?: string; entity?: string }) => {
      const qs = new URLSearchParams({
        limit: String(Math.min(500, Math.max(1, Number(o.limit) || 50))),
        ...(o.before ? { before: o.before } : {}),
        ...(o.entity ? { entity: o.entity } : {}),
      });
      print(await call("GET", `/api/v1/entities/changes?${qs}`));
    });

  entities
    .command("add <id>")
    .description("add an entity (admin)")
    .requiredOption("--name <name>", "display name")
    .option("--kind <kind>", "instrument | person | place", "instrument")
    .option("--ticker <ticker>")
    .option("--exchange <exchange>")
    .option("--alias <alias>", "an alias (repeat for more)", collect, [])
    .action(async (id: string, o: { name: string; kind: string; ticker?: string; exchange?: string; alias: string[] }) => {
      const body = {
        id,
        kind: o.kind,
        name: o.name,
        ...(o.ticker ? { ticker: o.ticker } : {}),
        ...(o.exchange ? { exchange: o.exchange } : {}),
        aliases: o.alias,
      };
      print(await call("POST", "/api/v1/entities", body));
    });

  entities
    .command("alias <id> <alias>")
    .description("add an alias to an entity (admin; --remove: take it away)")
    .option("--remove", "remove the alias instead")
    .action(async (id: string, alias: string, o: { remove?: boolean }) =>
      print(
        o.remove
          ? await call("DELETE", `/api/v1/entities/${seg(id)}/aliases/${seg(alias)}`)
          : await call("POST", `/api/v1/entities/${seg(id)}/aliases`, { alias }),
      ),
    );

  entities
    .command("merge <from> <into>")
    .description("merge an entity into another (admin): aliases, mentions and alerts move to <into>")
    .action(async (from: string, into: string) => print(await call("POST", `/api/v1/entities/${seg(from)}/merge`, { into })));

  entities
    .command("split <id>")
    .description("move aliases of an entity to a new one, or back to one merged into it (admin)")
    .requiredOption("--new-id <id>", "id of the split-off entity")
    .requiredOption("--name <name>", "its display name")
    .requiredOption("--alias <alias>", "an alias that moves (repeat for more)", collect, [])
    .action(async (id: string, o: { newId: string; name: string; alias: string[] }) =>
      print(await call("POST", `/api/v1/entities/${seg(id)}/split`, { aliases: o.alias, new_id: o.newId, name: o.name })),
    );

  async function withDb(url: string | undefined, fn: (h: DbHandle) => Promise<void>): Promise<void> {
    const target = url ?? process.env.DATABASE_URL ?? process.env.DB_PATH ?? EMBEDDED_DB_DIR;
    if (!/^postgres(ql)?:\/\//.test(target) && !existsSync(target)) {
      console.error(`no database at ${target}: pass --db or set DATABASE_URL (start finsentry once to create the embedded one)`);
      process.exit(1);
    }
    const h = await openDb(target, { poolSize: 2 });
    try {
      await fn(h);
    } catch (err) {
      if (!(err instanceof EntityStoreError)) throw err;
      console.error(`${err.status} ${err.code}: ${err.message}`);
      for (const i of err.issues?.issues ?? []) console.error(`  ${i.path.join(".") || "(input)"}: ${i.message}`);
      process.exitCode = 1;
    } finally {
      await h.close();
    }
  }

  entities
    .command("seed")
    .description("add or update the listed instruments of a tickers directory, or the demo entities (idempotent)")
    .option("--tickers <dir>", "directory of exchange listings")
    .option("--demo", "the demo entities (people, places and the demo's companies)")
    .option("--db <url>", "postgres:// URL or PGlite directory (default DATABASE_URL, DB_PATH, or the embedded database)")
    .action((o: { tickers?: string; demo?: boolean; db?: string }) =>
      withDb(o.db, async (h) => {
        if (!o.tickers && !o.demo) {
          console.error("entities seed: pass --tickers <dir> and/or --demo");
          process.exitCode = 2;
          return;
        }
        const listings = o.tickers ? await loadListings(o.tickers) : null;
        if (listings?.rejected.length)
          console.error(
            `entities seed: ${listings.rejected.length} listing rows rejected, e.g. ${JSON.stringify(listings.rejected.slice(0, 3))}`,
          );
        const list = [...(listings?.entities ?? []), ...(o.demo ? DEMO_ENTITIES : [])];
        const actor = `cli:${userInfo().username}`;
        const r = await seedRegistry(h.db, list, actor);
        const rekey = await rekeyAfter(h.db, r, actor);
        print({ counts: r.counts, change: r.change ? changeJson(r.change) : null, registry_version: await registryVersion(h.db), rekey });
      }),
    );
}
