import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeIssues } from "../src/index.ts";

describe("describeIssues", () => {
  it("lists the allowed values for enums, literals and unions of them", () => {
    const S = z.object({
      state: z.union([z.enum(["firing", "acknowledged", "resolved"]), z.literal("open")]),
      kind: z.enum(["a", "b"]),
      mixed: z.union([z.enum(["x"]), z.number()]).optional(),
    });
    const r = S.safeParse({ state: "bogus", kind: "c", mixed: true });
    expect(r.success).toBe(false);
    expect(describeIssues(r.error!)).toEqual([
      { path: "state", message: 'Invalid option: expected one of "firing"|"acknowledged"|"resolved"|"open"' },
      { path: "kind", message: 'Invalid option: expected one of "a"|"b"' },
      // Not a pure choice: zod's own message stays.
      { path: "mixed", message: "Invalid input" },
    ]);
  });
});
