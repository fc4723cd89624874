import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "@finsentry/core";
import { LexiconBaselineScorer, loadTextScorer, ModelLoadError } from "@finsentry/pipeline";
import { startService } from "./support/processes.ts";

const log = createLogger("test", "silent");

describe("the scorer refuses to start without a valid model", () => {
  it("exits non-zero with a one-line reason when MODEL_DIR names no model", async () => {
    const env: Record<string, string> = {
      MODEL_DIR: "/nonexistent/finsentry-model",
      DATABASE_URL: "memory://",
      KAFKA_BROKERS: "",
      LOG_LEVEL: "silent",
    };
    const child = startService("scorer", env);
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code, child.output()).toBe(1);
    const lines = child.output().trim().split("\n");
    expect(lines).toContain(
      "scorer: cannot start: no model at MODEL_DIR /nonexistent/finsentry-model (no manifest.json): point MODEL_DIR at a model version directory, or set SCORER_FALLBACK=lexicon to score with the regex baseline on purpose",
    );
  }, 60_000);

  it("exits non-zero with a one-line reason when the cascade's accurate tier is missing", async () => {
    const env: Record<string, string> = {
      ACCURATE_MODEL_DIR: "/nonexistent/accurate",
      DATABASE_URL: "memory://",
      KAFKA_BROKERS: "",
      LOG_LEVEL: "silent",
    };
    const child = startService("scorer", env);
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code, child.output()).toBe(1);
    expect(child.output().trim().split("\n")).toContain(
      "scorer: cannot start: no accurate-tier model at ACCURATE_MODEL_DIR /nonexistent/accurate (no manifest.json): point it at one, or set SCORER_TIERS=fast",
    );
  }, 60_000);

  it("names an invalid model directory, and serves the lexicon baseline only when asked", async () => {
    const dir = mkdtempSync(join(tmpdir(), "finsentry-bad-model-"));
    writeFileSync(join(dir, "manifest.json"), "{ not json");
    await expect(loadTextScorer(log, dir)).rejects.toThrow(ModelLoadError);
    await expect(loadTextScorer(log, dir)).rejects.toThrow(`MODEL_DIR ${dir} holds an invalid model`);
    await expect(loadTextScorer(log, join(dir, "missing"))).rejects.toThrow(/no model at MODEL_DIR/);
    expect(await loadTextScorer(log, join(dir, "missing"), "lexicon")).toBeInstanceOf(LexiconBaselineScorer);
  });
});
