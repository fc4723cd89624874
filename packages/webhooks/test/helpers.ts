import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createLogger } from "@finsentry/core";
import type { AlertEvent } from "@finsentry/schemas";

export const quietLog = createLogger("webhooks-test", "silent");

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders & Record<string, string | undefined>;
  body: Buffer;
}

/** What the receiver does with one request: reply, or "hang" to never answer (a timeout for the sender). */
export type Step = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | "hang";

/**
 * A local webhook receiver on 127.0.0.1. Requests are answered by `steps` in order; once they run out, by `fallback`.
 */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  private server: http.Server;
  private waiters: (() => void)[] = [];
  constructor(
    private steps: Step[] = [],
    private fallback: Step = { status: 200, body: "ok" },
  ) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.requests.push({
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers as ReceivedRequest["headers"],
          body: Buffer.concat(chunks),
        });
        const step = this.steps.shift() ?? this.fallback;
        if (step !== "hang") {
          setTimeout(() => {
            res.writeHead(step.status, { "content-type": "text/plain", ...step.headers });
            res.end(step.body ?? "");
          }, step.delayMs ?? 0);
        }
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }
  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve());
    });
    return this;
  }
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  url(path = "/hook"): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
  /** Resolves once at least `n` requests have arrived. */
  async waitFor(n: number, timeoutMs = 30_000): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < n) {
      if (Date.now() > deadline) throw new Error(`receiver got ${this.requests.length} of ${n} requests`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200).unref();
      });
    }
    return this.requests;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Polls `fn` until it returns a truthy value. */
export async function waitUntil<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let seq = 0;
export function alertEvent(
  over: {
    type?: AlertEvent["type"];
    severity?: AlertEvent["alert"]["severity"];
    ruleId?: string;
    entityKey?: string;
    eventId?: string;
  } = {},
): AlertEvent {
  const n = ++seq;
  const at = new Date().toISOString();
  return {
    v: 1,
    event_id: over.eventId ?? `evt_${n}_${randomBytes(4).toString("hex")}`,
    type: over.type ?? "alert.fired",
    at,
    alert: {
      id: `al_${n}`,
      rule_id: over.ruleId ?? "rule-neg-spike",
      rule_name: "Negative sentiment spike",
      rule_type: "sentiment_spike",
      entity_key: over.entityKey ?? "TICKER:ACME",
      severity: over.severity ?? "critical",
      state: "firing",
      title: "ACME sentiment collapsed",
      summary: "Bearish share of ACME coverage jumped to 82% in 15 minutes",
      fired_at: at,
      updated_at: at,
      resolved_at: null,
      figures: { bearish_share: 0.82, z: 4.1 },
      evidence_item_ids: ["0123456789abcdef0123456789abcdef"],
    },
  };
}

/** A fresh database on the real Postgres server for one test file; `drop` removes it. */
export async function freshPgDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `webhooks_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
