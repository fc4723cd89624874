import { describe, expect, it } from "vitest";
import {
  handleHttpError,
  problem,
  ProblemError,
  redactSecrets,
  safeErrorFields,
  validationProblem,
  type ProblemReply,
} from "../src/index.ts";

function fakeReply() {
  const out = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const reply: ProblemReply = {
    code: (s) => ((out.status = s), reply),
    header: (k, v) => ((out.headers[k] = v), reply),
    send: (b) => ((out.body = b), reply),
  };
  return { reply, out };
}
const logged: { level: string; obj: object }[] = [];
const req = {
  id: "req-7",
  method: "POST",
  routeOptions: { url: "/api/v1/x" },
  log: {
    error: (obj: object) => void logged.push({ level: "error", obj }),
    info: (obj: object) => void logged.push({ level: "info", obj }),
  },
};

const hash = "f".repeat(64);
const queryError = () =>
  Object.assign(new Error(`Failed query: insert into "webhook_subscriptions" ("secret") values ($1)\nparams: whsec_abcDEF123=,${hash}`), {
    cause: Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: "22021" }),
  });

describe("problem details", () => {
  it("builds RFC 9457 bodies with the legacy error code", () => {
    expect(problem(409, "conflict", "taken")).toEqual({
      type: "urn:finsentry:problem:conflict",
      title: "Conflict",
      status: 409,
      detail: "taken",
      error: "conflict",
    });
    expect(validationProblem([{ path: "name", message: "too long" }])).toMatchObject({
      status: 400,
      error: "validation_failed",
      detail: "invalid input: name: too long",
      problems: [{ path: "name" }],
    });
  });

  it("redacts secrets by shape", () => {
    const text = `Bearer abc.def whsec_abc= fsk_1234_xyz ${hash} postgres://u:pw@h/db secret_hash="zz" password=hunter2\nparams: a,b`;
    const r = redactSecrets(text);
    for (const leak of ["abc.def", "whsec_abc", "fsk_1234", hash, ":pw@", '"zz"', "hunter2", "a,b"]) expect(r).not.toContain(leak);
  });

  it("logs a failed query by its cause, never its SQL or parameters", () => {
    const f = JSON.stringify(safeErrorFields(queryError()));
    expect(f).not.toMatch(/insert into|whsec_|ffff|params/i);
    expect(f).toContain("invalid byte sequence");
    expect(f).toContain("22021");
    // Ordinary messages are kept (redacted), so logs stay useful.
    expect(safeErrorFields(new Error("connect ECONNREFUSED 127.0.0.1:5432")).message).toBe("connect ECONNREFUSED 127.0.0.1:5432");
    expect(safeErrorFields(new Error('update "api_keys" set "last_used_at" = now()')).message).not.toContain("api_keys");
  });

  it("answers unknown errors with a bare 500 naming the request, problems as they are, 4xx with their status", () => {
    const a = fakeReply();
    handleHttpError(queryError(), req, a.reply);
    expect(a.out.status).toBe(500);
    expect(a.out.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(a.out.body).toEqual({
      type: "urn:finsentry:problem:internal",
      title: "Internal Server Error",
      status: 500,
      error: "internal",
      request_id: "req-7",
      detail: expect.stringContaining("req-7"),
    });
    expect(logged.at(-1)?.level).toBe("error");
    expect(JSON.stringify(logged)).not.toMatch(/whsec_|insert into|ffffffff/);

    const b = fakeReply();
    handleHttpError(new ProblemError(problem(404, "not_found", "no such rule")), req, b.reply);
    expect(b.out).toMatchObject({ status: 404, body: { error: "not_found", detail: "no such rule" } });

    const c = fakeReply();
    handleHttpError(
      Object.assign(new Error("Request body is too large"), { statusCode: 413, code: "FST_ERR_CTP_BODY_TOO_LARGE" }),
      req,
      c.reply,
    );
    expect(c.out).toMatchObject({ status: 413, body: { error: "payload_too_large", status: 413, detail: "Request body is too large" } });
  });
});
