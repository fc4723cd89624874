import type { FastifyReply } from "fastify";
import type { z } from "zod";
import { describeIssues } from "@finsentry/schemas";

/** The one 400 shape every route uses: a machine-readable list of what is wrong. */
export function validationFailed(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({ error: "validation_failed", problems: describeIssues(error) });
}
