import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { DEMO_STORY } from "@finsentry/pipeline";
import { freePort, startService, stopProcess } from "../support/processes.ts";
import { dashboardBuilt, launchBrowser, screenshot, timedStep, waitFor } from "./support.ts";

// Issue 24, "the analyst's first ten minutes": the app started exactly as `npm start` starts it (apps/standalone, no
// configuration but a free PORT and a fresh PGlite directory: demo on, default story period, default and demo rules),
// signed into through the sign-in form with the one-time password the process prints, and watched in chromium as an
// analyst would. A warning toast about the demo story's company appears within 2 minutes of "finsentry is running",
// and the same warning later shows as resolved in the UI (the alert detail updates live; the live page's "Open
// warnings" panel no longer lists it). The API is read only to cross-check what the UI showed.
//
// On the default 10-minute story cycle the company's news recovers at 4½ minutes, so this test runs about 6 minutes.
const skip = !dashboardBuilt();
if (skip) console.warn("skipped: build the dashboard first (cd apps/dashboard && npx next build)");

const TOAST_WITHIN_S = 120;
const STORY_PERIOD_S = DEMO_STORY.periodMs / 1000;
/** The story company as the pages show it: by its registry name, or by its key while the name is loading. */
const STORY_ENTITY = new RegExp(`${DEMO_STORY.company[0]}|${DEMO_STORY.entityKey}`);

describe.skipIf(skip)("the analyst's first minutes on a fresh `npm start` (browser)", () => {
  let child: ReturnType<typeof startService> | null = null;
  let browser: Browser | null = null;
  let dataDir = "";
  const pageErrors: string[] = [];

  afterAll(async () => {
    await timedStep("browser.close", () => browser?.close());
    if (child) await timedStep("standalone stop", () => stopProcess(child!));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it(
    "a warning toast within 2 minutes without any configuration, resolved later in the UI",
    async () => {
      const port = await freePort();
      dataDir = await mkdtemp(join(tmpdir(), "finsentry-first-minutes-"));
      // Nothing the child inherits may configure it: embedded bus, generated admin password, default demo and rules.
      for (const k of [
        "KAFKA_BROKERS",
        "KAFKA_NAMESPACE",
        "FINSENTRY_ADMIN_PASSWORD",
        "DEMO",
        "DEMO_RATE",
        "DEMO_STORY_PERIOD_S",
        "MODEL_DIR",
        "SCORER_TIERS",
        "HOST",
      ])
        delete process.env[k];
      const started = Date.now();
      // LOG_LEVEL=info is npm start's default too (startService would otherwise pass warn); it only changes what is printed.
      child = startService("standalone", {
        PORT: String(port),
        DATABASE_URL: dataDir,
        LOG_LEVEL: "info",
      });
      const proc = child;
      let printed = "";
      proc.stdout!.on("data", (d) => (printed += String(d)));
      const up = await waitFor(() => printed.includes("finsentry is running") || proc.exitCode !== null, 180_000, 100);
      expect(up && proc.exitCode === null, proc.output()).toBe(true);
      const running = Date.now();
      const since = (t: number) => ((Date.now() - t) / 1000).toFixed(0);
      console.log(`[first-minutes] "finsentry is running" ${((running - started) / 1000).toFixed(0)} s after spawn`);

      // What a new user reads off the terminal: the URL and the one-time admin password.
      const url = /dashboard and API on (http:\/\/\S+)/.exec(printed)?.[1];
      const password = /sign in as 'admin' with password\s+(\S+)/.exec(printed)?.[1];
      expect(url, printed).toBe(`http://localhost:${port}`);
      expect(password, `no one-time password printed:\n${printed}`).toBeTruthy();

      browser = await launchBrowser();
      const ctx = await browser.newContext({
        viewport: { width: 1440, height: 900 },
        colorScheme: "dark",
        deviceScaleFactor: 1,
      });
      const page: Page = await ctx.newPage();
      page.on("pageerror", (e) => pageErrors.push(String(e)));

      // Sign in through the form, as the README says.
      await page.goto(url!);
      await page.waitForURL(/\/signin/, { timeout: 30_000 });
      await page.fill("#username", "admin");
      await page.fill("#password", password!);
      await page.click("button[type=submit]");
      await page.getByTestId("mood-chart").waitFor({ timeout: 30_000 });
      console.log(`[first-minutes] live page open ${since(running)} s after "running"`);
      // The same session at phone width, in a second tab: the toast must fit there too.
      const phone = await ctx.newPage();
      await phone.setViewportSize({ width: 390, height: 844 });
      phone.on("pageerror", (e) => pageErrors.push(`phone: ${String(e)}`));
      await phone.goto(url!);
      await phone.getByTestId("mood-chart").waitFor({ timeout: 30_000 });

      // The warning toast (non-critical toasts stay 10 s: screenshot it at once).
      const toast = page.getByTestId("warning-toast").filter({ hasText: STORY_ENTITY }).first();
      const budgetMs = Math.max(1, TOAST_WITHIN_S * 1000 - (Date.now() - running));
      await toast.waitFor({ state: "visible", timeout: budgetMs }).catch(() => undefined);
      const toastAfterS = (Date.now() - running) / 1000;
      expect(
        await toast.isVisible(),
        `no warning toast on ${DEMO_STORY.entityKey} within ${TOAST_WITHIN_S} s of "running"\n${proc.output().slice(-4000)}`,
      ).toBe(true);
      console.log(
        `[first-minutes] warning toast seen ${toastAfterS.toFixed(0)} s after "running" (${((Date.now() - started) / 1000).toFixed(0)} s after spawn)`,
      );
      await page.waitForTimeout(400); // the toast's entry animation
      await screenshot(page, "first-minutes-toast-desktop");
      const phoneToast = phone.getByTestId("warning-toast").filter({ hasText: STORY_ENTITY }).first();
      if (
        await phoneToast.waitFor({ state: "visible", timeout: 5_000 }).then(
          () => true,
          () => false,
        )
      ) {
        const box = (await phoneToast.boundingBox())!;
        expect(box.x >= 0 && box.x + box.width <= 390, `phone toast off screen: ${JSON.stringify(box)}`).toBe(true);
        await screenshot(phone, "first-minutes-toast-phone");
      }
      await phone.close();
      const toastText = (await toast.textContent()) ?? "";
      expect(toastText).toContain("Sustained bearish news (demo)");
      expect(toastText).toMatch(/warning/i);

      // The live page's side panel lists it as an open warning.
      const openRow = page.getByTestId("open-alert").filter({ hasText: STORY_ENTITY }).first();
      await openRow.waitFor({ timeout: 30_000 });

      // Clicking the toast opens the alert's detail.
      await toast.locator(".toast-body").click();
      await page.waitForURL(/\/alerts\?id=/, { timeout: 20_000 });
      const alertId = new URL(page.url()).searchParams.get("id")!;
      const detail = page.getByTestId("alert-detail");
      await detail.waitFor({ timeout: 20_000 });
      expect(await detail.textContent()).toMatch(STORY_ENTITY);
      expect(await detail.locator(".badge.state-firing, .badge.state-acknowledged").count()).toBe(1);
      await page.waitForTimeout(300);
      await screenshot(page, "first-minutes-alert-firing-desktop");

      // Cross-check with the API (the browser's own session).
      type Alert = {
        id: string;
        rule_id: string;
        entity_key: string;
        state: string;
        fired_at: string;
        resolved_at: string | null;
        resolve_reason?: string | null;
      };
      const apiAlert = async (): Promise<Alert> =>
        ((await (await ctx.request.get(`${url}/api/v1/alerts/${encodeURIComponent(alertId)}`)).json()) as { alert: Alert }).alert;
      const fired = await apiAlert();
      expect(fired.rule_id).toBe("demo-bearish-news");
      expect(fired.entity_key).toBe(DEMO_STORY.entityKey);
      expect(fired.state).not.toBe("resolved");

      // Resolved later: the story recovers at 45 % of its cycle; the detail page updates live when the alert resolves.
      // Generous bound: the rest of one cycle.
      const resolvedBadge = detail.locator(".badge.state-resolved");
      const resolved = await waitFor(async () => (await resolvedBadge.count()) > 0, STORY_PERIOD_S * 1000, 1000);
      const resolvedAfterS = (Date.now() - running) / 1000;
      expect(resolved, `alert ${alertId} not shown resolved within ${STORY_PERIOD_S} s\n${proc.output().slice(-4000)}`).toBe(true);
      console.log(`[first-minutes] shown resolved ${resolvedAfterS.toFixed(0)} s after "running"`);
      await expect
        .poll(async () => (await detail.textContent()) ?? "", {
          timeout: 10_000,
        })
        .toMatch(/Resolved/);
      await page.waitForTimeout(300);
      await screenshot(page, "first-minutes-alert-resolved-desktop");
      const after = await apiAlert();
      expect(after.state).toBe("resolved");
      expect(after.resolved_at).toBeTruthy();

      // Back on the live page, "Open warnings" no longer lists it.
      await page.goto(url!);
      await page.getByTestId("open-alerts").waitFor({ timeout: 20_000 });
      await page.getByTestId("mood-chart").locator("canvas").first().waitFor({ timeout: 20_000 });
      expect(
        await waitFor(
          async () => (await page.locator(`[data-testid=open-alert][href*="${encodeURIComponent(alertId)}"]`).count()) === 0,
          20_000,
        ),
      ).toBe(true);
      // The ingest rate needs two samples of the server's counters: let it show before the screenshot.
      await waitFor(async () => /\d\/min/.test((await page.getByTestId("ingest-rate").textContent()) ?? ""), 20_000);
      await page.waitForTimeout(500);
      await screenshot(page, "first-minutes-live-after-desktop");

      const all = (await (await ctx.request.get(`${url}/api/v1/alerts?limit=200`)).json()) as { alerts: Alert[] };
      console.log(`[first-minutes] alerts raised: ${all.alerts.map((a) => `${a.rule_id}@${a.entity_key}:${a.state}`).join(", ")}`);
      expect(pageErrors, pageErrors.join("\n")).toEqual([]);
    },
    180_000 + TOAST_WITHIN_S * 1000 + STORY_PERIOD_S * 1000,
  );
});
