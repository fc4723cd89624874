import type { EntityType } from "@finsentry/schemas";
import type { Example } from "../data/example.ts";
import { NO_LABEL, type Encoded } from "./encode.ts";

/** Surface forms seen per entity type in the training set, for entity swapping. */
export type EntityPool = Map<EntityType, string[]>;

export function buildEntityPool(examples: readonly Example[], maxPerType = 5000): EntityPool {
  const pool: EntityPool = new Map();
  for (const e of examples) {
    for (const s of e.entities ?? []) {
      const list = pool.get(s.type) ?? [];
      if (list.length < maxPerType) list.push(e.text.slice(s.start, s.end));
      pool.set(s.type, list);
    }
  }
  for (const [k, v] of pool) pool.set(k, [...new Set(v)]);
  return pool;
}

/**
 * Replaces each entity mention, with probability p, by another mention of the same type (spans re-anchored).
 * Keeps sentiment/topic labels: they rarely hinge on which company is named, and the swap teaches exactly that.
 */
export function swapEntities(e: Example, pool: EntityPool, p: number, rnd: () => number): Example {
  if (!e.entities || e.entities.length === 0 || p <= 0) return e;
  let text = "";
  let at = 0;
  const entities: NonNullable<Example["entities"]> = [];
  for (const s of [...e.entities].sort((a, b) => a.start - b.start)) {
    if (s.start < at) continue; // overlapping span: drop it from this copy
    const cands = pool.get(s.type);
    const surface = cands && cands.length > 0 && rnd() < p ? cands[Math.floor(rnd() * cands.length)]! : e.text.slice(s.start, s.end);
    text += e.text.slice(at, s.start);
    entities.push({ start: text.length, end: text.length + surface.length, type: s.type });
    text += surface;
    at = s.end;
  }
  text += e.text.slice(at);
  return { ...e, text, entities };
}

/** Drops each non-[CLS] token with probability p (keeping at least one), tags dropped with their tokens; I after a dropped B becomes B. */
export function tokenDropout(x: Encoded, p: number, rnd: () => number): Encoded {
  if (p <= 0 || x.ids.length <= 2) return x;
  const keep: number[] = [0];
  for (let t = 1; t < x.ids.length; t++) if (rnd() >= p) keep.push(t);
  if (keep.length === 1) keep.push(1);
  const ids = Int32Array.from(keep, (t) => x.ids[t]!);
  let tags: Int8Array | null = null;
  if (x.tags) {
    tags = Int8Array.from(keep, (t) => x.tags![t]!);
    for (let i = 1; i < tags.length; i++) {
      const tg = tags[i]!;
      const prev = tags[i - 1]!;
      // An I- tag must follow a tag of the same type; otherwise it starts the span.
      if (tg > 0 && tg % 2 === 0 && !(prev !== NO_LABEL && prev > 0 && Math.ceil(prev / 2) === tg / 2)) tags[i] = tg - 1;
    }
  }
  return { ...x, ids, tags };
}
