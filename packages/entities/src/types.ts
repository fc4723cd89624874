import { z } from "zod";
import { CANONICAL_PREFIX } from "@finsentry/schemas";

export const ENTITY_KINDS = ["instrument", "person", "place"] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** Stable once created. Instruments from listings: the ticker's slug (BRK.B → brk-b); `person-…`, `place-…` otherwise. */
export const EntityId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "expected an id of lower-case letters, digits and dashes (at most 64)");

export const RegistryEntitySchema = z
  .strictObject({
    id: EntityId,
    kind: z.enum(ENTITY_KINDS),
    name: z.string().trim().min(1).max(200),
    ticker: z
      .string()
      .regex(/^[A-Z0-9]{1,6}(?:[.-][A-Z]{1,2})?$/, "expected an upper-case ticker like TSLA or BRK.B")
      .optional(),
    exchange: z.string().trim().min(1).max(40).optional(),
    aliases: z.array(z.string().trim().min(1).max(200)).max(200),
  })
  .superRefine((e, ctx) => {
    // The id says the kind (see entityTypesOfKey): a person's id must not read as an instrument's, and vice versa.
    const want = e.kind === "person" ? "person-" : e.kind === "place" ? "place-" : null;
    if (want ? !e.id.startsWith(want) : /^(person|place)-/.test(e.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["id"],
        message: want ? `a ${e.kind}'s id starts with "${want}"` : "an instrument's id cannot start with person- or place-",
      });
    }
    if (e.ticker && e.kind !== "instrument") ctx.addIssue({ code: "custom", path: ["ticker"], message: "only an instrument has a ticker" });
  });
export type RegistryEntity = z.infer<typeof RegistryEntitySchema>;

export const RegistrySnapshotSchema = z.object({ version: z.int().nonnegative(), entities: z.array(RegistryEntitySchema) });
export type RegistrySnapshot = z.infer<typeof RegistrySnapshotSchema>;

export function canonicalKey(id: string): string {
  return CANONICAL_PREFIX + id;
}

export function isCanonicalKey(key: string): boolean {
  return key.startsWith(CANONICAL_PREFIX);
}

/** A mention as the model found it: type, surface text and its span in the item's text. */
export interface MentionIn {
  type: string;
  text: string;
  start: number;
  end: number;
}

export interface Resolution {
  /** The canonical key when resolved; otherwise the surface key (as before the registry), null for amounts. */
  key: string | null;
  entityId: string | null;
  /** Entities that matched when the mention was ambiguous (kept so a person can resolve it later). */
  candidates: string[];
  /** Which rule decided: cashtag, hashtag, bare_ticker, ticker_in_context, alias, short_name, context, ambiguous, … */
  rule: string;
}
