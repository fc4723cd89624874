import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { problem, sendProblem } from "@finsentry/core";
import type { Db } from "@finsentry/db";
import {
  addAlias,
  addEntity,
  changeJson,
  EntityStoreError,
  entityLabels,
  getEntity,
  listChanges,
  mergeEntities,
  rekeyAfter,
  rekeyChanges,
  registryVersion,
  removeAlias,
  searchEntities,
  splitEntity,
  type ChangeResult,
} from "@finsentry/entities";
import { pgText } from "@finsentry/schemas";
import { declareResponses } from "./openapi.ts";
import { validationFailed } from "./problems.ts";

// The entity registry (issue 20): search and read entities, and change them (admin). Every write bumps the registry
// version (scorers reload their resolver) and re-keys the stored mentions and alerts it affects before answering.

const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "a lowercase slug: a-z, 0-9 and '-', at most 64 characters");
const Alias = pgText().trim().min(1).max(200);
const IdParam = z.object({ id: Slug });
const AliasParam = z.object({ id: Slug, alias: Alias });
const SearchQuery = z.object({
  q: pgText().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(20),
});
const ChangesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).optional().describe("a change id: older changes only (paging)"),
  entity: Slug.optional().describe("only changes that touched this entity"),
});
/** Comma-separated in one parameter, or the parameter repeated (for a value that holds a comma). */
const list = (max: number, item: z.ZodType<string, string>) =>
  z
    .union([
      z
        .string()
        .max(20_000)
        .transform((s) => s.split(",")),
      z.array(z.string().max(1000)).max(max),
    ])
    .transform((a) => [...new Set(a.filter(Boolean))])
    .pipe(z.array(item).max(max));
const LabelsQuery = z.object({
  keys: list(200, pgText().min(1).max(300)).describe("entity keys, comma-separated (or the parameter repeated)"),
  items: list(500, pgText().min(1).max(200))
    .optional()
    .describe("item ids, comma-separated: each key's aliases are the mention texts under it in these items"),
});
const Kind = z.enum(["instrument", "person", "place"]);
const NewEntity = z
  .object({
    id: Slug,
    kind: Kind,
    name: pgText().trim().min(1).max(300),
    ticker: pgText().trim().min(1).max(20).optional(),
    exchange: pgText().trim().min(1).max(50).optional(),
    aliases: z.array(Alias).max(500).default([]),
  })
  .strict();
const NewAlias = z.object({ alias: Alias }).strict();
const Merge = z.object({ into: Slug.describe("the entity that absorbs this one") }).strict();
const Split = z
  .object({
    aliases: z.array(Alias).min(1).max(500).describe("aliases of this entity that move to the new one"),
    new_id: Slug,
    name: pgText().trim().min(1).max(300),
  })
  .strict();
const RekeyRequest = z
  .object({
    last: z.number().int().min(1).max(1000).optional().describe("re-key after the latest `last` changes (1 when neither field is given)"),
    since_version: z.number().int().min(0).optional().describe("re-key after every change that produced a registry version above this one"),
  })
  .strict()
  .refine((b) => b.last === undefined || b.since_version === undefined, {
    message: "give last or since_version, not both",
    path: ["since_version"],
  })
  .optional();

// Response bodies, for the OpenAPI document.
const Instant = z.iso.datetime();
const Change = z.object({
  id: z.number().int(),
  at: Instant,
  actor: z.string(),
  action: z.enum(["add_entity", "add_alias", "remove_alias", "merge", "split", "seed"]),
  entity_ids: z.array(z.string()),
  version: z.number().int().describe("the registry version this change produced"),
  payload: z.record(z.string(), z.unknown()),
});
const Summary = z.object({
  id: z.string(),
  key: z.string().describe("`E:<id>`, the key its mentions and alerts carry"),
  kind: Kind,
  name: z.string(),
  ticker: z.string().nullable(),
  exchange: z.string().nullable(),
  merged_into: z.string().nullable().describe("set once merged into another entity"),
  aliases: z.array(z.string()),
});
const Detail = Summary.extend({
  created_at: Instant,
  updated_at: Instant,
  merged_ids: z.array(z.string()).describe("entities merged into this one"),
  changes: z.array(Change).describe("the most recent changes that touched it, newest first"),
});
const RekeyCounts = z.object({
  scanned: z.number().int(),
  rekeyed: z.number().int(),
  movedTo: z.record(z.string(), z.number().int()),
  alerts: z.object({ moved: z.number().int(), duplicates_dropped: z.number().int(), open_duplicates_resolved: z.number().int() }),
  state: z.object({ moved: z.number().int(), duplicates_dropped: z.number().int() }),
});
const Rekey = RekeyCounts.nullable().describe("what re-keying the stored history did; null when the change affected none");
const WriteAnswer = z.object({
  entity: Detail,
  change: Change.nullable().describe("null when the request changed nothing (e.g. an alias the entity already has)"),
  registry_version: z.number().int(),
  rekey: Rekey,
});
declareResponses({
  "GET /api/v1/entities": z.object({ entities: z.array(Summary) }),
  "GET /api/v1/entities/:id": z.object({ entity: Detail }),
  "GET /api/v1/entities/changes": z.object({
    changes: z.array(Change),
    registry_version: z.number().int(),
    next_before: z.number().int().nullable().describe("pass as `before` for older changes; null on the last page"),
  }),
  "GET /api/v1/entities/labels": z.object({
    labels: z.array(
      z.object({
        key: z.string(),
        name: z.string().nullable().describe("registry name of a canonical key; null for legacy keys"),
        entity_id: z.string().nullable(),
        aliases: z.array(z.string()).describe("mention texts under the key in the given items"),
      }),
    ),
  }),
  "POST /api/v1/entities": { status: 201, description: "Added", body: WriteAnswer },
  "POST /api/v1/entities/:id/aliases": WriteAnswer,
  "DELETE /api/v1/entities/:id/aliases/:alias": WriteAnswer,
  "POST /api/v1/entities/:id/merge": WriteAnswer.describe("`entity` is the merge target"),
  "POST /api/v1/entities/:id/split": { status: 201, description: "Split off", body: WriteAnswer.describe("`entity` is the new one") },
  "POST /api/v1/entities/rekey": z.object({
    changes: z.array(Change).describe("the changes whose re-keying was run again, newest first"),
    affected: z.object({
      keys: z.number().int().describe("entity keys whose stored mentions were resolved again"),
      merges: z.array(z.object({ from: z.string(), into: z.string() })).describe("merged keys whose history moved to the target"),
    }),
    registry_version: z.number().int(),
    rekey: RekeyCounts.describe("what this run moved (all zero when history already matched the registry)"),
  }),
});

// The server's auth hook sets `principal` (session user or API key owner).
const who = (req: FastifyRequest) => (req as FastifyRequest & { principal?: { name?: string } }).principal?.name ?? "api";
const admin = (doc: { summary: string; body?: z.ZodType | null; params?: z.ZodType; query?: z.ZodType; description?: string }) => ({
  config: { ...doc, minRole: "admin" as const },
});
const viewer = (doc: { summary: string; params?: z.ZodType; query?: z.ZodType }) => ({ config: { ...doc, minRole: "viewer" as const } });

function storeError(reply: FastifyReply, err: unknown) {
  if (!(err instanceof EntityStoreError)) throw err;
  if (err.code === "validation_failed" && err.issues) return validationFailed(reply, err.issues);
  return sendProblem(reply, problem(err.status, err.code, err.message, err.holder ? { entity_id: err.holder } : {}));
}

export async function entityRegistryRoutes(app: FastifyInstance, deps: { db: Db }) {
  const { db } = deps;

  /** Runs a write, re-keys what it affected and answers with `show`'s entity. */
  const write = async (req: FastifyRequest, reply: FastifyReply, run: () => Promise<ChangeResult>, show: string, status = 200) => {
    let result: ChangeResult;
    try {
      result = await run();
    } catch (err) {
      return storeError(reply, err);
    }
    let rekey;
    try {
      rekey = await rekeyAfter(db, result, who(req));
    } catch (err) {
      // The change is committed (and scorers pick it up); only history lags. Say so, and how to catch it up.
      req.log.error({ err, change: result.change?.id }, "entity registry: re-keying stored history failed after a change");
      return sendProblem(
        reply,
        problem(
          500,
          "rekey_failed",
          "the change was recorded, but re-keying stored history failed: POST /api/v1/entities/rekey runs it again",
          {
            change: result.change ? changeJson(result.change) : null,
            registry_version: await registryVersion(db).catch(() => null),
          },
        ),
      );
    }
    return reply.code(status).send({
      entity: await getEntity(db, show),
      change: result.change ? changeJson(result.change) : null,
      registry_version: await registryVersion(db),
      rekey,
    });
  };

  app.get(
    "/api/v1/entities",
    viewer({ summary: "Search the entity registry by name, alias, ticker or id", query: SearchQuery }),
    async (req, reply) => {
      const q = SearchQuery.safeParse(req.query);
      if (!q.success) return validationFailed(reply, q.error);
      return { entities: await searchEntities(db, { ...(q.data.q ? { q: q.data.q } : {}), limit: q.data.limit }) };
    },
  );

  app.get("/api/v1/entities/changes", viewer({ summary: "Registry changes, newest first", query: ChangesQuery }), async (req, reply) => {
    const q = ChangesQuery.safeParse(req.query);
    if (!q.success) return validationFailed(reply, q.error);
    const changes = await listChanges(db, {
      limit: q.data.limit,
      ...(q.data.before ? { before: q.data.before } : {}),
      ...(q.data.entity ? { entity: q.data.entity } : {}),
    });
    return {
      changes,
      registry_version: await registryVersion(db),
      next_before: changes.length === q.data.limit ? changes[changes.length - 1]!.id : null,
    };
  });

  app.get(
    "/api/v1/entities/labels",
    viewer({ summary: "Display names of entity keys (registry names of `E:<id>` keys) and the aliases behind them", query: LabelsQuery }),
    async (req, reply) => {
      const q = LabelsQuery.safeParse(req.query);
      if (!q.success) return validationFailed(reply, q.error);
      return { labels: await entityLabels(db, q.data.keys, q.data.items ?? []) };
    },
  );

  app.get(
    "/api/v1/entities/:id",
    viewer({ summary: "An entity with its aliases, the entities merged into it and its recent changes", params: IdParam }),
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return validationFailed(reply, p.error);
      try {
        return { entity: await getEntity(db, p.data.id) };
      } catch (err) {
        return storeError(reply, err);
      }
    },
  );

  app.post("/api/v1/entities", admin({ summary: "Add an entity to the registry", body: NewEntity }), async (req, reply) => {
    const b = NewEntity.safeParse(req.body);
    if (!b.success) return validationFailed(reply, b.error);
    const { ticker, exchange, ...rest } = b.data;
    const entity = { ...rest, ...(ticker ? { ticker } : {}), ...(exchange ? { exchange } : {}) };
    return write(req, reply, () => addEntity(db, entity, who(req)), b.data.id, 201);
  });

  app.post(
    "/api/v1/entities/:id/aliases",
    admin({ summary: "Add an alias to an entity (409 when another entity has it)", params: IdParam, body: NewAlias }),
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return validationFailed(reply, p.error);
      const b = NewAlias.safeParse(req.body);
      if (!b.success) return validationFailed(reply, b.error);
      return write(req, reply, () => addAlias(db, p.data.id, b.data.alias, who(req)), p.data.id);
    },
  );

  app.delete(
    "/api/v1/entities/:id/aliases/:alias",
    admin({ summary: "Remove an alias from an entity", params: AliasParam }),
    async (req, reply) => {
      const p = AliasParam.safeParse(req.params);
      if (!p.success) return validationFailed(reply, p.error);
      return write(req, reply, () => removeAlias(db, p.data.id, p.data.alias, who(req)), p.data.id);
    },
  );

  app.post(
    "/api/v1/entities/:id/merge",
    admin({
      summary: "Merge this entity into another: its aliases, mentions and alerts move to the target",
      params: IdParam,
      body: Merge,
    }),
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return validationFailed(reply, p.error);
      const b = Merge.safeParse(req.body);
      if (!b.success) return validationFailed(reply, b.error);
      return write(req, reply, () => mergeEntities(db, p.data.id, b.data.into, who(req)), b.data.into);
    },
  );

  app.post(
    "/api/v1/entities/rekey",
    admin({
      summary: "Re-key stored history again for the latest registry changes (after a re-key that failed; idempotent)",
      description:
        "Every write re-keys the stored mentions, alerts and alert state it affects before it answers; when that fails " +
        "after the change was committed, this runs it again. The keys are worked out from the change records and the " +
        "registry as it is now, and history under them is resolved again with the current registry, so running it " +
        "twice, or after later changes, moves nothing that already matches.",
      body: RekeyRequest,
    }),
    async (req, reply) => {
      const b = RekeyRequest.safeParse(req.body ?? undefined);
      if (!b.success) return validationFailed(reply, b.error);
      const selection = b.data?.since_version !== undefined ? { sinceVersion: b.data.since_version } : { last: b.data?.last ?? 1 };
      const r = await rekeyChanges(db, selection, who(req));
      return {
        changes: r.changes,
        affected: { keys: r.affected.keys.length, merges: r.affected.merges },
        registry_version: await registryVersion(db),
        rekey: r.rekey,
      };
    },
  );

  app.post(
    "/api/v1/entities/:id/split",
    admin({
      summary: "Split aliases off into a new entity (or back into one merged here); their mentions move with them",
      params: IdParam,
      body: Split,
    }),
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return validationFailed(reply, p.error);
      const b = Split.safeParse(req.body);
      if (!b.success) return validationFailed(reply, b.error);
      const input = { aliases: b.data.aliases, newId: b.data.new_id, name: b.data.name };
      return write(req, reply, () => splitEntity(db, p.data.id, input, who(req)), b.data.new_id, 201);
    },
  );
}
