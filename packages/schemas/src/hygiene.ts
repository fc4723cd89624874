import { z } from "zod";

/**
 * Input hygiene shared by every edge (HTTP bodies, params, queries; ingested documents).
 *
 * Postgres `text` cannot hold NUL (U+0000), and `jsonb` rejects both `\u0000` and an unpaired surrogate escape
 * (which JSON.stringify writes for a lone UTF-16 surrogate). Such strings would otherwise reach SQL and fail there
 * as a 500, so they are refused at validation with a 400 naming the field.
 */
export const PG_TEXT_MESSAGE = "must not contain NUL (U+0000) or unpaired surrogate characters";

/** Deepest JSON nesting (objects + arrays) any API body or ingested document may have. */
export const MAX_JSON_DEPTH = 32;

/** True when Postgres text/jsonb can store `s` as is. */
export function isPgText(s: string): boolean {
  return !UNSAFE.test(s);
}
// With the `u` flag a surrogate pair is one code point, so \p{Cs} matches only unpaired halves.
const UNSAFE = /[\u0000\p{Cs}]/u;
const UNSAFE_ALL = /[\u0000\p{Cs}]/gu;

/** A string Postgres can store: use in place of `z.string()` for anything that reaches the database. */
export const pgText = () => z.string().refine(isPgText, { message: PG_TEXT_MESSAGE, abort: true });

export interface InputProblem {
  path: string;
  message: string;
}

/**
 * Walks any decoded JSON-like value (iteratively, so hostile nesting cannot overflow the stack) and reports the first
 * string or key Postgres cannot store, or nesting deeper than `maxDepth`. Null when the value is clean.
 */
export function findUnsafeInput(value: unknown, maxDepth = MAX_JSON_DEPTH): InputProblem | null {
  const stack: { v: unknown; path: (string | number)[]; depth: number }[] = [{ v: value, path: [], depth: 0 }];
  const name = (p: (string | number)[]) => p.join(".") || "(root)";
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === "string") {
      if (!isPgText(v)) return { path: name(path), message: PG_TEXT_MESSAGE };
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (depth >= maxDepth) return { path: name(path), message: `nested deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i], depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (!isPgText(k)) return { path: name([...path, k.replace(UNSAFE_ALL, "\ufffd")]), message: `key ${PG_TEXT_MESSAGE}` };
      stack.push({ v: (v as Record<string, unknown>)[k], path: [...path, k], depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Nesting depth of JSON text without parsing it: brackets outside strings are counted in one linear scan, so a
 * body can be refused before JSON.parse (and before anything recursive walks the result). Malformed text is left
 * for the parser to reject.
 */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) max = depth;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}
