import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { dashboardBuilt, launchBrowser, screenshot, signedInContext, startStack, timedStep, waitFor, type Stack } from "./support.ts";

// A fresh start (no history, only the live demo stream): the charts open on the last hour, not a 24 h range with a
// sliver of data at its right edge, and the live page shows the market-mood chart and a server-side ingest rate.
const skip = !dashboardBuilt();
if (skip) console.warn("skipped: build the dashboard first (cd apps/dashboard && npx next build)");

describe.skipIf(skip)("dashboard on a fresh start (browser)", () => {
  let stack: Stack;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    stack = await startStack({ backfill: 0, demoRate: 5 });
    browser = await launchBrowser();
    ctx = await signedInContext(browser, stack);
    page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(String(e)));
    // A minute's worth of demo items, scored.
    await waitFor(
      async () => ((await (await stack.apiFetch("/api/v1/items/count")).json()) as { count: number }).count >= 120,
      90_000,
      500,
    );
  }, 240_000);

  afterAll(async () => {
    await timedStep("browser.close", () => browser?.close());
    await stack?.close();
  }, 60_000);

  it("live page: market-mood chart and ingest rate from the server's counters", async () => {
    await page.goto(stack.url);
    await page.locator("[data-testid=mood-chart] canvas").first().waitFor({ timeout: 20_000 });
    expect(await waitFor(async () => /\d\/min/.test((await page.getByTestId("ingest-rate").textContent()) ?? ""), 20_000)).toBe(true);
    // The demo publishes 5/s: the server's rate is near 300/min whatever this tab has seen since it opened.
    const perMin = Number(((await page.getByTestId("ingest-rate").textContent()) ?? "").replace(/[^\d.]/g, ""));
    expect(perMin).toBeGreaterThan(100);
    await page.waitForTimeout(500);
    await screenshot(page, "fresh-live-desktop");
  }, 60_000);

  it("entity and drift charts default to the last hour while data is young", async () => {
    const { movers } = (await (await stack.apiFetch("/api/v1/entities/top-movers?window=15m&min_mentions=1&limit=1")).json()) as {
      movers: { key: string }[];
    };
    expect(movers.length).toBe(1);
    await page.goto(`${stack.url}/entities/${encodeURIComponent(movers[0]!.key)}`);
    await page.locator("[data-testid=sentiment-chart] canvas").first().waitFor({ timeout: 20_000 });
    expect(
      await waitFor(
        async () => ((await page.locator("[data-testid=sentiment-chart] .chart").getAttribute("aria-label")) ?? "").endsWith("over 1h"),
        10_000,
      ),
    ).toBe(true);
    const legend = (await page.locator("[data-testid=sentiment-chart] .u-legend").textContent()) ?? "";
    expect(legend).not.toMatch(/Mean sentiment:\s*—/);
    await page.waitForTimeout(500);
    await screenshot(page, "fresh-entity-desktop");

    await page.goto(`${stack.url}/models`);
    await page.locator("[data-testid=drift-chart] canvas").first().waitFor({ timeout: 20_000 });
    expect(
      await waitFor(
        async () => ((await page.locator("[data-testid=drift-chart] .chart").getAttribute("aria-label")) ?? "").includes("over 1h"),
        10_000,
      ),
    ).toBe(true);
    // The entity figure says what it is measured on (not gold names: README, "The model").
    await page.getByTestId("model-metrics-note").waitFor({ timeout: 20_000 });
    expect(await page.getByTestId("model-list").textContent()).toMatch(/span F1 · dev, weak labels/);
    expect(await page.getByTestId("model-metrics-note").textContent()).toMatch(/weak labels.*gold-label/s);
    await page.waitForTimeout(500);
    await screenshot(page, "fresh-models-desktop");
    expect(errors, errors.join("\n")).toEqual([]);
  }, 60_000);
});
