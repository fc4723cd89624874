import type { FastifyReply } from "fastify";
import { z } from "zod";
import { describeIssues } from "@finsentry/schemas";

/** The one 400 shape every route uses: a machine-readable list of what is wrong (documented in the OpenAPI file). */
export const ValidationProblems = z.object({
  error: z.literal("validation_failed"),
  problems: z.array(z.object({ path: z.string(), message: z.string() })),
});

export function validationFailed(reply: FastifyReply, error: z.ZodError) {
  return reply.code(400).send({ error: "validation_failed", problems: describeIssues(error) } satisfies z.infer<typeof ValidationProblems>);
}
