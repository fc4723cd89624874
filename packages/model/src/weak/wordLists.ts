/**
 * Word lists shared by the weak tagger's gazetteer (gazetteer.ts) and the entity resolver (@finsentry/entities, via the
 * "@finsentry/model/words" subpath). One copy: the resolver builds its own, wider sets on top of these. Written by the
 * project; no dependencies (no zod, no tfjs), so importing it loads nothing else.
 */

/**
 * Upper-case words that are also listed symbols but in news are nearly always something else. Bare tickers in this
 * list are never tagged (cashtags still are: "$NOW" is ServiceNow).
 */
export const AMBIGUOUS_TICKERS: ReadonlySet<string> = new Set(
  (
    "A AI ALL AM AN ANY APP ARE AS AT BE BIG BY CAN CEO CFO COO CTO CEOS CPI DD DO EPS ESG ETF EU EV FAST FDA FED FOR " +
    "FUN GDP GO GOOD HAS HE HR IPO IPOS IQ IT ITS LOVE LOW MA NEW NOW OK ON ONE OPEN OR OUT PE PLAY PM Q QE REAL RUN SEC " +
    "SEE SO TV UK UN US USA VS WELL YOU AND THE TOP BIG KEY NEXT CASH HOLD BUY SELL RSI ATH YTD YOY QOQ EBIT EBITDA " +
    "EST PT ET GMT ECB IMF OPEC WHO WTI NYSE NASDAQ DOW LLC INC PLC CO CORP LTD II III IV USD EUR GBP JPY CNY INR"
  ).split(" "),
);

/** Single words never used alone as a company alias, even when a company's core name reduces to them. */
export const GENERIC_ALIASES: ReadonlySet<string> = new Set(
  (
    "American General United First National International Global Capital Financial Digital Energy Health Pacific " +
    "Western Southern Northern Eastern New Great Royal Standard Central Federal Community Security Advanced Applied " +
    "Universal Premier Summit Liberty Pioneer Heritage Main Park Star Sun Gold Silver Green Blue Red White Black " +
    "Alpha Beta Delta Omega Apex Core Prime Select Target Value Growth Income Trust Bank Group Holdings Partners " +
    "Technologies Technology Systems Solutions Services Industries Resources Therapeutics Pharmaceuticals Bio Medical"
  ).split(" "),
);

/** Function words some listings reduce to ("The … Inc."): never aliases. */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  "The A An And Or Of In On At For To By With It Its This That We Our You Your All One".split(" "),
);
