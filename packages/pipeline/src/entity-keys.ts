import type { EntityMention, ModelOutput } from "@finsentry/schemas";

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

export function mentionsOf(output: ModelOutput): EntityMention[] {
  const out: EntityMention[] = [];
  const seen = new Set<string>();
  for (const e of output.entities) {
    const key = entityKey(e.type, e.text);
    const spanKey = `${e.start}:${e.end}`;
    if (!key || seen.has(spanKey)) continue;
    seen.add(spanKey);
    out.push({ key, type: e.type, text: e.text, start: e.start, end: e.end });
  }
  return out;
}
