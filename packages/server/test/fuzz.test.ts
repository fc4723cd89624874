import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { z } from "zod";
import type { RouteInfo } from "../src/index.ts";
import { leaksIn, startApi, type Api, type DbKind } from "./harness.ts";

/**
 * Fuzzes every /api route the server registers (walked from `server.routes`, so a new route is fuzzed too) with
 * schema-shaped and hostile params, queries and bodies, with an admin key and without credentials. No answer may be
 * a 5xx, and no error answer may carry a secret, a hash or SQL. Bounded by runs and a time budget per database.
 */

const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 40_000);
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 60);

type Json = Record<string, unknown>;

const hostileStrings = fc.constantFrom(
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfffy",
  "😀",
  "\u202e\u200b\ufeff",
  "e\u0301",
  "'; drop table items; --",
  "%00",
  "%",
  "../..",
  "__proto__",
  "constructor",
  "null",
  "-1",
  "0",
  "1e309",
  "NaN",
  "9".repeat(40),
  " ",
  "",
  "TICKER:ACME",
  "2026-01-01T00:00:00Z",
  "2026-02-30T25:61:00Z",
  "0000-01-01T00:00:00Z",
  "2026-01-01T00:00:00+23:00",
  "0".repeat(32),
  "x".repeat(300),
  "https://hooks.example.com/x",
  "http://127.0.0.1:1/",
  "file:///etc/passwd",
);
const str = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: "binary" }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 3, arbitrary: hostileStrings },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }).map((n) => "\u00e9".repeat(n)) },
);
const nested = fc.tuple(fc.integer({ min: 1, max: 60 }), fc.boolean()).map(([n, obj]) => {
  let v: unknown = "leaf";
  for (let i = 0; i < n; i++) v = obj ? { a: v } : [v];
  return v;
});
const wild: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: str },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
  { weight: 1, arbitrary: fc.array(str, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(str, str, { maxKeys: 3 }) },
  { weight: 1, arbitrary: nested },
);

/** Timestamps across the whole 4-digit-year range, with offsets zod's format accepts and Postgres may not. */
const isoDates = fc
  .tuple(
    fc.date({ noInvalidDate: true, min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z") }),
    fc.constantFrom("Z", "+00:00", "+05:30", "-15:59", "+16:00", "-23:59"),
  )
  .map(([d, off]) => d.toISOString().replace("Z", off));

/** Values shaped like a JSON Schema (from the route's zod schema), mixed with hostile ones at every level. */
function shaped(s: Json | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!s || depth > 4) return wild;
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  let good: fc.Arbitrary<unknown> = wild;
  if (alts?.length) good = fc.oneof(...alts.map((a) => shaped(a, depth + 1)));
  else if (Array.isArray(s.enum)) good = fc.constantFrom(...(s.enum as unknown[]));
  else if ("const" in s) good = fc.constant(s.const);
  else if (s.type === "string" && s.format === "date-time") good = isoDates;
  else if (s.type === "string")
    good = fc.string({ minLength: Number(s.minLength ?? 0), maxLength: Math.min(Number(s.maxLength ?? 40), 40) });
  else if (s.type === "integer")
    good = fc.integer({ min: Math.max(Number(s.minimum ?? -1e6), -1e9), max: Math.min(Number(s.maximum ?? 1e6), 1e9) });
  else if (s.type === "number") good = fc.double({ noNaN: true, min: Number(s.minimum ?? -1e6), max: Number(s.maximum ?? 1e6) });
  else if (s.type === "boolean") good = fc.boolean();
  else if (s.type === "array") good = fc.array(shaped(s.items as Json | undefined, depth + 1), { maxLength: 4 });
  else if (s.type === "object" || s.properties) {
    const props = (s.properties ?? {}) as Record<string, Json>;
    const keys = Object.keys(props);
    good = keys.length
      ? fc
          .record(Object.fromEntries(keys.map((k) => [k, shaped(props[k], depth + 1)])), { requiredKeys: [] })
          .chain((o) => fc.tuple(fc.dictionary(str, wild, { maxKeys: 1 }), fc.nat(4)).map(([extra, n]) => (n ? o : { ...o, ...extra })))
      : fc.dictionary(str, wild, { maxKeys: 4 });
  }
  return fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: wild });
}

const jsonSchema = (schema: z.ZodType | null | undefined): Json | undefined => {
  if (!schema) return undefined;
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  } catch {
    return undefined;
  }
};

/** Percent-encodes UTF-8 bytes (and so never throws on lone surrogates), or sends raw bytes, as a client might. */
const pathSegment = fc.oneof(
  str.map((s) => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("") || "x"),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map((a) => [...a].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("")),
  fc.constantFrom("x", "1", "wh_x", "%", "%zz", "%c0%80", "%ed%a0%80", "a%2Fb", "..", "0".repeat(32)),
);

const contentTypes = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json",
  "application/x-ndjson",
  "text/plain",
  "application/xml",
  "application/json; charset=latin1",
);

interface Req {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

function requestFor(r: RouteInfo, withKey: string | null): fc.Arbitrary<Req> {
  const names = [...r.url.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const query = shaped(jsonSchema(r.doc.query));
  const body =
    r.doc.body === null
      ? fc.constant(undefined)
      : fc.oneof(
          shaped(jsonSchema(r.doc.body)),
          shaped(jsonSchema(r.doc.body)).map((b) => [b, b]),
          wild,
        );
  return fc
    .record({
      params: fc.tuple(...names.map(() => pathSegment)),
      query: fc.oneof(query, fc.dictionary(str, fc.oneof(str, fc.array(str, { maxLength: 3 })), { maxKeys: 3 })),
      body,
      rawBody: fc.oneof(
        { weight: 5, arbitrary: fc.constant(null) },
        {
          weight: 1,
          arbitrary: fc.oneof(
            fc.string({ unit: "binary" }),
            fc.constantFrom("{", "[".repeat(5000), '{"a":1}\n{', "\u0000", '"\\u0000"', "[]", "null", `"${"\u00e9".repeat(600_000)}"`),
          ),
        },
      ),
      contentType: contentTypes,
    })
    .map(({ params, query, body, rawBody, contentType }) => {
      let url = r.url;
      names.forEach((n, i) => (url = url.replace(`:${n}`, params[i]!)));
      const qs =
        query && typeof query === "object" && !Array.isArray(query)
          ? Object.entries(query as Json)
              .flatMap(([k, v]) => [v].flat().map((x) => `${enc(k)}=${enc(typeof x === "string" ? x : (JSON.stringify(x) ?? ""))}`))
              .join("&")
          : "";
      const hasBody = r.method !== "GET" && r.method !== "DELETE";
      const payload = hasBody ? (rawBody ?? (body === undefined ? undefined : JSON.stringify(body))) : undefined;
      return {
        method: r.method,
        url: qs ? `${url}?${qs}` : url,
        headers: {
          ...(withKey ? { authorization: `Bearer ${withKey}` } : {}),
          ...(payload !== undefined ? { "content-type": contentType } : {}),
        },
        ...(payload !== undefined ? { payload } : {}),
      };
    });
}
const enc = (s: string) => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

function fuzzSuite(kind: DbKind) {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(kind);
  }, 120_000);
  afterAll(async () => api?.close());

  it(
    "answers every route without a 5xx or a leak, whatever it is sent",
    async () => {
      const routes = api.server.routes.filter((r) => r.url.startsWith("/api/") && r.method !== "HEAD" && r.method !== "OPTIONS");
      expect(routes.length).toBeGreaterThan(20);
      const deadline = Date.now() + BUDGET_MS;
      const statuses = new Map<number, number>();
      let sent = 0;
      for (const [i, r] of routes.entries()) {
        // The budget is shared fairly: each route gets its slice of what is left; past it, a few runs each still. The
        // slice is never tiny: fast-check calls a property interrupted before its first run a failure.
        const left = deadline - Date.now();
        const slice = Math.max(3000, left / (routes.length - i));
        for (const key of [api.adminKey, null]) {
          const runs = left > 0 ? (key ? RUNS_PER_ROUTE : Math.ceil(RUNS_PER_ROUTE / 4)) : key ? 3 : 1;
          await fc.assert(
            fc.asyncProperty(requestFor(r, key), async (req) => {
              const t0 = performance.now();
              const res = await api.server.app.inject({
                method: req.method as "GET",
                url: req.url,
                headers: req.headers,
                ...(req.payload !== undefined ? { payload: req.payload } : {}),
              });
              const took = performance.now() - t0;
              if (process.env.FUZZ_DEBUG && took > 300)
                console.info(
                  `slow ${Math.round(took)} ms: ${req.method} ${req.url.slice(0, 120)} ${req.headers["content-type"]} ${String(req.payload?.length)} -> ${res.statusCode} ${res.body.slice(0, 120)}`,
                );
              sent++;
              statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
              const what = `${req.method} ${req.url.slice(0, 200)} (${req.headers["content-type"] ?? "no body"}) -> ${res.statusCode} ${res.body.slice(0, 300)}`;
              expect(res.statusCode, what).toBeLessThan(500);
              expect(res.body, what).not.toMatch(/secret_hash|secretHash/);
              // An error answer echoes at most the caller's own input; only a fresh secret on create/rotate may be shown.
              if (res.statusCode >= 400 && leaksIn(`${req.url}${req.payload ?? ""}`).length === 0)
                expect(leaksIn(res.body), what).toEqual([]);
            }),
            { numRuns: runs, interruptAfterTimeLimit: slice, markInterruptAsFailure: false },
          );
        }
      }
      console.info(
        `fuzz (${kind}): ${sent} requests over ${routes.length} routes; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
      expect(sent).toBeGreaterThan(routes.length);
      expect(leaksIn(api.logs())).toEqual([]);
      expect(api.logs()).not.toContain('"request failed"');
      expect(api.storeErrors).toEqual([]);
    },
    BUDGET_MS + 60_000,
  );
}

describe("API fuzz (PGlite)", () => fuzzSuite("pglite"));
if (!process.env.DATABASE_URL) console.warn("fuzz: skipping the Postgres run (DATABASE_URL not set)");
describe.skipIf(!process.env.DATABASE_URL)("API fuzz (Postgres)", () => fuzzSuite("pg"));
