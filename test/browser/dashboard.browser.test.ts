import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { dashboardBuilt, launchBrowser, screenshot, signedInContext, startStack, timedStep, waitFor, type Stack } from "./support.ts";

// Smoke test of every dashboard page against the real API (in-process, embedded defaults) with the built Next app
// mounted the way production serves it. Screenshots land in test-artifacts/screenshots/.
// Needs `cd apps/dashboard && npx next build` first and /usr/bin/chromium.
const skip = !dashboardBuilt();
if (skip) console.warn("skipped: build the dashboard first (cd apps/dashboard && npx next build)");

describe.skipIf(skip)("dashboard (browser)", () => {
  let stack: Stack;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  let entityKey = "TICKER:NWM";

  beforeAll(async () => {
    stack = await startStack();
    browser = await launchBrowser();
    ctx = await signedInContext(browser, stack);
    page = await ctx.newPage();
    page.on("pageerror", (e) => errors.push(String(e)));
  }, 240_000);

  afterAll(async () => {
    await timedStep("browser.close", () => browser?.close());
    await stack?.close();
  }, 60_000);

  it("sends a signed-out visitor to sign-in, rejects a bad password, signs in", async () => {
    const anon = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "dark" });
    const p = await anon.newPage();
    await p.goto(`${stack.url}/alerts`);
    await p.waitForURL(/\/signin\?next=%2Falerts/, { timeout: 20_000 });
    await p.getByTestId("signin-form").waitFor();
    await screenshot(p, "01-signin");
    await p.fill("#username", "admin");
    await p.fill("#password", "wrong-password");
    await p.click("button[type=submit]");
    await p.getByTestId("signin-error").waitFor();
    await screenshot(p, "02-signin-error");
    await p.fill("#password", stack.admin.password);
    await p.click("button[type=submit]");
    await p.waitForURL(/\/alerts$/, { timeout: 20_000 });
    await anon.close();
  }, 60_000);

  it("live view: feed, movers, and a warning toast without reload", async () => {
    await page.goto(stack.url);
    await page.getByTestId("feed-item").first().waitFor({ timeout: 30_000 });
    await waitFor(async () => (await page.getByTestId("live-status").textContent()) === "Live", 15_000);
    // Fixture alerts on entities the model actually found, with real evidence items.
    const { items } = (await (await stack.apiFetch("/api/v1/items?limit=200")).json()) as {
      items: { id: string; output: { sentiment: { label: string }; entities: { type: string; text: string }[] } | null }[];
    };
    const bearish = items.filter((i) => i.output?.sentiment.label === "bearish" && i.output.entities.some((e) => e.type === "TICKER"));
    const tick = bearish[0]?.output?.entities
      .find((e) => e.type === "TICKER")
      ?.text.replace(/^\$/, "")
      .toUpperCase();
    if (tick) entityKey = `TICKER:${tick}`;
    const ev = bearish
      .filter((i) => i.output!.entities.some((e) => e.text.replace(/^\$/, "").toUpperCase() === tick))
      .slice(0, 4)
      .map((i) => i.id);
    await stack.fireAlert({
      entityKey: "ORG:litware bank",
      severity: "info",
      title: "Litware Bank: topic watch — Legal | Regulation",
      summary: "2 items on watched topics in the last hour.",
      evidence: items.slice(5, 7).map((i) => i.id),
      figures: { count: 2 },
    });
    await stack.fireAlert({
      entityKey: "TICKER:FBK",
      severity: "warning",
      title: "FBK: bearish volume spike",
      summary: "9 bearish mentions in 30m, z-score 4.6 against a baseline of 1.2.",
      evidence: items.slice(2, 5).map((i) => i.id),
      figures: { bearish: 9, z_score: 4.61, baseline_mean: 1.2 },
    });
    await stack.fireAlert({
      entityKey,
      severity: "critical",
      title: `${tick ?? "NWM"}: sentiment dropped sharply`,
      summary: "Weighted sentiment −0.62 in the last hour vs baseline +0.08 (5.1σ).",
      evidence: ev.length ? ev : items.slice(0, 3).map((i) => i.id),
      figures: {
        window_start_ms: Date.now() - 3600_000,
        window_end_ms: Date.now(),
        count: 14,
        mean: -0.58,
        weighted_mean: -0.62,
        value: -0.62,
        bearish: 11,
        bearish_share: 0.7857,
        baseline_mean: 0.08,
        baseline_std: 0.14,
        shift_std_devs: 5.1,
      },
    });
    expect(await stack.flushAlerts()).toBeGreaterThanOrEqual(3);
    await page.getByTestId("warning-toast").first().waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("warning-toast").count()).toBeGreaterThanOrEqual(1);
    await page.getByTestId("open-alert").first().waitFor({ timeout: 15_000 });
    // The market-mood chart (last hour by minute) and the server's ingest rate (two samples of its counters).
    await page.locator("[data-testid=market-mood] [data-testid=mood-chart] canvas").first().waitFor({ timeout: 20_000 });
    expect(await waitFor(async () => /\d\/min/.test((await page.getByTestId("ingest-rate").textContent()) ?? ""), 20_000)).toBe(true);
    // Away from the cursor the legend shows each series' latest value, not "—".
    const legend = (await page.locator("[data-testid=market-mood] .u-legend").textContent()) ?? "";
    expect(legend).toContain("latest");
    await page.waitForTimeout(600);
    await screenshot(page, "03-live-dark");
    await page.getByTestId("theme-toggle").click();
    await page.waitForTimeout(300);
    await screenshot(page, "04-live-light");
    await page.getByTestId("theme-toggle").click();
  }, 90_000);

  it("alerts: list, detail with evidence highlights, acknowledge", async () => {
    await page.goto(`${stack.url}/alerts`);
    await page.getByTestId("alert-row").first().waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("alert-row").count()).toBeGreaterThanOrEqual(3);
    await page.getByTestId("alert-row").filter({ hasText: "sentiment dropped" }).first().click();
    await page.getByTestId("ack-button").waitFor();
    await page.getByTestId("evidence-item").first().waitFor();
    await page.waitForTimeout(800);
    // Human times, not epoch milliseconds; the rule's value is not shown twice; attributions shade whole words.
    const win = (await page.getByTestId("alert-window").textContent()) ?? "";
    expect(win).toMatch(/\d{1,2}:\d{2}/);
    const figs = (await page.getByTestId("alert-figures").textContent()) ?? "";
    expect(figs).not.toMatch(/\d{1,3}(,\d{3}){3,}|\d{12,}/);
    const labels = await page.locator("[data-testid=alert-figures] .figure .k").allTextContents();
    expect(labels).not.toContain("weighted mean");
    expect(labels.some((l) => l.startsWith("value"))).toBe(true);
    const cut = await page.locator("[data-testid=evidence-item] .attr").evaluateAll((els) =>
      els.flatMap((el) => {
        const p = el.closest(".item-text");
        if (!p) return [];
        const r = document.createRange();
        r.setStart(p, 0);
        r.setEnd(el, 0);
        const at = r.toString().length;
        const full = p.textContent ?? "";
        const t = el.textContent ?? "";
        const word = /[\p{L}\p{N}]/u;
        return word.test(full[at - 1] ?? " ") || word.test(full[at + t.length] ?? " ") || !/\p{L}/u.test(t) ? [t] : [];
      }),
    );
    expect(cut, `attribution shading cuts words: ${cut.join(", ")}`).toEqual([]);
    await screenshot(page, "05-alerts-detail");
    await page.getByTestId("ack-button").click();
    await page.getByTestId("alert-detail").getByText("acknowledged", { exact: true }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, "06-alerts-acknowledged");
  }, 60_000);

  it("entity page: charts, items, open alerts, topic mix", async () => {
    await page.goto(`${stack.url}/entities/${encodeURIComponent(entityKey)}`);
    await page.locator("[data-testid=sentiment-chart] canvas").first().waitFor({ timeout: 20_000 });
    await page.getByTestId("feed-item").first().waitFor({ timeout: 15_000 });
    await page.waitForTimeout(500);
    await screenshot(page, "07-entity");
  }, 60_000);

  it("entity registry: add two entities, an alias, a refused colliding alias, a merge — all in the history", async () => {
    const addEntity = async (id: string, name: string, ticker: string, aliases: string) => {
      const form = page.getByTestId("add-entity-form");
      await form.locator("#new-entity-id").fill(id);
      await form.locator("#new-entity-name").fill(name);
      await form.locator("#new-entity-ticker").fill(ticker);
      await form.locator("#new-entity-aliases").fill(aliases);
      await form.getByRole("button", { name: "Add entity" }).click();
      await form.getByText(`Added ${name} (E:${id})`).waitFor({ timeout: 10_000 });
    };
    await page.goto(`${stack.url}/entities`);
    await page.getByTestId("entity-registry").waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: "New entity" }).click();
    await addEntity("quillon-robotics", "Quillon Robotics", "QLRB", "Quillon Robotics Inc");
    await addEntity("quillon-dup", "Quillon Robo", "", "Quillon Robo Works");

    // Search by ticker finds the first; its page holds the registry panel.
    await page.getByTestId("entity-search").fill("QLRB");
    await page.getByRole("search").getByRole("button", { name: "Search" }).click();
    const hit = page.getByTestId("entity-results").getByRole("link", { name: "Quillon Robotics" });
    await hit.waitFor({ timeout: 10_000 });
    await hit.click();
    const panel = page.getByTestId("registry-panel");
    await panel.waitFor({ timeout: 15_000 });
    const aliasInput = panel.getByLabel("New alias");
    await aliasInput.fill("QR Automation");
    await panel.getByRole("button", { name: "Add alias" }).click();
    // Each alias chip carries its own remove button, named for the alias.
    await panel.getByRole("button", { name: "Remove alias QR Automation" }).waitFor({ timeout: 10_000 });
    // An alias another entity holds is refused with the API's reason, and nothing changes.
    await aliasInput.fill("Quillon Robo Works");
    await panel.getByRole("button", { name: "Add alias" }).click();
    await panel.getByRole("alert").waitFor({ timeout: 10_000 });
    expect(await panel.getByRole("alert").textContent()).toMatch(/quillon-dup|already/i);
    expect(await panel.getByRole("button", { name: "Remove alias Quillon Robo Works" }).count()).toBe(0);
    expect(await panel.getByRole("button", { name: /^Remove alias / }).count()).toBe(2);
    await screenshot(page, "07b-entity-registry-alias");

    // Merge the duplicate into it: the page moves to the survivor, which lists it; the duplicate says where it went.
    await page.goto(`${stack.url}/entities/${encodeURIComponent("E:quillon-dup")}`);
    const dup = page.getByTestId("registry-panel");
    await dup.getByLabel("Merge into entity id").fill("quillon-robotics");
    page.once("dialog", (d) => void d.accept());
    await dup.getByRole("button", { name: "Merge" }).click();
    await page.waitForURL(/quillon-robotics/, { timeout: 15_000 });
    await page.getByTestId("registry-panel").getByTestId("merged-ids").getByText("quillon-dup").waitFor({ timeout: 15_000 });
    await page.goto(`${stack.url}/entities/${encodeURIComponent("E:quillon-dup")}`);
    await page.getByTestId("registry-panel").getByText("Merged into").waitFor({ timeout: 15_000 });
    const { changes } = (await (await stack.apiFetch("/api/v1/entities/changes?limit=20")).json()) as {
      changes: { action: string; entity_ids: string[] }[];
    };
    const mine = changes.filter((c) => c.entity_ids.some((id) => id.startsWith("quillon"))).map((c) => c.action);
    expect(mine).toEqual(expect.arrayContaining(["add_entity", "add_alias", "merge"]));
    expect(mine.filter((a) => a === "add_alias")).toHaveLength(1); // the refused alias recorded nothing
    await screenshot(page, "07c-entity-registry-merged");
  }, 90_000);

  it("labelling queue: key 1 labels bearish and advances", async () => {
    await page.goto(`${stack.url}/labels`);
    await page.getByTestId("label-card").waitFor({ timeout: 15_000 });
    await screenshot(page, "08-labels");
    const before = await page.getByTestId("label-text").textContent();
    await page.keyboard.press("1");
    await page.getByText(/^Saved: bearish/).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId("label-text").textContent()).not.toBe(before);
    await page.keyboard.press("t");
    await page.getByTestId("topic-picker").waitFor();
    await page.keyboard.type("earn");
    await page.waitForTimeout(200);
    await screenshot(page, "09-labels-topic-picker");
    await page.keyboard.press("Enter");
    await page.getByTestId("pending-topic").waitFor();
  }, 60_000);

  it("streams: register an HTTP stream with a mapping", async () => {
    await page.goto(`${stack.url}/streams`);
    await page.getByTestId("stream-row").first().waitFor({ timeout: 15_000 });
    await page.getByTestId("new-stream").click();
    const form = page.getByTestId("stream-form");
    await form.locator("#s-id").fill("Bad Id");
    await form.getByRole("radio", { name: "HTTP push" }).click();
    await form.locator("#m-text").fill("body.headline");
    await page.getByTestId("stream-submit").click();
    await form.locator(".field-error").first().waitFor();
    await screenshot(page, "10-streams-form-errors");
    await form.locator("#s-id").fill("acme-wire");
    await form.locator("#m-published_at").fill("ts");
    await form.locator("#m-source").fill("= acme");
    await page.getByTestId("stream-submit").click();
    await page.getByTestId("stream-row").filter({ hasText: "acme-wire" }).waitFor({ timeout: 10_000 });
    await page.getByTestId("stream-row").first().click();
    await page.getByTestId("stream-detail").getByTestId("feed-item").first().waitFor({ timeout: 10_000 });
    await screenshot(page, "11-streams");
  }, 60_000);

  it("rules: select a rule and backtest it", async () => {
    await page.goto(`${stack.url}/rules`);
    await page.getByTestId("rule-row").first().waitFor({ timeout: 15_000 });
    await page.getByTestId("rule-row").first().click();
    await page.getByTestId("rule-editor").waitFor();
    await page.getByTestId("backtest-run").click();
    await page.getByTestId("backtest").getByText("Would fire").waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500);
    await screenshot(page, "12-rules-backtest");
  }, 90_000);

  it("webhooks: create (secret shown once), test ping, deliveries", async () => {
    await page.goto(`${stack.url}/webhooks`);
    await page.getByTestId("new-webhook").click();
    const form = page.getByTestId("webhook-form");
    await form.locator("#wh-url").fill(stack.receiver.url);
    await form.locator("#wh-desc").fill("Risk desk receiver");
    await page.getByTestId("webhook-submit").click();
    await page.getByTestId("secret-reveal").waitFor({ timeout: 10_000 });
    expect(await page.locator(".secret").textContent()).toMatch(/\S{16,}/);
    await page.getByTestId("webhook-test").click();
    await page.getByTestId("webhook-test-result").waitFor({ timeout: 20_000 });
    await page.getByTestId("delivery-row").first().waitFor({ timeout: 10_000 });
    await page.getByTestId("delivery-row").first().click();
    await page.getByTestId("attempts").waitFor();
    expect(stack.receiver.received.length).toBeGreaterThanOrEqual(1);
    await screenshot(page, "13-webhooks");
  }, 60_000);

  it("models page lists the registry's champion", async () => {
    await page.goto(`${stack.url}/models`);
    await page.getByTestId("model-list").waitFor({ timeout: 15_000 });
    await page.getByTestId("model-row").first().waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("model-row").first().textContent()).toContain("finsentry-default");
    await page.waitForTimeout(800);
    await screenshot(page, "14-models");
  }, 30_000);

  it("models page offers no roll back on the only version; /favicon.ico is served", async () => {
    const { models } = (await (await stack.apiFetch("/api/v1/models")).json()) as { models: unknown[] };
    if (models.length < 2) expect(await page.getByTestId("rollback").count()).toBe(0);
    const ico = await stack.apiFetch("/favicon.ico");
    expect(ico.status).toBe(200);
    expect(ico.headers.get("content-type") ?? "").toMatch(/icon|image/);
  }, 30_000);

  it("is usable on a phone-sized screen and in the light theme", async () => {
    const phone = await signedInContext(browser, stack, { width: 390, height: 844, theme: "light" });
    const p = await phone.newPage();
    await p.goto(stack.url);
    await p.getByTestId("feed-item").first().waitFor({ timeout: 20_000 });
    await p.getByTestId("open-alert").first().waitFor({ timeout: 15_000 });
    // Warnings and movers come before the feed on a phone, not below 60 items.
    const y = async (id: string) => (await p.getByTestId(id).boundingBox())!.y;
    expect(await y("open-alerts")).toBeLessThan(await y("feed"));
    expect(await y("top-movers")).toBeLessThan(await y("feed"));
    expect(await y("open-alerts")).toBeLessThan(844);
    await screenshot(p, "15-live-phone-light");
    await p.goto(`${stack.url}/alerts`);
    await p.getByTestId("alert-row").first().waitFor({ timeout: 15_000 });
    await screenshot(p, "16-alerts-phone-light");
    await phone.close();
    expect(errors, errors.join("\n")).toEqual([]);
  }, 60_000);

  it("screenshots every page at desktop (1440x900) and phone (390x844) widths", async () => {
    const { alerts } = (await (await stack.apiFetch("/api/v1/alerts?limit=1")).json()) as { alerts: { id: string }[] };
    const pages: [string, string, string][] = [
      ["live", "/", "feed-item"],
      ["alerts", "/alerts", "alert-row"],
      ["alert-detail", `/alerts?id=${encodeURIComponent(alerts[0]?.id ?? "")}`, "alert-detail"],
      ["entities", "/entities", "top-movers"],
      ["entity", `/entities/${encodeURIComponent(entityKey)}`, "sentiment-chart"],
      ["labels", "/labels", "label-card"],
      ["streams", "/streams", "stream-row"],
      ["rules", "/rules", "rule-row"],
      ["webhooks", "/webhooks", "new-webhook"],
      ["models", "/models", "model-row"],
    ];
    const overflow: string[] = [];
    for (const [size, width, height] of [
      ["desktop", 1440, 900],
      ["phone", 390, 844],
    ] as const) {
      const c = await signedInContext(browser, stack, { width, height });
      const p = await c.newPage();
      p.on("pageerror", (e) => errors.push(`${size}: ${String(e)}`));
      for (const [name, path, testId] of pages) {
        await p.goto(stack.url + path);
        await p.getByTestId(testId).first().waitFor({ timeout: 20_000 });
        await p.waitForTimeout(900);
        await screenshot(p, `page-${name}-${size}`, { fullPage: size === "phone" });
        // Nothing wider than the screen: a page that scrolls sideways on a phone hides its controls.
        const sw = await p.evaluate(() => document.documentElement.scrollWidth);
        if (sw > width) overflow.push(`${name} at ${size}: ${sw}px wide`);
      }
      await c.close();
    }
    expect(overflow).toEqual([]);
    expect(errors, errors.join("\n")).toEqual([]);
  }, 180_000);
});
