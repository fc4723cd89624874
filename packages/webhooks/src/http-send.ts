import http from "node:http";
import https from "node:https";
import { pinnedLookup, type ResolvedAddress } from "./ssrf.ts";

export const EXCERPT_BYTES = 1024;

export type HttpOutcome =
  | { kind: "response"; status: number; retryAfter?: string; location?: string; excerpt: string; latencyMs: number }
  | { kind: "error"; error: string; code?: string; timedOut: boolean; latencyMs: number };

/**
 * POSTs one webhook. node:http rather than fetch because its `lookup` hook pins the connection to the addresses the
 * SSRF guard approved (fetch would resolve again). Redirects are never followed; only the first 1 KB of the
 * response is read. Never throws: every failure becomes an outcome.
 */
export function postWebhook(opts: {
  url: URL;
  addresses: ResolvedAddress[];
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let res: http.IncomingMessage | undefined;
    let settled = false;
    const finish = (
      o: Omit<Extract<HttpOutcome, { kind: "response" }>, "latencyMs"> | Omit<Extract<HttpOutcome, { kind: "error" }>, "latencyMs">,
    ) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...o, latencyMs: Math.round(performance.now() - started) } as HttpOutcome);
    };
    // Once the status line is in, any later trouble (slow or aborted body) still leaves a usable answer.
    const fromResponse = () => {
      if (!res) return;
      finish({
        kind: "response",
        status: res.statusCode ?? 0,
        retryAfter: first(res.headers["retry-after"]),
        location: first(res.headers.location),
        excerpt: excerpt(Buffer.concat(chunks)),
      });
    };
    const mod = opts.url.protocol === "https:" ? https : http;
    const req = mod.request(
      opts.url,
      {
        method: "POST",
        agent: false,
        lookup: pinnedLookup(opts.addresses) as unknown as http.RequestOptions["lookup"],
        headers: {
          ...opts.headers,
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(opts.body)),
          "user-agent": "finsentry-webhooks/1",
        },
      },
      (r) => {
        res = r;
        r.on("data", (c: Buffer) => {
          if (size < EXCERPT_BYTES) chunks.push(c);
          size += c.length;
          if (size >= EXCERPT_BYTES) fromResponse();
        });
        r.on("end", fromResponse);
        r.on("error", fromResponse);
      },
    );
    const timer = setTimeout(() => {
      if (res) fromResponse();
      else finish({ kind: "error", error: `timed out after ${opts.timeoutMs} ms`, code: "ETIMEDOUT", timedOut: true });
    }, opts.timeoutMs);
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (res) return fromResponse();
      finish({ kind: "error", error: err.code ? `${err.code}: ${err.message}` : err.message, code: err.code, timedOut: false });
    });
    req.end(opts.body);
  });
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** At most EXCERPT_BYTES of UTF-8, never ending in a broken character. */
export function excerpt(buf: Buffer): string {
  let s = new TextDecoder("utf-8", { fatal: false }).decode(buf.subarray(0, EXCERPT_BYTES));
  while (Buffer.byteLength(s) > EXCERPT_BYTES) s = s.slice(0, -1);
  return s;
}
