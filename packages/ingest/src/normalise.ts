import { createHash } from "node:crypto";
import { z } from "zod";
import {
  describeIssues,
  findUnsafeInput,
  IncomingItemV1,
  jsonTextDepth,
  MAX_JSON_DEPTH,
  MAX_TEXT_BYTES,
  type DeadLetter,
  type RawItem,
} from "@finsentry/schemas";
import { applyMapping, type FieldMapping } from "./mapping.ts";

/** Rejected payloads are kept on the dead-letter topic up to this size. */
const MAX_DEADLETTER_PAYLOAD = 64 * 1024;
/** A message larger than this cannot hold a valid item (32 KB text + metadata) and is not even parsed. */
const MAX_MESSAGE_BYTES = MAX_TEXT_BYTES * 4 + 16 * 1024;

export interface Origin {
  stream: string;
  topic: string | null;
  partition: number | null;
  offset: string | null;
}

export type IngestResult = { ok: true; item: RawItem } | { ok: false; deadLetter: DeadLetter };

/** Collapses whitespace and Unicode forms so trivially different copies hash alike. */
export function normaliseText(text: string): string {
  return text.normalize("NFC").replace(/\s+/g, " ").trim();
}

/** The item id: a content hash of source + normalised text, so exact re-posts collapse to one item. */
export function contentId(source: string, text: string): string {
  return createHash("sha256").update(source).update("\u0000").update(normaliseText(text)).digest("hex").slice(0, 32);
}

function reject(
  origin: Origin,
  payload: Buffer | string,
  reason: DeadLetter["reason"],
  errors: DeadLetter["errors"],
  now: Date,
): IngestResult {
  const s = typeof payload === "string" ? payload : payload.toString("utf8");
  return {
    ok: false,
    deadLetter: {
      v: 1,
      at: now.toISOString(),
      stream: origin.stream,
      origin: { topic: origin.topic, partition: origin.partition, offset: origin.offset },
      reason,
      errors,
      payload: s.length > MAX_DEADLETTER_PAYLOAD ? s.slice(0, MAX_DEADLETTER_PAYLOAD) : s,
    },
  };
}

function classify(error: z.ZodError): DeadLetter["reason"] {
  if (error.issues.some((i) => i.code === "unrecognized_keys")) return "unknown_fields";
  if (error.issues.some((i) => i.path[0] === "text" && /exceeds/.test(i.message))) return "oversize";
  return "invalid_fields";
}

/**
 * Validates and normalises one incoming document. Never throws: every rejection carries a reason and
 * the problems found, ready for the dead-letter topic or an API error.
 */
export function ingestDocument(
  payload: Buffer | string | unknown,
  origin: Origin,
  opts: { mapping?: FieldMapping; now?: Date } = {},
): IngestResult {
  const now = opts.now ?? new Date();
  let doc: unknown = payload;
  if (typeof payload === "string" || Buffer.isBuffer(payload)) {
    const bytes = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
    if (bytes > MAX_MESSAGE_BYTES)
      return reject(
        origin,
        payload,
        "oversize",
        [{ path: "(root)", message: `message is ${bytes} bytes, limit ${MAX_MESSAGE_BYTES}` }],
        now,
      );
    const text = payload.toString();
    // Refused before parsing: nothing downstream (JSON.stringify, jsonb) copes with unbounded nesting.
    if (jsonTextDepth(text) > MAX_JSON_DEPTH)
      return reject(origin, payload, "invalid_fields", [{ path: "(root)", message: `nested deeper than ${MAX_JSON_DEPTH} levels` }], now);
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return reject(origin, payload, "malformed_json", [{ path: "(root)", message: (err as Error).message }], now);
    }
  }
  // Poison for Postgres anywhere in the document (the mapped raw document is stored as jsonb too): NUL, unpaired
  // surrogates, hostile nesting. Checked before anything serialises the document again.
  const unsafe = findUnsafeInput(doc);
  const textual = typeof payload === "string" || Buffer.isBuffer(payload);
  if (unsafe) return reject(origin, textual ? payload : "(document not kept: unsafe input)", "invalid_fields", [unsafe], now);
  const original = textual ? payload : JSON.stringify(payload);
  let candidate = doc;
  let raw: Record<string, unknown> | null = null;
  if (opts.mapping) {
    const mapped = applyMapping(doc, opts.mapping, origin.stream);
    if (!mapped.ok) return reject(origin, original, "mapping_failed", mapped.errors, now);
    candidate = mapped.value;
    raw = mapped.raw;
  }
  const parsed = IncomingItemV1.safeParse(candidate);
  if (!parsed.success) return reject(origin, original, classify(parsed.error), describeIssues(parsed.error), now);
  const v = parsed.data;
  const text = normaliseText(v.text);
  return {
    ok: true,
    item: {
      v: 1,
      id: contentId(v.source, text),
      external_id: v.id ?? null,
      source: v.source,
      stream: origin.stream,
      published_at: new Date(v.published_at).toISOString(),
      ingested_at: now.toISOString(),
      text,
      url: v.url ?? null,
      author: v.author ?? null,
      lang: v.lang ?? null,
      raw,
    },
  };
}
