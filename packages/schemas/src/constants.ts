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
