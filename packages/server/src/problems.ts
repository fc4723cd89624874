import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { handleHttpError, ProblemError, sendProblem, validationProblem } from "@finsentry/core";
import { describeIssues, findUnsafeInput, jsonTextDepth, MAX_JSON_DEPTH } from "@finsentry/schemas";

/**
 * The one 400 shape every route uses: an RFC 9457 problem with a machine-readable list of what is wrong
 * (documented in the OpenAPI file).
 */
export const ValidationProblems = z.object({
  type: z.string(),
  title: z.string(),
  status: z.literal(400),
  detail: z.string(),
  error: z.literal("validation_failed"),
  problems: z.array(z.object({ path: z.string(), message: z.string() })),
});

export function validationFailed(reply: FastifyReply, error: z.ZodError) {
  return sendProblem(reply, validationProblem(describeIssues(error)));
}

/**
 * Error handling and input hygiene for every route of the server, installed before any route:
 * - JSON bodies are refused (400) when nested deeper than MAX_JSON_DEPTH, counted on the text before parsing, so
 *   neither JSON.stringify nor a schema walk can later overflow the stack on them;
 * - params, query and body are refused (400, naming the field) when a string or key holds what Postgres text/jsonb
 *   cannot (NUL, unpaired surrogates), whichever route schema forgot it;
 * - every error becomes an RFC 9457 problem; 5xx ones carry no error text (handleHttpError).
 */
export function installProblemHandling(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    if (jsonTextDepth(body as string) > MAX_JSON_DEPTH) {
      return done(
        new ProblemError(validationProblem([{ path: "(body)", message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` }])),
        undefined,
      );
    }
    json(req, body as string, done);
  });
  app.addHook("preValidation", async (req, reply) => {
    for (const [where, value] of [
      ["params", req.params],
      ["query", req.query],
      ["body", req.body],
    ] as const) {
      const bad = findUnsafeInput(value);
      if (bad)
        return sendProblem(reply, validationProblem([{ path: bad.path === "(root)" ? `(${where})` : bad.path, message: bad.message }]));
    }
  });
  app.setErrorHandler((err, req, reply) => handleHttpError(err, req, reply));
}
