/**
 * The entity-level sentiment datasets annotate sentiment TARGETS, not only organisations: market indices ("Sensex",
 * "S&P 500"), commodities ("Brent crude", "gold"), currencies ("rupee") and generic groups ("Mid caps") appear too.
 * Labelling those ORG would teach the tagger that indices are companies, so this heuristic keeps only names that
 * look like organisations. Known leak: a company named like an index word (e.g. "Gold Fields") is dropped.
 */
const NOT_ORG = new RegExp(
  "\\b(?:" +
    [
      "index",
      "indices",
      "composite",
      "average",
      "sensex",
      "nifty",
      "nikkei",
      "dax",
      "cac",
      "hang seng",
      "kospi",
      "s&p ?500",
      "s&p",
      "ftse ?100",
      "ftse ?250",
      "stoxx",
      "dow jones",
      "russell ?2000",
      "crude",
      "oil",
      "gold",
      "silver",
      "copper",
      "brent",
      "wti",
      "rupee",
      "dollar",
      "euro",
      "yen",
      "yuan",
      "renminbi",
      "sterling",
      "pound",
      "franc",
      "bitcoin",
      "ether",
      "treasur(?:y|ies)",
      "bonds?",
      "stocks?",
      "shares",
      "caps?",
      "funds",
      "markets?",
      "sectors?",
      "economy",
      "inflation",
      "gdp",
    ].join("|") +
    ")\\b",
  "i",
);

/** A trailing legal/corporate word overrides the keyword veto ("Oil India", "Forward Markets Commission"). */
const ORG_SUFFIX =
  /\b(?:ltd|limited|inc|corp|corporation|co|plc|ag|sa|nv|llc|commission|bank|group|holdings|industries|india|exchange)\.?$/i;

/** Heuristic: capitalised (or digit-led, "3M") and not an index/commodity/currency/generic market phrase. */
export function looksLikeOrg(name: string): boolean {
  const t = name.trim();
  if (t.length < 2 || !/^[\p{Lu}\p{N}]/u.test(t)) return false;
  return ORG_SUFFIX.test(t) || !NOT_ORG.test(t);
}
