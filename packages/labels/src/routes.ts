import type { FastifyInstance, FastifyReply } from "fastify";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Bus } from "@finsentry/bus";
import { problem, sendProblem, validationProblem } from "@finsentry/core";
import type { Db } from "@finsentry/db";
import { splitBody } from "@finsentry/ingest";
import { describeIssues, LabelFields, LabelV1, TOPICS, type Label } from "@finsentry/schemas";
import { labelsForItems, LabelError, saveLabel } from "./store.ts";

/** What a caller sends: who and when come from the session/key, never from the body. */
const LabelInput = LabelFields.omit({ v: true, author: true, role: true, created_at: true }).strict();
const LabelsQuery = z.object({ item_id: z.string().regex(/^[0-9a-f]{32}$/) });
const QueueQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(25),
  days: z.coerce.number().min(0.01).max(365).default(7),
});

const bad = (reply: FastifyReply, problems: { path: string; message: string }[]) => sendProblem(reply, validationProblem(problems));

export async function labelRoutes(app: FastifyInstance, deps: { db: Db; bus: Bus }) {
  const { db, bus } = deps;

  // One label (JSON) or many (NDJSON / JSON array), each validated and answered per line.
  app.post(
    "/api/v1/labels",
    {
      config: { minRole: "analyst", summary: "Label items (JSON, JSON array or NDJSON; answered per line)", body: LabelInput, bulk: true },
      bodyLimit: 8 * 1024 * 1024,
    },
    async (req, reply) => {
      const principal = (req as unknown as { principal: { name: string; role: Label["role"] } }).principal;
      const body = typeof req.body === "string" ? req.body : JSON.stringify(req.body ?? "");
      const docs = splitBody(body, req.headers["content-type"]);
      if (docs.length === 0) return bad(reply, [{ path: "(body)", message: "no labels in body" }]);
      const saved: { line: number; id: string }[] = [];
      const errors: { line: number; problems: { path: string; message: string }[] }[] = [];
      const via = req.headers["x-finsentry-client"] === "dashboard" ? "dashboard" : "api";
      for (const d of docs) {
        let json: unknown;
        try {
          json = JSON.parse(d.payload);
        } catch (err) {
          errors.push({ line: d.line, problems: [{ path: "(root)", message: (err as Error).message }] });
          continue;
        }
        const p = LabelInput.safeParse(json);
        const full = p.success
          ? LabelV1.safeParse({ ...p.data, v: 1, author: principal.name, role: principal.role, created_at: new Date().toISOString() })
          : null;
        if (!p.success || !full?.success) {
          errors.push({ line: d.line, problems: describeIssues((p.success ? full!.error : p.error)!) });
          continue;
        }
        try {
          const r = await saveLabel(db, full.data, via);
          saved.push({ line: d.line, id: r.id });
          await bus.send(TOPICS.labels, [{ key: r.item_id ?? r.id, value: JSON.stringify({ ...full.data, id: r.id }) }]);
        } catch (err) {
          if (!(err instanceof LabelError)) throw err;
          errors.push({ line: d.line, problems: [{ path: err.path, message: err.message }] });
        }
      }
      if (saved.length === 0)
        return sendProblem(reply, problem(400, "validation_failed", `no label saved: ${errors.length} rejected`, { saved: 0, errors }));
      return reply.code(201).send({ saved: saved.length, ids: saved.map((s) => s.id), errors });
    },
  );

  app.get(
    "/api/v1/labels",
    { config: { minRole: "viewer", summary: "An item's effective label and label history", query: LabelsQuery } },
    async (req, reply) => {
      const q = LabelsQuery.safeParse(req.query);
      if (!q.success) return bad(reply, describeIssues(q.error));
      const r = (await labelsForItems(db, [q.data.item_id])).get(q.data.item_id);
      return { item_id: q.data.item_id, effective: r?.effective ?? {}, history: r?.history ?? [] };
    },
  );

  // Active learning: the items the model is least sure about, not yet labelled, first.
  app.get(
    "/api/v1/labels/queue",
    { config: { minRole: "viewer", summary: "Unlabelled items the model is least sure about, first", query: QueueQuery } },
    async (req, reply) => {
      const q = QueueQuery.safeParse(req.query);
      if (!q.success) return bad(reply, describeIssues(q.error));
      const rows = await db.execute(sql`
      select i.id, i.text, i.source, i.stream, i.published_at, s.model_version, s.output,
             least(s.confidence, s.topic_confidence) as certainty
        from items i join scores s on s.item_id = i.id
       where i.published_at >= now() - make_interval(secs => ${q.data.days * 86400})
         and not exists (select 1 from labels l where l.item_id = i.id)
       order by least(s.confidence, s.topic_confidence) asc, i.published_at desc
       limit ${q.data.limit}`);
      const list = (Array.isArray(rows) ? rows : (rows as { rows: unknown[] }).rows) as Record<string, unknown>[];
      return { items: list.map((r) => ({ ...r, published_at: new Date(r.published_at as string).toISOString() })) };
    },
  );
}
