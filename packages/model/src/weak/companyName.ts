/** Security descriptors the exchange files append to company names ("… - Class A Common Stock"). */
const DESCRIPTOR = new RegExp(
  String.raw`[\s,]+(?:` +
    [
      String.raw`Class [A-Z](?: (?:Ordinary|Common|Subordinate|Limited) Voting)?(?: Ordinary| Common)?(?: Shares| Stock)?`,
      "Common Stock",
      "Common Shares",
      "Ordinary Shares",
      "Capital Stock",
      "American Depositary Shares",
      "American Depositary Receipts",
      "American Depository Shares",
      "Depositary Shares",
      "Depositary Receipts",
      "ADS",
      "ADR",
      "Shares of Beneficial Interest",
      "Beneficial Interest",
      "Voting Shares",
      "Units?",
      "Warrants?",
      "Rights?",
      "New",
      String.raw`\(The\)`,
      String.raw`Series [A-Z0-9]+`,
      String.raw`\([^)]*\)`,
      "each representing.*",
      "representing.*",
    ].join("|") +
    String.raw`)\s*$`,
  "i",
);

/** Legal-form suffixes stripped to get the name news actually uses ("Globex, Inc." → "Globex"). */
export const LEGAL_SUFFIX = String.raw`Inc\.?|Incorporated|Corp\.?|Corporation|Co\.?|Company|Cos\.?|Ltd\.?|Limited|plc|PLC|N\.V\.?|NV|S\.A\.?|SA|AG|SE|LLC|L\.L\.C\.|L\.P\.?|LP|Holdings?|Group|& Co\.?|Bancorp(?:oration)?|Trust`;
const TRAILING_LEGAL = new RegExp(String.raw`[\s,]+(?:${LEGAL_SUFFIX})\s*$`);

/** Removes " - <security description>", trailing descriptors and parentheses: the registered company name. */
export function registeredName(raw: string): string {
  let name = raw.split(" - ")[0]!.replace(/\s+/g, " ").trim();
  for (let prev = ""; prev !== name;) {
    prev = name;
    name = name.replace(DESCRIPTOR, "").trim();
  }
  return name.replace(/,$/, "").trim();
}

/** Registered name with every trailing legal suffix removed ("Goldman Sachs Group, Inc." → "Goldman Sachs"). */
export function coreName(registered: string): string {
  let name = registered;
  for (let prev = ""; prev !== name;) {
    prev = name;
    name = name.replace(TRAILING_LEGAL, "").trim();
  }
  return name
    .replace(/^The\s+/, "")
    .replace(/,$/, "")
    .trim();
}

/** Names that look like ETFs/funds/notes rather than operating companies (the NYSE list has no ETF flag). */
export const FUND_LIKE =
  /\b(?:ETF|ETN|ETP|Fund|Funds|Index|iShares|SPDR|ProShares|Direxion|Invesco|Portfolio|Notes?|Debentures?|Preferred|Pfd|Acquisition Corp|Depositary Shares representing)\b|%/i;
