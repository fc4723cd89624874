import { describe, expect, it } from "vitest";
import { ingestDocument, splitBody } from "../src/index.ts";

const origin = { stream: "news", topic: null, partition: null, offset: null };
const item = (over: Record<string, unknown> = {}) => ({
  source: "wire",
  published_at: "2026-01-02T03:04:05Z",
  text: "Acme beats estimates",
  ...over,
});
const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

describe("ingest hygiene", () => {
  it("dead-letters documents Postgres cannot store, naming the field", () => {
    const r = ingestDocument(JSON.stringify(item({ text: "a\u0000b" })), origin);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.deadLetter).toMatchObject({ reason: "invalid_fields", errors: [{ path: "text" }] });
    const s = ingestDocument(item({ source: "x\ud800" }), origin);
    expect(!s.ok && s.deadLetter.errors[0]!.path).toBe("source");
    // Unmapped fields of a custom stream's document are kept as jsonb: checked too.
    const mapped = ingestDocument(JSON.stringify({ h: "headline", t: "2026-01-01T00:00:00Z", extra: { note: "x\u0000" } }), origin, {
      mapping: { text: "h", published_at: "t", published_at_format: "iso" },
    });
    expect(!mapped.ok && mapped.deadLetter.errors[0]).toEqual({ path: "extra.note", message: expect.stringMatching(/NUL/) });
    expect(ingestDocument(JSON.stringify(item()), origin).ok).toBe(true);
  });

  it("refuses hostile nesting without overflowing the stack", () => {
    const r = ingestDocument(deep(2_000), origin);
    expect(!r.ok && r.deadLetter.reason).toBe("invalid_fields");
    let v: unknown = 1;
    for (let i = 0; i < 200_000; i++) v = [v];
    const o = ingestDocument(v, origin);
    expect(!o.ok && o.deadLetter.errors[0]!.message).toMatch(/nested deeper/);
    // A deep array body is not unpacked (JSON.stringify would overflow): it stays one document.
    expect(splitBody(deep(200_000), "application/json")).toHaveLength(1);
  });
});
