import { z } from "zod";

/** A dot path into a JSON object (e.g. `data.headline`), or a constant. */
const PathOrConst = z.union([
  z
    .string()
    .min(1)
    .max(256)
    .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "must be a dot path like data.headline"),
  z.object({ const: z.string().min(1).max(256) }).strict(),
]);

/** How a custom stream's JSON documents map onto the item schema. Unmapped fields are kept in `raw`. */
export const FieldMapping = z
  .object({
    text: PathOrConst,
    published_at: PathOrConst,
    published_at_format: z.enum(["iso", "unix_s", "unix_ms"]).default("iso"),
    source: PathOrConst.optional(),
    id: PathOrConst.optional(),
    url: PathOrConst.optional(),
    author: PathOrConst.optional(),
    lang: PathOrConst.optional(),
  })
  .strict();
export type FieldMapping = z.infer<typeof FieldMapping>;
export type FieldMappingInput = z.input<typeof FieldMapping>;

function get(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function resolve(doc: unknown, spec: z.infer<typeof PathOrConst> | undefined): unknown {
  if (spec === undefined) return undefined;
  return typeof spec === "string" ? get(doc, spec) : spec.const;
}

export type MappingResult =
  { ok: true; value: Record<string, unknown>; raw: Record<string, unknown> } | { ok: false; errors: { path: string; message: string }[] };

/** Applies a mapping; missing required fields become errors naming the source path. */
export function applyMapping(doc: unknown, mapping: FieldMapping, defaultSource: string): MappingResult {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return { ok: false, errors: [{ path: "(root)", message: "expected a JSON object" }] };
  }
  const errors: { path: string; message: string }[] = [];
  const out: Record<string, unknown> = {};
  for (const field of ["text", "published_at", "source", "id", "url", "author", "lang"] as const) {
    const spec = mapping[field];
    const v = resolve(doc, spec);
    if (v === undefined || v === null) {
      if (field === "text" || field === "published_at")
        errors.push({ path: typeof spec === "string" ? spec : field, message: `missing (mapped to ${field})` });
      continue;
    }
    out[field] = v;
  }
  if (out.source === undefined) out.source = defaultSource;
  if (out.published_at !== undefined && mapping.published_at_format !== "iso") {
    const n = Number(out.published_at);
    if (!Number.isFinite(n)) errors.push({ path: String(mapping.published_at), message: `not a ${mapping.published_at_format} timestamp` });
    else out.published_at = new Date(mapping.published_at_format === "unix_s" ? n * 1000 : n).toISOString();
  }
  if (typeof out.id === "number") out.id = String(out.id);
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: out, raw: doc as Record<string, unknown> };
}
