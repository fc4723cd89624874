import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Socket, type AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DASHBOARD_DIR = join(REPO_ROOT, "apps/dashboard");
export const SCREENSHOT_DIR = join(REPO_ROOT, "test-artifacts/screenshots");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Debian's chromium, headless and quiet (no network calls of its own). `apt-get install -y chromium` if missing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get update && apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: opts.fullPage ?? false });
  return path;
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/** Requires `npm run build -w apps/dashboard` (or `cd apps/dashboard && npx next build`) first. */
export function dashboardBuilt(): boolean {
  return existsSync(join(DASHBOARD_DIR, ".next/BUILD_ID"));
}

export interface Stack {
  url: string;
  admin: { username: string; password: string };
  /** Publishes pending alert events (e.g. fixtures) to the bus, so connected dashboards get them live. */
  flushAlerts(): Promise<number>;
  /** Inserts a firing alert on `entityKey` with the given evidence items; returns its id. Publish with flushAlerts(). */
  fireAlert(o: {
    entityKey: string;
    severity: "info" | "warning" | "critical";
    title: string;
    summary: string;
    evidence: string[];
    figures?: Record<string, number>;
  }): Promise<string>;
  /** A local HTTP receiver for webhook tests; records what it received. */
  receiver: { url: string; received: { headers: Record<string, unknown>; body: string }[] };
  apiFetch(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The production layout in one process: the API server (every route plugin that exists, socket.io, live gateway,
 * scorer, alerter, demo stream) with the built Next dashboard mounted as the handler for every non-/api path.
 * This is the wiring `apps/standalone` should use; see apps/dashboard/README.md.
 */
export async function startStack(opts: { demoRate?: number; backfill?: number } = {}): Promise<Stack> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: "memory://", PORT: "0", LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" };
  delete env.KAFKA_BROKERS;
  const { createRuntime, loadTextScorer, startScorer, startDemoSource, demoItems, StreamRegistry, IngestWriter, StreamSupervisor } =
    await import("@finsentry/pipeline");
  const server = await import("@finsentry/server");
  const alertsPkg = await import("@finsentry/alerts");
  const { alerts, alertEvents } = await import("@finsentry/db");
  const learning = await import("@finsentry/learning");

  const rt = await createRuntime("dashboard-test", env);
  const registry = new StreamRegistry(rt.db.db);
  const writer = new IngestWriter(rt.bus);
  const supervisor = new StreamSupervisor({ bus: rt.bus, log: rt.log, writer, registry });
  await supervisor.start();
  const model = await loadTextScorer(rt.log, rt.config.MODEL_DIR);
  const scorer = await startScorer({ bus: rt.bus, db: rt.db, log: rt.log, model, batchSize: rt.config.SCORER_BATCH_SIZE });
  const alerter = await alertsPkg.startAlerter({ bus: rt.bus, db: rt.db, log: rt.log });
  const models = new learning.ModelRegistry(rt.db.db);
  const { mkdtemp } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const store = new learning.DiskModelStore(await mkdtemp(join(tmpdir(), "finsentry-models-")));
  const { BUNDLED_MODEL_DIR } = await import("@finsentry/pipeline");
  await learning.ensureChampion({ registry: models, store, log: rt.log }, BUNDLED_MODEL_DIR);

  const built = await server.buildServer({
    db: rt.db,
    log: rt.log,
    plugins: server.apiRoutePlugins({
      db: rt.db,
      bus: rt.bus,
      log: rt.log,
      streams: { registry, writer, supervisor },
      alertEngine: alerter.engine,
      models,
      webhooks: { allowPrivate: "loopback" },
    }),
  });

  // The same mount the API and all-in-one processes use.
  const dashboard = await server.mountDashboard(built.app, DASHBOARD_DIR, rt.log);
  if (!dashboard) throw new Error("dashboard is not built: run `npm run build` first");

  const password = "dashboard-test-password";
  await server.createUser(rt.db.db, { name: "admin", role: "admin", password });
  await server.createUser(rt.db.db, { name: "viewer", role: "viewer", password });
  const live = await server.startLiveGateway({ io: built.io, bus: rt.bus, db: rt.db, log: rt.log });
  const url = (await built.listen(0, "127.0.0.1")).replace("127.0.0.1", "localhost");
  // Requests not yet answered, named when teardown waits on the API server (a hung one held close() in CI).
  const inFlight = new Map<object, string>();
  built.app.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    inFlight.set(res, `${req.method} ${req.url} (since ${new Date().toISOString()})`);
    res.on("close", () => inFlight.delete(res));
  });

  let cookie = "";
  const apiFetch = async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    return fetch(url + path, {
      ...rest,
      // As the dashboard's own pages would: cookie-authenticated mutations must name this origin (CSRF check).
      headers: {
        cookie,
        origin: url,
        ...(json !== undefined ? { "content-type": "application/json" } : {}),
        ...(rest.headers as Record<string, string>),
      },
      body: json !== undefined ? JSON.stringify(json) : rest.body,
    });
  };
  const login = await apiFetch("/api/v1/auth/login", { method: "POST", json: { username: "admin", password } });
  cookie = login.headers.get("set-cookie")!.split(";")[0]!;

  // History for charts and movers: the demo corpus spread over the last 24h, then the live demo stream on top.
  const backfill = opts.backfill ?? 600;
  if (backfill > 0) {
    const start = new Date(Date.now() - 24 * 3600_000);
    const docs = demoItems(backfill, { seed: 11, start, stepMs: Math.floor((24 * 3600_000 - 120_000) / backfill) });
    const body = docs.map((d) => JSON.stringify(d.item)).join("\n");
    const r = await apiFetch("/api/v1/streams/news/items", { method: "POST", body, headers: { "content-type": "application/x-ndjson" } });
    if (r.status !== 202) throw new Error(`backfill failed: ${r.status} ${await r.text()}`);
    await waitFor(
      async () => ((await (await apiFetch("/api/v1/items/count")).json()) as { count: number }).count >= backfill * 0.95,
      120_000,
      500,
    );
  }
  const demo = opts.demoRate === 0 ? null : startDemoSource({ bus: rt.bus, log: rt.log, ratePerSec: opts.demoRate ?? 3 });

  const received: Stack["receiver"]["received"] = [];
  const hook: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(received.length % 3 === 0 ? 500 : 200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  const receiverUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;

  let n = 0;
  return {
    url,
    admin: { username: "admin", password },
    receiver: { url: receiverUrl, received },
    apiFetch,
    async flushAlerts() {
      return alertsPkg.flushOutbox(rt.db.db, rt.bus);
    },
    async fireAlert(o) {
      const now = new Date();
      const id = `fixture-${Date.now().toString(36)}-${++n}`;
      const [row] = await rt.db.db
        .insert(alerts)
        .values({
          id,
          ruleId: "fixture-rule",
          ruleVersion: 1,
          ruleName: "Fixture: sentiment shift",
          ruleType: "sentiment_shift",
          entityKey: o.entityKey,
          severity: o.severity,
          state: "firing",
          title: o.title,
          summary: o.summary,
          figures: o.figures ?? {},
          fireFigures: o.figures ?? {},
          evidenceItemIds: o.evidence,
          firedAt: now,
          updatedAt: now,
          lastEventSeq: 1,
        })
        .returning();
      const payload = alertsPkg.alertEvent(row!, "alert.fired", now);
      await rt.db.db
        .insert(alertEvents)
        .values({ id: payload.event_id, alertId: id, seq: 1, type: "alert.fired", state: "firing", actor: "engine", at: now, payload });
      return id;
    },
    async close() {
      const step = (name: string, f: () => Promise<unknown> | unknown) => timedStep(`stack.close: ${name}`, f);
      demo?.stop();
      // The webhook dispatcher may hold keep-alive or in-flight connections to the receiver; close() alone waits for them.
      hook.closeAllConnections();
      await step("webhook receiver", () => new Promise((r) => hook.close(r)));
      await step("live gateway", () => live.stop());
      await step("alerter", () => alerter.stop());
      await step(`api server ${url}`, async () => {
        const watch = setTimeout(
          () => console.warn(`[stack.close] requests in flight: ${[...inFlight.values()].join("; ") || "none"}`),
          2_000,
        );
        try {
          await built.close();
        } finally {
          clearTimeout(watch);
        }
      });
      await step("dashboard", () => dashboard.close?.());
      await step("scorer", () => scorer.stop());
      await step("supervisor", () => supervisor.stop());
      await step("runtime", () => rt.close());
    },
  };
}

/**
 * Runs one teardown step and names it while it is slow: a teardown that overran the hook timeout in CI (twice, after
 * every test passed) left no clue which part hung, because a step that never ends never reaches a log line after it.
 */
export async function timedStep(name: string, f: () => Promise<unknown> | unknown): Promise<void> {
  const t0 = Date.now();
  const watch = setInterval(() => {
    const sockets = (process as unknown as { _getActiveHandles(): unknown[] })
      ._getActiveHandles()
      .filter((h): h is Socket => h instanceof Socket && h.remoteAddress !== undefined)
      .map((s) => `${s.localAddress}:${s.localPort}->${s.remoteAddress}:${s.remotePort}`);
    console.warn(
      `[${name}] still running after ${((Date.now() - t0) / 1000).toFixed(0)} s; active resources: ${process.getActiveResourcesInfo().join(", ")}; TCP sockets: ${sockets.join(" ") || "none"}`,
    );
  }, 10_000);
  try {
    await f();
  } finally {
    clearInterval(watch);
    if (Date.now() - t0 > 5_000) console.warn(`[${name}] took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** A signed-in browser context (session cookie set through the real sign-in endpoint). */
export async function signedInContext(
  browser: Browser,
  stack: Stack,
  o: { width?: number; height?: number; theme?: "dark" | "light"; user?: string } = {},
): Promise<BrowserContext> {
  const ctx = await browser.newContext({
    viewport: { width: o.width ?? 1440, height: o.height ?? 900 },
    colorScheme: o.theme ?? "dark",
    deviceScaleFactor: 1,
  });
  const r = await ctx.request.post(`${stack.url}/api/v1/auth/login`, {
    data: { username: o.user ?? stack.admin.username, password: stack.admin.password },
  });
  if (!r.ok()) throw new Error(`login failed: ${r.status()}`);
  return ctx;
}
