import { z } from "zod";
import { AlertState, ModelOutput, Severity } from "@finsentry/schemas";
import { ValidationProblems } from "./problems.ts";

/**
 * What a route tells the OpenAPI document about itself, next to `minRole` in its `config`. The schemas are the
 * zod schemas its handler validates with, so the document cannot drift from what the server accepts.
 */
export interface RouteDoc {
  summary?: string;
  description?: string;
  /** JSON body; `null` says the route takes none (every POST/PUT/PATCH must say one or the other). */
  body?: z.ZodType | null;
  query?: z.ZodType;
  /** Path parameters; without it each `:name` is documented as a string. */
  params?: z.ZodType;
  /** `body` is one document of a bulk upload: JSON, a JSON array or NDJSON, rejected lines reported per line. */
  bulk?: boolean;
}

export interface DocumentedRoute {
  method: string;
  url: string;
  minRole: "viewer" | "analyst" | "admin" | undefined;
  public: boolean;
  doc: RouteDoc;
}

type Json = Record<string, unknown>;

/** A route's success answer: its status and the zod schema of its JSON body (documented from the output side). */
export interface ResponseDoc {
  status: number;
  body: z.ZodType;
  description?: string;
}

const declaredResponses = new Map<string, ResponseDoc>();

/**
 * Declares the success response bodies of routes, keyed `"GET /api/v1/items"` (method and the route's URL pattern),
 * next to the routes (routes-*.ts call it when they load). A route without one is documented as a generic `2XX`.
 * The schemas are closed objects (`additionalProperties: false`): `packages/server/test/openapi-responses.test.ts`
 * validates real answers against them, so a field added to a handler but not here fails it.
 */
export function declareResponses(table: Record<string, z.ZodType | ResponseDoc>): void {
  for (const [key, v] of Object.entries(table)) declaredResponses.set(key, v instanceof z.ZodType ? { status: 200, body: v } : v);
}

/** Every declared response, for tests (each key must be a served route). */
export const responseDeclarations = (): ReadonlyMap<string, ResponseDoc> => declaredResponses;

const MUTATING = new Set(["POST", "PUT", "PATCH"]);

/** Routes that fail the documentation rules (no summary; a mutation that does not say what body it takes). */
export function undocumentedRoutes(routes: DocumentedRoute[]): string[] {
  return apiRoutes(routes).flatMap((r) => {
    const why = [
      !r.doc.summary ? "no summary" : null,
      MUTATING.has(r.method) && r.doc.body === undefined ? "no body schema (or body: null)" : null,
    ].filter(Boolean);
    return why.length ? [`${r.method} ${r.url}: ${why.join(", ")}`] : [];
  });
}

const apiRoutes = (routes: DocumentedRoute[]) =>
  routes.filter((r) => r.url.startsWith("/api/v1/") && r.method !== "HEAD" && r.method !== "OPTIONS");

/** Fastify `:id` → OpenAPI `{id}`. */
export const openApiPath = (url: string) => url.replace(/:(\w+)/g, "{$1}");

/** The OpenAPI 3.1 document for every /api/v1 route in the table. */
export function openApiDocument(routes: DocumentedRoute[], info: { title: string; version: string }): Json {
  const hoisted: Record<string, Json> = {};
  // Input side of each request schema: defaults are optional for callers, transforms describe what is sent.
  // Responses use the output side: what the server sends.
  const schemaOf = (s: z.ZodType, name: string, io: "input" | "output" = "input"): Json => {
    const js = z.toJSONSchema(s, { io, target: "draft-2020-12", unrepresentable: "any" }) as Json;
    delete js.$schema;
    const defs = js.$defs as Record<string, Json> | undefined;
    if (!defs) return js;
    // A `#/$defs/…` ref inside a schema embedded in the document would resolve against the document root.
    delete js.$defs;
    // Defs may refer to each other too: rewrite the refs in all of them at once.
    let text = JSON.stringify({ root: js, defs });
    for (const k of Object.keys(defs))
      text = text.replaceAll(JSON.stringify(`#/$defs/${k}`), JSON.stringify(`#/components/schemas/${name}_${k}`));
    const out = JSON.parse(text) as { root: Json; defs: Record<string, Json> };
    for (const [k, v] of Object.entries(out.defs)) hoisted[`${name}_${k}`] = v;
    return out.root;
  };
  const paramsOf = (s: z.ZodType | undefined, where: "query" | "path", names: string[] | null, opId: string): Json[] => {
    const js = s ? schemaOf(s, `${opId}_${where}`) : { type: "object", properties: {} };
    const props = (js.properties ?? {}) as Record<string, Json>;
    const required = new Set((js.required ?? []) as string[]);
    return (names ?? Object.keys(props)).map((name) => ({
      name,
      in: where,
      required: where === "path" || required.has(name),
      schema: props[name] ?? { type: "string" },
    }));
  };

  const paths: Record<string, Record<string, Json>> = {};
  for (const r of apiRoutes(routes)) {
    const path = openApiPath(r.url);
    const method = r.method.toLowerCase();
    const opId = `${method}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`;
    const pathNames = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    const parameters = [
      ...paramsOf(r.doc.params, "path", pathNames, opId),
      ...(r.doc.query ? paramsOf(r.doc.query, "query", null, opId) : []),
    ];
    const validates = Boolean(r.doc.body || r.doc.query || r.doc.params);
    const res = declaredResponses.get(`${r.method} ${r.url}`);
    const success: Json = res
      ? {
          [String(res.status)]: {
            description: res.description ?? "Success",
            content: { "application/json": { schema: schemaOf(res.body, `${opId}_response`, "output") } },
          },
        }
      : { "2XX": { description: "Success" } };
    const op: Json = {
      operationId: opId,
      summary: r.doc.summary ?? "",
      ...(r.doc.description ? { description: r.doc.description } : {}),
      tags: [r.url.split("/")[3]!],
      ...(parameters.length ? { parameters } : {}),
      responses: {
        ...success,
        ...(validates || r.doc.bulk
          ? { "400": { $ref: r.doc.bulk ? "#/components/responses/BulkRejected" : "#/components/responses/ValidationFailed" } }
          : {}),
        ...(r.public
          ? {}
          : { "401": { $ref: "#/components/responses/Unauthenticated" }, "403": { $ref: "#/components/responses/Forbidden" } }),
      },
      // Public routes need no credentials; the rest take either an API key or the dashboard's session.
      security: r.public ? [] : [{ apiKey: [] }, { session: [] }],
      ...(r.public ? {} : { "x-min-role": r.minRole ?? "admin" }),
    };
    if (r.doc.body) {
      const one = schemaOf(r.doc.body, `${opId}_body`);
      op.requestBody = {
        required: !r.doc.body.safeParse(undefined).success,
        content: r.doc.bulk
          ? {
              "application/json": { schema: { anyOf: [one, { type: "array", items: one }] } },
              "application/x-ndjson": { schema: { type: "string", description: "one JSON document per line, each as application/json" } },
            }
          : { "application/json": { schema: one } },
      };
    }
    (paths[path] ??= {})[method] = op;
  }

  const problems = schemaOf(ValidationProblems, "ValidationProblems");
  const problemList = (problems.properties as Record<string, Json>).problems!;
  return {
    openapi: "3.1.0",
    info: {
      ...info,
      description: "finsentry REST API. Every route needs the role in `x-min-role` (viewer < analyst < admin), by API key or session.",
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "API key `fsk_…`, created at POST /api/v1/keys" },
        session: { type: "apiKey", in: "cookie", name: "fs_session", description: "dashboard session from POST /api/v1/auth/login" },
      },
      schemas: {
        ...hoisted,
        ValidationProblems: problems,
        BulkRejected: {
          type: "object",
          description: "every document of a bulk upload was rejected; each line with its problems",
          required: ["errors"],
          properties: {
            errors: {
              type: "array",
              items: {
                type: "object",
                required: ["line"],
                properties: { line: { type: "integer" }, reason: { type: "string" }, problems: problemList },
              },
            },
          },
        },
      },
      responses: {
        ValidationFailed: {
          description: "The request does not match the documented schemas",
          content: { "application/json": { schema: { $ref: "#/components/schemas/ValidationProblems" } } },
        },
        BulkRejected: {
          description: "Nothing accepted: the body held no documents, or every line was rejected",
          content: {
            "application/json": {
              schema: { anyOf: [{ $ref: "#/components/schemas/ValidationProblems" }, { $ref: "#/components/schemas/BulkRejected" }] },
            },
          },
        },
        Unauthenticated: { description: "No valid session or API key" },
        Forbidden: { description: "The caller's role is below the route's x-min-role" },
      },
    },
  };
}

// Response bodies of the alerts package's read routes (packages/alerts/src/api/routes.ts: `alertJson`,
// `evidenceItems`), declared here beside the server's own until that package declares them next to its routes.
const Instant = z.iso.datetime();
const AlertJson = z.object({
  id: z.string(),
  rule_id: z.string(),
  rule_version: z.number().int(),
  rule_name: z.string(),
  rule_type: z.string(),
  entity_key: z.string(),
  entity_name: z.string().nullable().describe("the registry name of a canonical key (`E:<id>`); null for legacy keys"),
  severity: Severity,
  state: AlertState,
  title: z.string(),
  summary: z.string(),
  figures: z.record(z.string(), z.number()).describe("the rule's window figures while the condition holds (latest)"),
  fire_figures: z.record(z.string(), z.number()).describe("the window figures when it fired, never updated"),
  evidence_item_ids: z.array(z.string()),
  fired_at: Instant,
  updated_at: Instant,
  acknowledged_at: Instant.nullable(),
  acknowledged_by: z.string().nullable(),
  resolved_at: Instant.nullable(),
  resolved_by: z.string().nullable(),
  resolve_reason: z.string().nullable(),
});
declareResponses({
  "GET /api/v1/alerts": z.object({
    alerts: z.array(AlertJson),
    next_cursor: z.string().nullable().describe("pass as `cursor` for the next page; null on the last page"),
  }),
  "GET /api/v1/alerts/:id": z.object({
    alert: AlertJson,
    events: z.array(
      z.object({
        id: z.string(),
        seq: z.number().int(),
        type: z.enum(["alert.fired", "alert.updated", "alert.acknowledged", "alert.resolved"]),
        state: AlertState,
        actor: z.string().describe("`engine`, or the user or API key that acted"),
        note: z.string().nullable(),
        at: Instant,
      }),
    ),
    evidence: z.object({
      items: z.array(
        z.object({
          id: z.string(),
          published_at: Instant,
          source: z.string(),
          url: z.string().nullable(),
          text: z.string().describe("the item's text, cut at 500 characters"),
          sentiment: ModelOutput.shape.sentiment.shape.label.nullable(),
          score: z.number().nullable(),
          confidence: z.number().nullable(),
          topic: ModelOutput.shape.topic.shape.label.nullable(),
        }),
      ),
      missing: z.array(z.string()).describe("evidence ids no longer stored"),
    }),
  }),
});
