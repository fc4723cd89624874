import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Bus } from "@finsentry/bus";
import { problem, sendProblem, validationProblem } from "@finsentry/core";
import { describeIssues, pgText } from "@finsentry/schemas";
import type { ModelRegistry, ModelVersionRow } from "./registry.ts";
import type { RunRow, RunStore } from "./runs.ts";
import { announce } from "./trainer-service.ts";

const Id = z.object({ id: pgText().min(1).max(200) });

const iso = (t: string | null) => (t ? new Date(t).toISOString() : null);

function modelJson(m: ModelVersionRow) {
  return {
    id: m.id,
    version: m.id,
    status: m.status,
    active: m.status === "champion",
    parent: m.parentId,
    metrics: m.metrics,
    data_summary: m.dataSummary,
    created_at: iso(m.createdAt),
    promoted_at: iso(m.promotedAt),
    promoted_by: m.promotedBy,
  };
}

function runJson(r: RunRow) {
  return {
    id: r.id,
    status: r.status,
    trigger: r.trigger,
    requested_by: r.requestedBy,
    parent_id: r.parentId,
    model_id: r.challengerId,
    created_at: iso(r.createdAt),
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
    heartbeat_at: iso(r.heartbeatAt),
    error: r.status === "failed" || r.status === "rejected" ? r.reason : null,
    gate: r.gate,
    progress_detail: r.progress,
    log: r.history,
  };
}

/** Models and training runs: list, trigger retraining, promote, roll back. */
export async function learningRoutes(app: FastifyInstance, deps: { registry: ModelRegistry; runs: RunStore; bus: Bus }) {
  const { registry, runs, bus } = deps;
  const who = (req: unknown) => (req as { principal?: { name: string } }).principal?.name ?? "api";

  app.get("/api/v1/models", { config: { minRole: "viewer", summary: "Model versions" } }, async () => ({
    models: (await registry.list()).map(modelJson),
  }));
  app.get("/api/v1/training-runs", { config: { minRole: "viewer", summary: "Training runs" } }, async () => ({
    runs: (await runs.list()).map(runJson),
  }));
  app.get("/api/v1/training-runs/:id", { config: { minRole: "viewer", summary: "One training run", params: Id } }, async (req, reply) => {
    const p = Id.safeParse(req.params);
    if (!p.success) return sendProblem(reply, validationProblem(describeIssues(p.error)));
    const r = await runs.get(p.data.id);
    return r
      ? { run: runJson(r) }
      : sendProblem(reply, problem(404, "not_found", `no such ${req.url.includes("/models/") ? "model version" : "training run"}`));
  });
  // Anyone with analyst rights may ask for retraining; it queues behind a running one.
  app.post(
    "/api/v1/training-runs",
    { config: { minRole: "analyst", summary: "Ask for retraining (queued behind a running one)", body: null } },
    async (req, reply) => reply.code(202).send({ run: runJson(await runs.request("manual", who(req))) }),
  );

  app.post(
    "/api/v1/models/:id/promote",
    { config: { minRole: "admin", summary: "Make a version the champion", params: Id, body: null } },
    async (req, reply) => {
      const p = Id.safeParse(req.params);
      if (!p.success) return sendProblem(reply, validationProblem(describeIssues(p.error)));
      const v = await registry.get(p.data.id);
      if (!v)
        return sendProblem(reply, problem(404, "not_found", `no such ${req.url.includes("/models/") ? "model version" : "training run"}`));
      const { previous } = await registry.promote(v.id, who(req));
      await announce(bus, "model.promoted", v.id, previous);
      return { champion: v.id, previous };
    },
  );

  // Rolls the champion back to the version that served before it; `:id` must name the current champion.
  app.post(
    "/api/v1/models/:id/rollback",
    { config: { minRole: "admin", summary: "Roll the champion back to the version before it", params: Id, body: null } },
    async (req, reply) => {
      const p = Id.safeParse(req.params);
      if (!p.success) return sendProblem(reply, validationProblem(describeIssues(p.error)));
      const current = await registry.champion();
      if (current?.id !== p.data.id)
        return sendProblem(
          reply,
          problem(409, "not_champion", `${p.data.id} is not the serving model`, { message: `${p.data.id} is not the serving model` }),
        );
      const target = await registry.previousChampion();
      if (!target) return sendProblem(reply, problem(409, "nothing_to_roll_back_to", "no earlier champion to roll back to"));
      const { previous } = await registry.promote(target, who(req), "rollback");
      await announce(bus, "model.rolled_back", target, previous);
      return { champion: target, previous };
    },
  );
}
