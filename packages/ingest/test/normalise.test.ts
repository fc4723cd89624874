import { describe, expect, it } from "vitest";
import { applyMapping, contentId, FieldMapping, ingestDocument, splitBody } from "../src/index.ts";

const origin = { stream: "news", topic: "news", partition: 0, offset: "5" };
const good = { source: "wire", published_at: "2026-01-02T03:04:05Z", text: "Acme  shares jump 5%", url: "https://x.example/a" };

describe("ingestDocument", () => {
  it("normalises a valid item and derives a content id", () => {
    const r = ingestDocument(JSON.stringify(good), origin, { now: new Date("2026-01-02T03:05:00Z") });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.item.text).toBe("Acme shares jump 5%");
    expect(r.item.published_at).toBe("2026-01-02T03:04:05.000Z");
    expect(r.item.stream).toBe("news");
    expect(r.item.id).toBe(contentId("wire", "Acme shares jump 5%"));
  });

  it("gives exact re-posts the same id and different sources different ids", () => {
    const a = ingestDocument(JSON.stringify(good), origin);
    const b = ingestDocument(JSON.stringify({ ...good, text: "Acme shares jump 5% " }), origin);
    const c = ingestDocument(JSON.stringify({ ...good, source: "other" }), origin);
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(a.item.id).toBe(b.item.id);
    expect(a.item.id).not.toBe(c.item.id);
  });

  it.each([
    ["malformed JSON", "{not json", "malformed_json", "(root)"],
    ["missing text", JSON.stringify({ ...good, text: undefined }), "invalid_fields", "text"],
    ["wrong type", JSON.stringify({ ...good, published_at: 12 }), "invalid_fields", "published_at"],
    ["bad date", JSON.stringify({ ...good, published_at: "yesterday" }), "invalid_fields", "published_at"],
    ["blank text", JSON.stringify({ ...good, text: "   " }), "invalid_fields", "text"],
    ["oversize text", JSON.stringify({ ...good, text: "x".repeat(33 * 1024) }), "oversize", "text"],
    ["unknown field", JSON.stringify({ ...good, sentiment: "up" }), "unknown_fields", "(root)"],
    ["not an object", JSON.stringify([1, 2]), "invalid_fields", "(root)"],
  ])("rejects %s with a reason", (_name, payload, reason, path) => {
    const r = ingestDocument(payload, origin);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.deadLetter.reason).toBe(reason);
    expect(r.deadLetter.errors.map((e) => e.path)).toContain(path);
    expect(r.deadLetter.origin).toEqual({ topic: "news", partition: 0, offset: "5" });
    expect(r.deadLetter.payload.length).toBeGreaterThan(0);
  });

  it("rejects a message far beyond any valid size without parsing it", () => {
    const r = ingestDocument("{" + " ".repeat(300_000) + "}", origin);
    expect(!r.ok && r.deadLetter.reason).toBe("oversize");
  });
});

describe("field mappings", () => {
  const mapping = FieldMapping.parse({
    text: "body.headline",
    published_at: "ts",
    published_at_format: "unix_ms",
    source: { const: "acme-feed" },
    id: "uid",
  });

  it("maps nested fields, converts timestamps and keeps the original as raw", () => {
    const doc = { body: { headline: "Acme wins contract" }, ts: 1767323045000, uid: 42, extra: true };
    const r = ingestDocument(JSON.stringify(doc), { ...origin, stream: "acme" }, { mapping });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.item).toMatchObject({
      source: "acme-feed",
      stream: "acme",
      external_id: "42",
      text: "Acme wins contract",
      published_at: "2026-01-02T03:04:05.000Z",
    });
    expect(r.item.raw).toEqual(doc);
  });

  it("names the missing source path", () => {
    const r = ingestDocument(JSON.stringify({ ts: 1 }), origin, { mapping });
    expect(!r.ok && r.deadLetter.reason).toBe("mapping_failed");
    expect(!r.ok && r.deadLetter.errors[0]!.path).toBe("body.headline");
  });

  it("validates the mapping itself", () => {
    expect(FieldMapping.safeParse({ text: "a..b", published_at: "t" }).success).toBe(false);
    expect(FieldMapping.safeParse({ text: "a", published_at: "t", bogus: 1 }).success).toBe(false);
    expect(applyMapping(null, mapping, "s").ok).toBe(false);
  });
});

describe("splitBody", () => {
  it("splits NDJSON with line numbers, skipping blank lines", () => {
    const docs = splitBody('{"a":1}\n\n{bad\n{"b":2}\n', "application/x-ndjson");
    expect(docs.map((d) => d.line)).toEqual([1, 3, 4]);
  });
  it("accepts a JSON array or a single object", () => {
    expect(splitBody('[{"a":1},{"b":2}]', "application/json")).toHaveLength(2);
    expect(splitBody('{"a":1}', "application/json")).toEqual([{ line: 1, payload: '{"a":1}' }]);
  });
});
