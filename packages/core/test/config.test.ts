import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

describe("process configuration", () => {
  it("validates the Kafka session timeout instead of passing NaN to the client", () => {
    expect(loadConfig({}).KAFKA_SESSION_TIMEOUT_MS).toBe(15_000);
    expect(loadConfig({ KAFKA_SESSION_TIMEOUT_MS: "8000" }).KAFKA_SESSION_TIMEOUT_MS).toBe(8_000);
    for (const bad of ["abc", "1000", "999999", "1.5"])
      expect(() => loadConfig({ KAFKA_SESSION_TIMEOUT_MS: bad }), bad).toThrow(/invalid configuration: KAFKA_SESSION_TIMEOUT_MS/);
  });

  it("accepts the scorer fallback only as none or lexicon", () => {
    expect(loadConfig({}).SCORER_FALLBACK).toBe("none");
    expect(loadConfig({ SCORER_FALLBACK: "lexicon" }).SCORER_FALLBACK).toBe("lexicon");
    expect(() => loadConfig({ SCORER_FALLBACK: "regex" })).toThrow(/SCORER_FALLBACK/);
  });
});
