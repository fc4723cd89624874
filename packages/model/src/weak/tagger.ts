import type { EntitySpan, EntityType } from "@finsentry/schemas";
import { LEGAL_SUFFIX } from "./companyName.ts";
import type { Gazetteer } from "./gazetteer.ts";
import { explicitTickerSpans, moneySpans, orgFormSpans, percentSpans, personSpans, type Candidate } from "./patterns.ts";
import { words } from "./words.ts";

/** When candidates overlap, the longer wins; at equal length, this order (explicit patterns before gazetteers). */
const PRIORITY: Record<EntityType, number> = { MONEY: 0, PERCENT: 1, TICKER: 2, PERSON: 3, ORG: 4, LOCATION: 5 };

const LEGAL_AFTER = new RegExp(String.raw`^,?\s+(?:${LEGAL_SUFFIX})(?![\p{L}])`, "u");
/** Bare ticker shape: 2-5 capitals, optional class suffix ("BRK.B"). One-letter symbols are never matched bare. */
const BARE_TICKER = /^[A-Z]{2,5}(?:\.[A-Z])?$/;

/** True when most letters are capitals: then every word looks like a ticker and bare-ticker matching is skipped. */
function shouting(text: string): boolean {
  const upper = text.replace(/[^A-Z]/g, "").length;
  const letters = text.replace(/[^A-Za-z]/g, "").length;
  return letters > 20 && upper / letters > 0.6;
}

/** Gazetteer matches: bare tickers (when not shouting), company aliases (+ a following legal suffix), locations. */
function gazetteerSpans(text: string, g: Gazetteer): Candidate[] {
  const out: Candidate[] = [];
  const ws = words(text);
  const loud = shouting(text);
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    if (!loud && BARE_TICKER.test(w.text) && g.tickers.has(w.text)) out.push({ start: w.start, end: w.end, type: "TICKER" });
    const org = g.companies.matchAt(ws, i);
    if (org > 0) {
      let end = ws[i + org - 1]!.end;
      const suffix = LEGAL_AFTER.exec(text.slice(end));
      if (suffix) end += suffix[0].length;
      out.push({ start: w.start, end, type: "ORG" });
    }
    const loc = g.locations.matchAt(ws, i);
    if (loc > 0) out.push({ start: w.start, end: ws[i + loc - 1]!.end, type: "LOCATION" });
  }
  // Gazetteer phrases end on word characters, but "U.S." and "Inc." end with a period the word regex leaves out.
  return out.map((c) =>
    text[c.end] === "." &&
    /^(?:U\.S|U\.K|Inc|Corp|Co|Ltd|U\.S\.A|N\.V|S\.A)$/.test(
      text
        .slice(Math.max(c.start, c.end - 5), c.end)
        .split(/\s/)
        .pop()!,
    )
      ? { ...c, end: c.end + 1 }
      : c,
  );
}

/** Resolves overlaps: longest first, then PRIORITY, then leftmost; returns spans sorted by start. */
export function resolveOverlaps(cands: Candidate[]): EntitySpan[] {
  const ranked = [...cands].sort((a, b) => b.end - b.start - (a.end - a.start) || PRIORITY[a.type] - PRIORITY[b.type] || a.start - b.start);
  const taken: EntitySpan[] = [];
  for (const c of ranked) {
    if (c.end <= c.start) continue;
    if (taken.some((t) => c.start < t.end && t.start < c.end)) continue;
    taken.push({ start: c.start, end: c.end, type: c.type });
  }
  return taken.sort((a, b) => a.start - b.start);
}

/**
 * Rule-based entity tagger used as a teacher where no gold spans exist. What is WEAK about it:
 *  - TICKER: cashtags/exchange-qualified symbols are reliable; bare capitals only count when listed and not in an
 *    ambiguity list, so "AI", "IT", "CEO" are skipped but rarer clashes (e.g. "CAT" the word in caps) slip through,
 *    and unlisted/foreign tickers are missed.
 *  - ORG: gazetteer aliases are US-listed companies only (private, foreign-only and Indian companies — a large part
 *    of SEntFiN — are found only by the legal-suffix form rule); single-word aliases can fire on capitalised words
 *    at sentence start ("Target", "Visa" are matched; generic words are excluded).
 *  - PERSON: only after a role word or honorific, or before ", CEO"; bare names are missed (low recall).
 *  - LOCATION: a fixed list of countries and financial centres; no states/towns; "US" in caps is always LOCATION.
 *  - MONEY/PERCENT: digit forms only; spelled-out numbers are missed.
 */
export function weakLabel(text: string, gazetteer: Gazetteer): EntitySpan[] {
  return resolveOverlaps([
    ...moneySpans(text),
    ...percentSpans(text),
    ...explicitTickerSpans(text),
    ...personSpans(text),
    ...orgFormSpans(text),
    ...gazetteerSpans(text, gazetteer),
  ]);
}
