import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ingestDocument, splitBody } from "@finsentry/ingest";
import { IngestBusyError, StreamSpec, type IngestWriter, type StreamRegistry, type StreamSupervisor } from "@finsentry/pipeline";
import { problem, sendProblem } from "@finsentry/core";
import { declareResponses } from "./openapi.ts";
import { validationFailed } from "./problems.ts";

export interface StreamRouteDeps {
  registry: StreamRegistry;
  writer: IngestWriter;
  /** Present when this process also runs ingest: a new stream starts at once instead of at the next poll. */
  supervisor?: StreamSupervisor;
}

const IdParam = z.object({ id: z.string().min(1).max(63) });
/** For the docs only: documents are validated one by one through the stream's mapping (news/social: the item schema). */
const StreamDocument = z
  .record(z.string(), z.unknown())
  .describe("one document in the stream's own shape, read through its mapping; news and social take the item schema");

// Response bodies, for the OpenAPI document.
const Problem = z.object({ path: z.string(), message: z.string() });
declareResponses({
  "GET /api/v1/streams": z.object({ streams: z.array(StreamSpec) }),
  "POST /api/v1/streams": { status: 201, description: "Registered", body: z.object({ stream: StreamSpec }) },
  "POST /api/v1/streams/:id/items": {
    status: 202,
    description: "Stored (at least one document accepted or a duplicate); every line answered",
    body: z.object({
      accepted: z.number().int(),
      duplicates: z.number().int(),
      rejected: z.number().int(),
      results: z
        .array(
          z.union([
            z.object({ line: z.number().int(), status: z.enum(["accepted", "duplicate"]), id: z.string() }),
            z.object({ line: z.number().int(), status: z.literal("rejected"), reason: z.string(), problems: z.array(Problem) }),
          ]),
        )
        .describe("one entry per document, keyed by its line (NDJSON) or position"),
      ids: z.array(z.string()).describe("ids of the documents not rejected, in order"),
      errors: z.array(z.object({ line: z.number().int(), reason: z.string(), problems: z.array(Problem) })),
    }),
  },
});

export async function streamRoutes(app: FastifyInstance, deps: StreamRouteDeps) {
  app.get("/api/v1/streams", { config: { minRole: "viewer", summary: "List registered streams" } }, async () => ({
    streams: await deps.registry.list(),
  }));

  app.post(
    "/api/v1/streams",
    { config: { minRole: "analyst", summary: "Register a Kafka or HTTP stream with its field mapping", body: StreamSpec } },
    async (req, reply) => {
      const parsed = StreamSpec.safeParse(req.body);
      if (!parsed.success) return validationFailed(reply, parsed.error);
      if (!(await deps.registry.create(parsed.data)))
        return reply.code(409).send({ error: "conflict", message: `stream '${parsed.data.id}' already exists` });
      // Stored: the ingest supervisors pick it up on their next poll even if starting it here fails now.
      await deps.supervisor
        ?.refresh()
        .catch((err) => req.log.warn({ err, stream: parsed.data.id }, "stream stored; consumer starts on the next poll"));
      return reply.code(201).send({ stream: parsed.data });
    },
  );

  app.delete("/api/v1/streams/:id", { config: { minRole: "analyst", summary: "Remove a stream", params: IdParam } }, async (req, reply) => {
    const p = IdParam.safeParse(req.params);
    if (!p.success) return validationFailed(reply, p.error);
    if (!(await deps.registry.remove(p.data.id))) return reply.code(404).send({ error: "not_found" });
    await deps.supervisor
      ?.refresh()
      .catch((err) => req.log.warn({ err, stream: p.data.id }, "stream removed; consumer stops on the next poll"));
    return reply.code(204).send();
  });

  // JSON object, JSON array or NDJSON; each document is validated on its own and answered per line.
  app.post(
    "/api/v1/streams/:id/items",
    {
      config: {
        minRole: "analyst",
        summary: "Push items into a stream (JSON, JSON array or NDJSON; answered per line)",
        params: IdParam,
        body: StreamDocument,
        bulk: true,
      },
      bodyLimit: 16 * 1024 * 1024,
    },
    async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return validationFailed(reply, p.error);
      const stream =
        p.data.id === "news" || p.data.id === "social" ? { id: p.data.id, mapping: undefined } : await deps.registry.get(p.data.id);
      if (!stream) return reply.code(404).send({ error: "not_found", message: `no stream '${p.data.id}'` });
      if ("enabled" in stream && !stream.enabled) return reply.code(409).send({ error: "stream_disabled" });
      const body = typeof req.body === "string" ? req.body : JSON.stringify(req.body ?? "");
      const docs = splitBody(body, req.headers["content-type"]);
      if (docs.length === 0)
        return reply.code(400).send({ error: "validation_failed", problems: [{ path: "(body)", message: "no documents in body" }] });
      const results = docs.map((d) =>
        ingestDocument(d.payload, { stream: stream.id, topic: null, partition: null, offset: null }, { mapping: stream.mapping }),
      );
      let out;
      try {
        // Answered only once the items are durable; refused (429) rather than queued when the scorer is behind.
        out = await deps.writer.write(results, { durable: true });
      } catch (err) {
        if (!(err instanceof IngestBusyError)) throw err;
        reply.header("retry-after", String(err.retryAfterS));
        return sendProblem(reply, problem(err.status, err.status === 429 ? "too_busy" : "not_stored_in_time", err.message));
      }
      const errors = docs.flatMap((d, i) => {
        const r = results[i]!;
        return r.ok ? [] : [{ line: d.line, reason: r.deadLetter.reason, problems: r.deadLetter.errors }];
      });
      const code = out.accepted.length + out.duplicates > 0 ? 202 : 400;
      // One entry per document, keyed by its line (NDJSON) or position: the first copy of an id is accepted, later
      // copies (in this body or sent before) are duplicates.
      const fresh = new Set(out.accepted.map((i) => i.id));
      const results_by_line = docs.map((d, i) => {
        const r = results[i]!;
        if (!r.ok) return { line: d.line, status: "rejected" as const, reason: r.deadLetter.reason, problems: r.deadLetter.errors };
        const status = fresh.delete(r.item.id) ? ("accepted" as const) : ("duplicate" as const);
        return { line: d.line, status, id: r.item.id };
      });
      return reply.code(code).send({
        accepted: out.accepted.length,
        duplicates: out.duplicates,
        rejected: errors.length,
        results: results_by_line,
        ids: results.flatMap((r) => (r.ok ? [r.item.id] : [])),
        errors,
      });
    },
  );
}
