import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { and, asc, desc, eq, inArray, lt, ne, or, sql } from "drizzle-orm";
import { z } from "zod";
import { alertEvents, alerts, items, scores, type Db } from "@finsentry/db";
import type { Bus } from "@finsentry/bus";
import { handleHttpError, problem, ProblemError, sendProblem, validationProblem } from "@finsentry/core";
import { AlertState, Severity, TOPICS, describeIssues, pgText } from "@finsentry/schemas";
import { acknowledgeAlert, entityNamesOf, flushOutbox, resolveAlert, type AlertRow, type ManualResult } from "../engine/alert-store.ts";
import { BacktestRequest, backtestRule } from "../backtest.ts";
import { Rule, RuleValidationError } from "../rules/schema.ts";
import {
  RuleConflictError,
  RuleNotFoundError,
  createRule,
  deleteRule,
  getRule,
  listRules,
  patchRule,
  replaceRule,
  type StoredRule,
} from "../rules/store.ts";
import type { EngineStatus } from "../engine/live.ts";

/** What the routes need from a running engine (optional: the API may run in another process). */
export interface EngineHandle {
  reloadRules(): Promise<boolean>;
  tick?(): Promise<void>;
  status?(): EngineStatus;
}

export interface AlertRoutesDeps {
  db: Db;
  bus: Bus;
  engine?: EngineHandle;
  alertsTopic?: string;
}

const viewer = { minRole: "viewer" } as const;
const analyst = { minRole: "analyst" } as const;

const IdParams = z.strictObject({ id: pgText().min(1).max(200) });
const NoteBody = z.strictObject({ note: pgText().max(2000).optional() }).optional();
const AlertsQuery = z.strictObject({
  state: z.union([AlertState, z.literal("open")]).optional(),
  severity: Severity.optional(),
  entity: pgText().min(1).max(500).optional(),
  rule: pgText().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
// Bounded to real instants (years 1970-9999): a larger number is an Invalid Date, which fails only inside the query.
const Cursor = z.tuple([z.number().int().min(0).max(253_402_300_799_999), pgText().max(200)]);
const InlineBacktest = z.strictObject({ rule: z.unknown(), from: z.string(), to: z.string(), warmup: z.string().optional() });
/** For the docs: PATCH takes any subset of one rule type's fields (merged into the stored rule, then validated whole). */
const RulePatch = z.union(Rule.options.map((o) => z.strictObject(o.shape).partial()));
/** For the docs: the inline body as it is validated in two steps (the rule, then the range). */
const InlineBacktestDoc = z.strictObject({ ...BacktestRequest.shape, rule: Rule });

/** Thrown by handlers: answered as an RFC 9457 problem by the shared error handler. */
const notFound = (what: string) => new ProblemError(problem(404, "not_found", `no such ${what}`));

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new ProblemError(validationProblem(describeIssues(r.error)));
  return r.data;
}

// The server's auth hook sets `principal` (session user or API key owner); "api" only if a route ran without it.
const who = (req: FastifyRequest) => (req as FastifyRequest & { principal?: { name?: string } }).principal?.name ?? "api";

/** A rule as GET returns it can be sent back as is: the read-only fields are dropped before validation. */
function stripMeta(body: unknown): unknown {
  if (!body || typeof body !== "object" || Array.isArray(body)) return body;
  const { version: _v, source: _s, created_at: _c, updated_at: _u, updated_by: _b, ...rule } = body as Record<string, unknown>;
  return rule;
}

const ruleJson = (s: StoredRule) => ({
  ...s.rule,
  version: s.version,
  source: s.source,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
  updated_by: s.updatedBy,
});

/** An alert as the API answers it; `names` (from `entityNamesOf`) gives the registry name of a canonical key. */
export function alertJson(a: AlertRow, names: Map<string, string>) {
  const t = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: a.id,
    rule_id: a.ruleId,
    rule_version: a.ruleVersion,
    rule_name: a.ruleName,
    rule_type: a.ruleType,
    entity_key: a.entityKey,
    entity_name: names.get(a.entityKey) ?? null,
    severity: a.severity,
    state: a.state,
    title: a.title,
    summary: a.summary,
    figures: a.figures,
    fire_figures: a.fireFigures,
    evidence_item_ids: a.evidenceItemIds,
    fired_at: t(a.firedAt),
    updated_at: t(a.updatedAt),
    acknowledged_at: t(a.acknowledgedAt),
    acknowledged_by: a.acknowledgedBy,
    resolved_at: t(a.resolvedAt),
    resolved_by: a.resolvedBy,
    resolve_reason: a.resolveReason,
  };
}

/** Alerts as the API answers them, with their entities' registry names (one lookup for all of them). */
async function namedAlerts(db: Db, rows: AlertRow[]) {
  const names = await entityNamesOf(
    db,
    rows.map((a) => a.entityKey),
  );
  return rows.map((a) => alertJson(a, names));
}

const encodeCursor = (a: AlertRow) => Buffer.from(JSON.stringify([a.firedAt.getTime(), a.id])).toString("base64url");
function decodeCursor(c: string): [number, string] {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(c, "base64url").toString("utf8")));
  } catch {
    throw new ProblemError(validationProblem([{ path: "cursor", message: "invalid cursor" }]));
  }
}

/** Rules CRUD + backtest, alert list/detail, acknowledge/resolve. Register with `app.register(alertRoutes, deps)`. */
export async function alertRoutes(app: FastifyInstance, deps: AlertRoutesDeps): Promise<void> {
  const { db, bus, engine } = deps;
  const topic = deps.alertsTopic ?? TOPICS.alerts;

  app.setErrorHandler((err, req, reply) => {
    // The rule store's errors become problems; everything else (and 5xx, without details) as the server answers it.
    if (err instanceof RuleValidationError) return sendProblem(reply, validationProblem(err.problems));
    if (err instanceof RuleConflictError) return sendProblem(reply, problem(409, "conflict", err.message, { message: err.message }));
    if (err instanceof RuleNotFoundError) return sendProblem(reply, problem(404, "not_found", err.message, { message: err.message }));
    return handleHttpError(err, req, reply);
  });

  /** Rule changes reach an in-process engine at once; a separate alerter picks them up by polling. */
  const rulesChanged = async () => {
    await engine?.reloadRules().catch((err) => app.log.error({ err }, "engine rule reload failed"));
  };

  app.get("/api/v1/rules", { config: { ...viewer, summary: "List rules (and stored ones that no longer validate)" } }, async () => {
    const { stored, invalid } = await listRules(db);
    return { rules: stored.map(ruleJson), invalid };
  });

  app.get("/api/v1/rules/:id", { config: { ...viewer, summary: "One rule", params: IdParams } }, async (req) => {
    const { id } = parse(IdParams, req.params);
    const r = await getRule(db, id);
    if (!r) throw notFound("rule");
    return ruleJson(r);
  });

  app.post("/api/v1/rules", { config: { ...analyst, summary: "Create a rule", body: Rule } }, async (req, reply) => {
    const r = await createRule(db, stripMeta(req.body), who(req));
    await rulesChanged();
    return reply.code(201).send(ruleJson(r));
  });

  app.put(
    "/api/v1/rules/:id",
    { config: { ...analyst, summary: "Replace a rule (the id comes from the path)", params: IdParams, body: Rule } },
    async (req) => {
      const { id } = parse(IdParams, req.params);
      const r = await replaceRule(db, id, stripMeta(req.body), who(req));
      await rulesChanged();
      return ruleJson(r);
    },
  );

  app.patch(
    "/api/v1/rules/:id",
    { config: { ...analyst, summary: "Change some fields of a rule", params: IdParams, body: RulePatch } },
    async (req) => {
      const { id } = parse(IdParams, req.params);
      const r = await patchRule(db, id, stripMeta(req.body), who(req));
      await rulesChanged();
      return ruleJson(r);
    },
  );

  app.delete("/api/v1/rules/:id", { config: { ...analyst, summary: "Delete a rule", params: IdParams } }, async (req, reply) => {
    const { id } = parse(IdParams, req.params);
    if (!(await deleteRule(db, id))) throw notFound("rule");
    await rulesChanged();
    return reply.code(204).send();
  });

  app.post(
    "/api/v1/rules/:id/backtest",
    { config: { ...analyst, summary: "Backtest a stored rule on stored history", params: IdParams, body: BacktestRequest } },
    async (req) => {
      const { id } = parse(IdParams, req.params);
      const body = parse(BacktestRequest, req.body ?? {});
      const r = await getRule(db, id);
      if (!r) throw notFound("rule");
      return backtestRule(db, r.rule, body);
    },
  );

  /** Backtest a rule that is not saved yet: `{ rule, from, to, warmup? }`. */
  app.post(
    "/api/v1/rules/backtest",
    { config: { ...analyst, summary: "Backtest an unsaved rule on stored history", body: InlineBacktestDoc } },
    async (req) => {
      const { rule, ...range } = parse(InlineBacktest, req.body ?? {});
      return backtestRule(db, rule, parse(BacktestRequest, range));
    },
  );

  app.get(
    "/api/v1/alerts",
    { config: { ...viewer, summary: "Alerts, newest first, filtered and paged by cursor", query: AlertsQuery } },
    async (req) => {
      const q = parse(AlertsQuery, req.query);
      const conds = [
        q.state === "open" ? ne(alerts.state, "resolved") : q.state ? eq(alerts.state, q.state) : undefined,
        q.severity ? eq(alerts.severity, q.severity) : undefined,
        q.entity ? eq(alerts.entityKey, q.entity) : undefined,
        q.rule ? eq(alerts.ruleId, q.rule) : undefined,
      ];
      if (q.cursor) {
        const [t, id] = decodeCursor(q.cursor);
        const d = new Date(t);
        conds.push(or(lt(alerts.firedAt, d), and(eq(alerts.firedAt, d), lt(alerts.id, id))));
      }
      const rows = await db
        .select()
        .from(alerts)
        .where(and(...conds))
        .orderBy(desc(alerts.firedAt), desc(alerts.id))
        .limit(q.limit + 1);
      const page = rows.slice(0, q.limit);
      return {
        alerts: await namedAlerts(db, page),
        next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!) : null,
      };
    },
  );

  app.get(
    "/api/v1/alerts/:id",
    { config: { ...viewer, summary: "One alert with its history and evidence items", params: IdParams } },
    async (req) => {
      const { id } = parse(IdParams, req.params);
      const [a] = await db.select().from(alerts).where(eq(alerts.id, id));
      if (!a) throw notFound("alert");
      const events = await db
        .select({
          id: alertEvents.id,
          seq: alertEvents.seq,
          type: alertEvents.type,
          state: alertEvents.state,
          actor: alertEvents.actor,
          note: alertEvents.note,
          at: alertEvents.at,
        })
        .from(alertEvents)
        .where(eq(alertEvents.alertId, id))
        .orderBy(asc(alertEvents.seq));
      return {
        alert: (await namedAlerts(db, [a]))[0],
        events: events.map((e) => ({ ...e, at: e.at.toISOString() })),
        evidence: await evidenceItems(db, a.evidenceItemIds),
      };
    },
  );

  const manual = (action: typeof acknowledgeAlert) => async (req: FastifyRequest, reply: FastifyReply) => {
    const { id } = parse(IdParams, req.params);
    const body = parse(NoteBody, req.body ?? undefined);
    const r: ManualResult = await action(db, id, who(req), body?.note);
    if (r.outcome === "not_found") throw notFound("alert");
    const [alert] = await namedAlerts(db, [r.alert]);
    if (r.outcome === "conflict")
      return sendProblem(reply, problem(409, "conflict", `alert is ${r.alert.state}`, { message: `alert is ${r.alert.state}`, alert }));
    if (r.outcome === "changed") {
      await flushOutbox(db, bus, topic).catch((err) => req.log.warn({ err }, "alert event publish deferred"));
    }
    return { alert, changed: r.outcome === "changed" };
  };
  app.post(
    "/api/v1/alerts/:id/ack",
    { config: { ...analyst, summary: "Acknowledge an alert", params: IdParams, body: NoteBody } },
    manual(acknowledgeAlert),
  );
  app.post(
    "/api/v1/alerts/:id/resolve",
    { config: { ...analyst, summary: "Resolve an alert", params: IdParams, body: NoteBody } },
    manual(resolveAlert),
  );

  if (engine?.status) {
    const status = engine.status.bind(engine);
    app.get("/api/v1/alerter/status", { config: { ...viewer, summary: "The in-process alert engine's state" } }, async () => status());
  }
}

/** The items behind an alert, with their latest score, in evidence order; ids no longer stored are listed as missing. */
async function evidenceItems(db: Db, ids: string[]) {
  if (ids.length === 0) return { items: [], missing: [] };
  const rows = await db
    .select({
      id: items.id,
      publishedMs: sql<number>`(extract(epoch from ${items.publishedAt}) * 1000)::float8`,
      source: items.source,
      url: items.url,
      text: items.text,
      sentiment: scores.sentiment,
      score: scores.sentimentScore,
      confidence: scores.confidence,
      topic: scores.topic,
      scoredAt: scores.scoredAt,
    })
    .from(items)
    .leftJoin(scores, eq(scores.itemId, items.id))
    .where(inArray(items.id, ids))
    .orderBy(asc(items.id), desc(scores.scoredAt));
  const byId = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (!byId.has(r.id)) byId.set(r.id, r);
  const found = ids
    .filter((id) => byId.has(id))
    .map((id) => {
      const r = byId.get(id)!;
      return {
        id,
        published_at: new Date(Number(r.publishedMs)).toISOString(),
        source: r.source,
        url: r.url,
        text: r.text.length > 500 ? `${r.text.slice(0, 500)}…` : r.text,
        sentiment: r.sentiment,
        score: r.score,
        confidence: r.confidence,
        topic: r.topic,
      };
    });
  return { items: found, missing: ids.filter((id) => !byId.has(id)) };
}
