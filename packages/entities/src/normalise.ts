/** Legal forms news leaves out ("Globex, Inc." → "globex"; a listing's "… Inc ADR"); stripped repeatedly from the end. */
const LEGAL =
  /\s+(?:inc|incorporated|corp|corporation|co|company|cos|ltd|limited|plc|llc|lp|nv|sa|ag|se|group|holdings?|adrs?|ads|s a b de c v|sab de cv|s a de c v|sa de cv)$/;

/**
 * The lookup form of a name or alias: NFKC, lower case, curly quotes straightened, a possessive ('s) and legal
 * suffixes (also dotted: "P.L.C.", "L.P.", "S.A.") removed, punctuation other than & turned into spaces, a leading "the" dropped, spaces collapsed.
 */
export function normaliseAlias(text: string): string {
  let s = foldLatin(text.normalize("NFKC"))
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/'s?$/, "")
    .replace(/\bp\.l\.c\.?/g, "plc")
    .replace(/(?<![\p{L}\p{N}.])([lsna])\.([pavg])\.?(?=[\s,;:)]|$)/gu, (f, a: string, b: string) =>
      /^(?:lp|sa|nv|ag)$/.test(a + b) ? a + b : f,
    )
    .replace(/[^\p{L}\p{N}&]+/gu, " ")
    .trim()
    .replace(/^the\s+/, "");
  for (let prev = ""; prev !== s;) {
    prev = s;
    s = s.replace(LEGAL, "").replace(/\s*&$/, "").trim();
  }
  return s;
}

/** Accents taken off Latin letters ("América Móvil" → "America Movil", "Nestlé" → "Nestle"); other scripts kept. */
function foldLatin(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return s
    .normalize("NFD")
    .replace(/(\p{Script=Latin})\p{M}+/gu, "$1")
    .normalize("NFC");
}

/** What a listing appends to the company's name to name the security. */
const SECURITY_SUFFIX =
  /(?:\s+[-–]\s+.*|\s*\((?:class|series) [a-z0-9]+\)|,?\s+(?:(?:new\s+)?(?:(?:class|series) [a-z0-9]+\s+)?(?:(?:non-)?voting\s+)?(?:registered\s+)?(?:common stock|common shares?|ordinary shares?|capital stock|american depositary shares|shares of beneficial interest|common units?)|(?:class|series) [a-z0-9]+ shares)\b.*)$/i;

/** "Alphabet Inc. - Class A Common Stock" → "Alphabet Inc."; "Agilent Technologies, Inc. Common Stock" → "Agilent Technologies, Inc.". */
export function companyOfSecurity(name: string): string {
  const s = name.replace(/\s+/g, " ").trim();
  const stripped = s
    .replace(SECURITY_SUFFIX, "")
    .replace(/\s*\(the\)$/i, "")
    .replace(/[\s,]+$/, "")
    .trim();
  return stripped.length > 0 ? stripped : s;
}

/** Does the written name end on a legal form ("Delta Corp", "Globex, Inc.", "Apple's")? Then it names a whole company. */
export function hasLegalSuffix(text: string): boolean {
  const s = text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/'s?$/, "")
    .replace(/[^\p{L}\p{N}&]+/gu, " ")
    .trim();
  return LEGAL.test(s);
}
