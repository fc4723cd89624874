import { describe, expect, it } from "vitest";
import { findUnsafeInput, IsoDate, isPgInstant, isPgText, jsonTextDepth, MAX_JSON_DEPTH, PG_TEXT_MESSAGE, pgText } from "../src/index.ts";

describe("Postgres-safe text", () => {
  it("refuses NUL and unpaired surrogates, keeps every other character (pairs included)", () => {
    for (const bad of ["\u0000", "a\u0000b", "\ud800", "x\udfff", "\udc00\ud800"]) expect(isPgText(bad), JSON.stringify(bad)).toBe(false);
    for (const ok of ["", "plain", "😀 emoji pair", "\u202e\ufeff", "e\u0301", "\u0001\u001f"])
      expect(isPgText(ok), JSON.stringify(ok)).toBe(true);
  });

  it("pgText chains like z.string() and names the problem", () => {
    const s = pgText().min(2).max(5);
    expect(s.safeParse("abc").success).toBe(true);
    expect(s.safeParse("abcdef").success).toBe(false);
    expect(s.safeParse("a\u0000").error?.issues[0]?.message).toBe(PG_TEXT_MESSAGE);
  });

  it("finds the first unsafe string or key anywhere in a value, with its path", () => {
    expect(findUnsafeInput({ a: [1, { b: "ok" }], c: "fine" })).toBeNull();
    expect(findUnsafeInput({ a: [1, { b: "x\u0000" }] })).toEqual({ path: "a.1.b", message: PG_TEXT_MESSAGE });
    expect(findUnsafeInput({ ok: 1, "k\u0000": 1 })?.path).toBe("k\ufffd");
    expect(findUnsafeInput("\ud800")?.path).toBe("(root)");
  });

  it("measures nesting without recursion, both decoded and as text", () => {
    let v: unknown = 0;
    for (let i = 0; i < 500_000; i++) v = { a: v };
    expect(findUnsafeInput(v)?.message).toMatch(/nested deeper than 32/);
    let ok: unknown = 0;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) ok = [ok];
    expect(findUnsafeInput(ok)).toBeNull();
    expect(jsonTextDepth("[".repeat(1_000_000))).toBe(1_000_000);
    // Brackets inside strings (escaped quotes included) do not count.
    expect(jsonTextDepth('{"a":"[[{{\\"]]","b":[{"c":"\\\\"}]}')).toBe(3);
    expect(jsonTextDepth("1")).toBe(0);
  });

  it("accepts only timestamps Postgres can hold", () => {
    for (const ok of ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "2026-01-01T00:00:00+15:59", "2026-01-01T00:00:00-15:00"])
      expect(isPgInstant(ok), ok).toBe(true);
    for (const bad of ["0000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "2026-01-01T00:00:00+16:00", "2026-01-01T00:00:00-23:59"])
      expect(isPgInstant(bad), bad).toBe(false);
    expect(IsoDate.safeParse("0000-06-01T00:00:00Z").success).toBe(false);
    expect(IsoDate.safeParse("2026-06-01T00:00:00Z").success).toBe(true);
    expect(IsoDate.safeParse("yesterday").error?.issues).toHaveLength(1);
  });
});
