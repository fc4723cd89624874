// Zod-free constants and helpers: safe to import in the browser bundle (`@finsentry/schemas/constants`).

export const SENTIMENT_LABELS = ["bearish", "neutral", "bullish"] as const;

/** The 20-topic financial taxonomy, in the order the model's topic head uses. */
export const TOPIC_LABELS = [
  "Analyst Update",
  "Fed | Central Banks",
  "Company | Product News",
  "Treasuries | Corporate Debt",
  "Dividend",
  "Earnings",
  "Energy | Oil",
  "Financials",
  "Currencies",
  "General News | Opinion",
  "Gold | Metals | Materials",
  "IPO",
  "Legal | Regulation",
  "M&A | Investments",
  "Macro",
  "Markets",
  "Politics",
  "Personnel Change",
  "Stock Commentary",
  "Stock Movement",
] as const;

export const ENTITY_TYPES = ["ORG", "TICKER", "PERSON", "LOCATION", "MONEY", "PERCENT"] as const;

/** Entity types that alerts group by; amounts and percentages are facts, not entities to watch. */
const WATCHABLE = new Set(["ORG", "TICKER", "PERSON", "LOCATION"]);
const ORG_SUFFIX = /[,.]?\s+(inc|corp|corporation|co|company|ltd|plc|llc|group|holdings|sa|ag|nv)\.?$/i;

/**
 * Resolved mentions carry the registry's id instead of their surface text: `E:<id>` (issue 20). An id is a slug;
 * people are `person-…`, places `place-…`, anything else an instrument (a listed company), so the key alone says
 * which entity types it stands for and rules scoped by type need no registry lookup.
 */
export const CANONICAL_PREFIX = "E:";

/** The entity types a key stands for: `ORG:x` → [ORG]; a canonical instrument → [ORG, TICKER]. */
export function entityTypesOfKey(key: string): readonly string[] {
  if (key.startsWith(CANONICAL_PREFIX)) {
    const id = key.slice(CANONICAL_PREFIX.length);
    if (id.startsWith("person-")) return ["PERSON"];
    if (id.startsWith("place-")) return ["LOCATION"];
    return ["ORG", "TICKER"];
  }
  const at = key.indexOf(":");
  return at > 0 ? [key.slice(0, at)] : [];
}

/** The registry id an instrument gets from its ticker (BRK.B → brk-b), so `TICKER:BRK.B` in a rule finds it. */
export function instrumentIdOfTicker(ticker: string): string {
  return ticker.replace(/^[$#]/, "").toLowerCase().replace(/[./]/g, "-");
}

/** Canonical key for an entity mention: `TICKER:TSLA`, `ORG:tesla`, `PERSON:elon musk`. */
export function entityKey(type: string, text: string): string | null {
  if (!WATCHABLE.has(type)) return null;
  if (type === "TICKER") {
    const t = text.replace(/^\$/, "").toUpperCase();
    return /^[A-Z][A-Z0-9.]{0,9}$/.test(t) ? `TICKER:${t}` : null;
  }
  const name = text.normalize("NFKC").replace(ORG_SUFFIX, "").replace(/\s+/g, " ").trim().toLowerCase();
  return name.length >= 2 ? `${type}:${name}` : null;
}
