/**
 * RFC 9457 problem details, and the one HTTP error handler every route plugin shares (the API server and the alert
 * routes' own encapsulated handler). Structural types only: core does not depend on fastify.
 *
 * 5xx answers never carry the error: a failed query's message holds its SQL and parameters (fresh webhook secrets,
 * key hashes). They say "internal error" and the request id; the log gets the error with secrets and SQL removed.
 */

export const PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Short machine code, kept from the API's first error shape (`validation_failed`, `not_found`…). */
  error: string;
  [member: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};
const CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  502: "bad_gateway",
  503: "unavailable",
  504: "timeout",
};

/** A problem body; `type` is a URN per error code (no documentation site to point at). */
export function problem(status: number, error: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  return {
    type: `urn:finsentry:problem:${error}`,
    title: TITLES[status] ?? (status >= 500 ? "Server Error" : "Client Error"),
    status,
    detail,
    error,
    ...extra,
  };
}

/** The 400 every route answers for invalid input: a list of `{ path, message }`, one per problem found. */
export function validationProblem(problems: { path: string; message: string }[]): Problem {
  const detail = problems.length ? `invalid input: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}` : "invalid input";
  return problem(400, "validation_failed", redactSecrets(detail).slice(0, 1000), { problems });
}

/** Thrown by handlers to answer with a problem (the shared error handler sends it as is). */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(p: Problem) {
    super(p.detail);
    this.name = "ProblemError";
    this.problem = p;
  }
  get statusCode(): number {
    return this.problem.status;
  }
}

// Secrets by shape: webhook signing secrets, API keys, hex digests (key / session hashes), bearer tokens, passwords in
// URLs, and the parameter list drizzle appends to a failed query's message.
const SECRET_PATTERNS: [RegExp, string][] = [
  [/whsec_[A-Za-z0-9+/=_-]*/g, "whsec_[redacted]"],
  [/fsk_[A-Za-z0-9_-]*/g, "fsk_[redacted]"],
  [/\b[0-9a-fA-F]{40,}\b/g, "[redacted-hex]"],
  [/(bearer\s+)[^\s,;"']+/gi, "$1[redacted]"],
  [/(\/\/[^:/\s]+:)[^@/\s]+@/g, "$1[redacted]@"],
  [/\bparams:[\s\S]*$/g, "params: [redacted]"],
  [/((?:secret_hash|secretHash|password|token|secret|cookie|authorization)["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;}]+)/gi, "$1[redacted]"],
];

/** Removes secrets from free text (error messages, details). */
export function redactSecrets(text: string): string {
  let out = text;
  for (const [re, to] of SECRET_PATTERNS) out = out.replace(re, to);
  return out;
}

/** SQL in an error message (drizzle's "Failed query: …") names tables and columns and echoes values: dropped. */
const SQL_MESSAGE = /^Failed query:|\b(select\s[\s\S]*\bfrom|insert\s+into|update\s+\S+\s+set|delete\s+from)\b/i;

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string | number;
  statusCode?: number;
  stack?: string;
  cause?: unknown;
}

/** What of an error may be logged: names, codes, the database's own message, stack frames — never SQL or values. */
export function safeErrorFields(err: unknown, depth = 0): Record<string, unknown> {
  if (!err || typeof err !== "object") return { message: redactSecrets(String(err)).slice(0, 500) };
  const e = err as ErrorLike;
  const message =
    typeof e.message === "string"
      ? SQL_MESSAGE.test(e.message.slice(0, 2000))
        ? "[query failed: SQL and parameters not logged]"
        : redactSecrets(e.message).slice(0, 500)
      : undefined;
  const frames =
    typeof e.stack === "string"
      ? e.stack
          .split("\n")
          .filter((l) => /^\s+at /.test(l))
          .slice(0, 12)
          .join("\n")
      : undefined;
  return {
    type: e.name ?? e.constructor?.name,
    message,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(frames ? { stack: frames } : {}),
    ...(e.cause && depth < 3 ? { cause: safeErrorFields(e.cause, depth + 1) } : {}),
  };
}

/** The parts of fastify's request and reply the handler uses. */
export interface ProblemRequest {
  id: string;
  method: string;
  routeOptions?: { url?: string };
  log: { error(obj: object, msg?: string): void; info(obj: object, msg?: string): void };
}
export interface ProblemReply {
  code(status: number): ProblemReply;
  header(name: string, value: string): ProblemReply;
  send(payload?: unknown): unknown;
}

export function sendProblem(reply: ProblemReply, p: Problem): unknown {
  return reply.code(p.status).header("content-type", PROBLEM_CONTENT_TYPE).send(p);
}

/**
 * The shared error handler: a ProblemError as it is; fastify's own 4xx (bad JSON, body too large, unsupported
 * content type, rate limit) as problems with their status; anything else as a 500 that only names the request id.
 */
export function handleHttpError(err: unknown, req: ProblemRequest, reply: ProblemReply): unknown {
  if (err instanceof ProblemError) return sendProblem(reply, err.problem);
  const e = (err ?? {}) as ErrorLike;
  const status = typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500;
  const where = { reqId: req.id, method: req.method, route: req.routeOptions?.url };
  if (status < 500) {
    // Fastify's own messages ("Body cannot be empty…", "Unsupported Media Type…"); redacted all the same.
    const detail = redactSecrets(typeof e.message === "string" ? e.message : (TITLES[status] ?? "bad request")).slice(0, 500);
    req.log.info({ ...where, status, error: safeErrorFields(err) }, "request refused");
    return sendProblem(reply, problem(status, CODES[status] ?? "bad_request", detail));
  }
  req.log.error({ ...where, status, error: safeErrorFields(err) }, "request failed");
  return sendProblem(
    reply,
    problem(status, CODES[status] ?? "internal", `internal error; quote request id ${req.id} when reporting it`, { request_id: req.id }),
  );
}
