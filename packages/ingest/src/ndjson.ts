import { jsonTextDepth, MAX_JSON_DEPTH } from "@finsentry/schemas";

/** One document of a JSON / JSON-array / NDJSON request body, with its 1-based line for error reports. */
export interface BodyDocument {
  line: number;
  payload: string;
}

/**
 * Splits a request body into documents: a JSON array, a single JSON object, or NDJSON (one per line).
 * Unparseable lines are still returned so the caller can reject them with their line number.
 */
export function splitBody(body: string, contentType: string | undefined): BodyDocument[] {
  const trimmed = body.trim();
  const ndjson = /ndjson|jsonlines|x-jsonl/i.test(contentType ?? "");
  // A hostile nesting depth is not unpacked (re-serialising it would overflow the stack): it stays one document,
  // which the caller's validation rejects.
  if (!ndjson && trimmed.startsWith("[") && jsonTextDepth(trimmed) <= MAX_JSON_DEPTH + 1) {
    try {
      const arr = JSON.parse(trimmed) as unknown[];
      if (Array.isArray(arr)) return arr.map((d, i) => ({ line: i + 1, payload: JSON.stringify(d) }));
    } catch {
      // fall through: treated as NDJSON so each bad line is reported
    }
  }
  if (!ndjson && trimmed.startsWith("{") && !trimmed.includes("\n")) return [{ line: 1, payload: trimmed }];
  const out: BodyDocument[] = [];
  body.split(/\r?\n/).forEach((l, i) => {
    if (l.trim()) out.push({ line: i + 1, payload: l });
  });
  return out;
}
