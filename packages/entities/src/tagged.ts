import type { MentionIn } from "./types.ts";

/** A cashtag or hashtag shaped like a ticker: "$NWM", "#nwm", "#BRK.B". */
const SIGIL_TICKER = /^[$#][A-Za-z][A-Za-z0-9]{0,5}(?:[.-][A-Za-z]{1,2})?$/;

/**
 * A `$`/`#` mention whose body is a registered ticker is that instrument's mention (type TICKER) whatever type the
 * model gave it (the model sometimes tags "#NWM" as PERSON or LOCATION). Returns the resolution as a TICKER when `m`
 * is such a tag of another type and it resolves; null otherwise (ORG and TICKER mentions resolve as they are).
 */
export function resolveTaggedTicker<R extends { entityId: string | null }>(
  resolver: { resolve(m: MentionIn, context: string): R },
  m: MentionIn,
  context: string,
): R | null {
  if (m.type === "ORG" || m.type === "TICKER" || !SIGIL_TICKER.test(m.text)) return null;
  const r = resolver.resolve({ type: "TICKER", text: m.text, start: m.start, end: m.end }, context);
  return r.entityId ? r : null;
}
