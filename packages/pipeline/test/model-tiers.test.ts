import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadScorer, type OnnxScorer } from "@finsentry/model";
import { capturingLogger } from "../../../test/support/logs.ts";
import { BUNDLED_MODEL_DIR } from "../src/model-loader.ts";
import { BUNDLED_ACCURATE_DIR, loadModelTiers, loadTierConfig, type ModelTiers } from "../src/model-tiers.ts";

const { log } = capturingLogger("silent");
// The fast model reads "Satya" as an ORG and misses the rest (an uncovered capitalised word): the cascade escalates it.
const TEXTS = [
  "Shares fell after Satya Nadella spoke in Frankfurt",
  "Shares of Contoso rose 4% after strong earnings",
  "$NWM down 8% premarket",
];

describe("scorer tiers (SCORER_TIERS) with the bundled fast and accurate models", () => {
  let fastA: OnnxScorer;
  let fastB: OnnxScorer;
  let cascade: ModelTiers;
  beforeAll(async () => {
    [fastA, fastB] = await Promise.all([
      loadScorer(BUNDLED_MODEL_DIR, { log: () => {} }),
      loadScorer(BUNDLED_MODEL_DIR, { log: () => {} }),
    ]);
    cascade = await loadModelTiers(log, loadTierConfig({ SCORER_TIERS: "cascade", CASCADE_THRESHOLD: "0.8" }));
  });
  afterAll(async () => {
    await fastB.close();
    await cascade.close();
  });

  it("cascade: every output says which tier answered, an unread name goes to the accurate tier, and the version is the fast model's", async () => {
    const served = cascade.serve(fastA);
    expect(served.version).toBe(fastA.version); // what the registry and followChampion compare
    const out = await served.score(TEXTS);
    expect(out.every((o) => o.tier === "fast" || o.tier === "accurate")).toBe(true);
    expect(out[0]!.tier).toBe("accurate");
    expect(out[0]!.entities.map((e) => `${e.type}:${e.text}`)).toEqual(
      expect.arrayContaining(["PERSON:Satya Nadella", "LOCATION:Frankfurt"]),
    );
  });

  it("a hot swap of the fast tier keeps the one accurate tier loaded and serving", async () => {
    const first = cascade.serve(fastA);
    const second = cascade.serve(fastB);
    await first.close(); // what the scorer does with the previous model after a swap: closes fastA only
    const out = await second.score(TEXTS);
    expect(out[0]).toMatchObject({ tier: "accurate" });
  });

  it("fast serves the fast model unchanged; accurate serves the accurate tier alone", async () => {
    const fastOnly = await loadModelTiers(log, loadTierConfig({ SCORER_TIERS: "fast" }));
    expect(fastOnly.serve(fastB)).toBe(fastB);
    const accOnly = await loadModelTiers(log, loadTierConfig({ SCORER_TIERS: "accurate" }));
    const spare = await loadScorer(BUNDLED_MODEL_DIR, { log: () => {} });
    const served = accOnly.serve(spare);
    expect(served.version).toMatch(/^finsentry-accurate-/);
    expect((await served.score(TEXTS)).every((o) => o.tier === "accurate")).toBe(true);
    await accOnly.close();
  });

  it("refuses to start without a usable accurate tier or with a bad setting, naming what is wrong", async () => {
    await expect(loadModelTiers(log, loadTierConfig({ ACCURATE_MODEL_DIR: "/nonexistent/acc" }))).rejects.toThrow(
      /no accurate-tier model at ACCURATE_MODEL_DIR \/nonexistent\/acc .*SCORER_TIERS=fast/,
    );
    const dir = await mkdtemp(join(tmpdir(), "tiers-"));
    try {
      await cp(BUNDLED_ACCURATE_DIR, dir, { recursive: true });
      await writeFile(join(dir, "model.onnx"), "not a model");
      await expect(loadModelTiers(log, loadTierConfig({ ACCURATE_MODEL_DIR: dir }))).rejects.toThrow(/holds an invalid model: .*sha256/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => loadTierConfig({ SCORER_TIERS: "both" })).toThrow(/invalid scorer tier configuration: SCORER_TIERS/);
    expect(() => loadTierConfig({ CASCADE_THRESHOLD: "high" })).toThrow(/CASCADE_THRESHOLD/);
    expect(() => loadTierConfig({ CASCADE_SENTIMENT_BLEND: "1.5" })).toThrow(/CASCADE_SENTIMENT_BLEND/);
    expect(loadTierConfig({ CASCADE_SENTIMENT_BLEND: "0" }).CASCADE_SENTIMENT_BLEND).toBe(0);
  });
});
