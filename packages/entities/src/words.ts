/**
 * Word lists the resolver uses to keep ordinary English out of entity resolution. Written by the project; a ticker
 * here resolves bare only with support from its context, a word here is never a company's short name.
 */

/** Upper-case words that are also listed symbols but in news are nearly always something else ("ALL", "NOW", "IT"). */
const COMMON_WORD_TICKERS =
  "A AI ALL AM AN AND ANY APP ARE AS AT BE BEST BIG BUY BY CAN CAR CASH CAT CEO CFO COO CTO CPI DD DO DOG EAT EPS ESG ETF EU " +
  "EV EVER FAST FDA FED FOR FREE FUN GDP GO GOOD HAS HE HER HIS HR HOME HOPE HOT HUGE IPO IQ IS IT ITS JOB JOBS KEY LIFE LOVE " +
  "LOW MA MAN ME MORE MOST MY NEW NEXT NICE NO NOT NOW OF OIL OK ON ONE OPEN OR OUR OUT PAY PE PLAY PM POST Q QE REAL RUN " +
  "SAFE SAY SEC SEE SHE SO SUN TECH THE TOP TRUE TV TWO UK UP US USA VS WE WELL WHO WIN YOU";

/** Frequent short English words (lower case): a ticker spelling one of these is treated like the list above. */
const DICTIONARY =
  "about above after again age ago air also any arm art ask away back bad bag ban bank bar base bear bed bell best bet " +
  "bill bit blue boat body bond book boom boss box boy bull bus call camp car card care case cash cell chip city club " +
  "coal cold cost cut data date day deal debt deep door down draw drug due duty earn east easy edge else end even eye " +
  "face fact fair fall far farm fat fear fee feel few file fill find fine fire firm fish fit five flat flow fly food foot " +
  "form four fuel full fund gain game gap gas gate gift give glad gold golf gone grow gun guy hair half hall hand hard " +
  "hat head hear heat help here high hill hit hold hole holy hook hour huge hurt ice idea inn iron item join joy jump " +
  "just keep kind king land last late lead lean left less let lie like line link list live loan lock long look lord loss " +
  "lost lot low luck made mail main make many map mark mass meal mean meat meet mind mine miss mode mom moon move much " +
  "must name near need net news nine none nor note odd off old once only own page pain pair park part pass past path " +
  "peak pick pink plan plus pool poor pop port pull pure push put race rain rank rare rate read red rent rest rich ride " +
  "ring rise risk road rock role roll roof room root rose rule rush sale salt same sand save sea seat seed sell send " +
  "set ship shop shot show shut side sign site six size skin sky slow snow soft soil sold son song soon sort soul spot " +
  "star stay step stop such suit sure swim take tale talk tall tank tax team tell ten term test than that them then " +
  "they thin this tie till time tiny tip tire told tone too tool tour town tree trip try turn type unit upon use vast " +
  "very via view vote wage wait wake walk wall want war warm wash wave way weak wear week west what when wide wife wild " +
  "will wind wine wire wise wish with wood word work yard year yes yet zero zone";

/** Words that never stand alone for one company, even when a listed name starts with them ("American", "General"). */
const GENERIC_NAME_WORDS =
  "american general united first national international global capital financial digital energy health pacific " +
  "western southern northern eastern new great royal standard central federal community security advanced applied " +
  "bank banks trust fund funds group holdings partners industries technologies systems solutions services resources " +
  "properties realty investment investments income acquisition growth value select equity home life city state world " +
  "north south east west china us usa america british canadian european asian the a an and or of in on at for to by " +
  "with it its this that we our you your all one states " +
  // Sectors, commodities and currencies: a headline's "Steel prices", "Euro wobbles", "Pulse prices", "telecom".
  "steel oil gold silver copper iron metals mining gas power media auto autos airlines airline air retail pharma " +
  "pharmaceuticals insurance software cloud solar water food foods brands motors packaging telecom telecoms pulse " +
  "euro dollar yen pound franc rupee yuan crypto bitcoin realty reit bancorp bancshares financials tech " +
  // Countries, regions and big cities: "Brazil's", "Asia's", "Japan", never a company's short name.
  "africa asia europe brazil japan china india russia canada mexico australia germany france italy spain korea " +
  "taiwan israel ireland singapore switzerland sweden norway netherlands argentina chile peru colombia turkey " +
  "egypt nigeria kenya indonesia vietnam thailand malaysia philippines pakistan iran iraq ukraine poland greece " +
  "portugal belgium austria denmark finland scotland england wales london paris tokyo beijing shanghai dubai " +
  "texas california florida ohio georgia virginia carolina chicago boston houston dallas atlanta miami denver " +
  "seattle phoenix detroit";

/** Place names of several words, never a company's short name ("United States" is not United States Lime). */
export const PLACE_PHRASES: ReadonlySet<string> = new Set(
  (
    "united states,united kingdom,new york,new jersey,new zealand,new mexico,new england,hong kong,south africa," +
    "south korea,north korea,saudi arabia,latin america,north america,south america,middle east,wall street," +
    "san francisco,los angeles,las vegas,san diego,st louis,abu dhabi,sri lanka,costa rica,puerto rico,west virginia"
  ).split(","),
);

/**
 * Market names that are also a listed company's name: "Nasdaq" is nearly always the index or the exchange, "Dow" the
 * average. Written bare they resolve only when the text names the company otherwise ($NDAQ, "Nasdaq Inc").
 */
export const MARKET_NAMES: ReadonlySet<string> = new Set([
  "nasdaq",
  "dow",
  "dow jones",
  "s&p",
  "nyse",
  "cboe",
  "russell",
  "ftse",
  "nikkei",
  "sensex",
  "nifty",
]);

/**
 * Acronyms of macro news (central banks, agencies, benchmarks, places) that are also listed symbols: "#UK", "#WTI",
 * "ECB", "#BOE". Only a $cashtag or a context that says "stock" resolves them; a hashtag alone does not.
 */
const MACRO =
  "UK EU US USA UAE WTI ECB BOE BOJ RBA RBI PBOC SNB FOMC FED IMF OPEC OECD WHO UN NATO GDP CPI PPI PMI ISM NFP IMO " +
  "NOC SPX NDX VIX DXY DJIA DOW USD EUR GBP JPY CNY CAD AUD CHF INR BTC ETH ESG IPO SEC FDA FTC DOJ EPA IRS LME " +
  "NYSE BSE NSE MT BPD SA AG NV SE PLC LLC VC PE AR VR EV AI LNG LPG CNG NGL AGM EGM FF AP AFP WSJ FT IBD RTRS MRT " +
  // Acronyms for groups of stocks.
  "FANG FAANG MAMAA";
export const MACRO_ACRONYMS: ReadonlySet<string> = new Set(MACRO.split(" "));

export const COMMON_WORDS: ReadonlySet<string> = new Set([...COMMON_WORD_TICKERS.toLowerCase().split(" "), ...DICTIONARY.split(" ")]);
export const GENERIC_NAME_WORD_SET: ReadonlySet<string> = new Set([...GENERIC_NAME_WORDS.split(" "), ...COMMON_WORDS]);

/**
 * Is this ticker also an ordinary word, so that written bare it is probably not the instrument? A single letter
 * always is ("A", "C", "V"); otherwise a ticker spelling a listed word or one of the frequent English words above.
 */
export function isWordLikeTicker(ticker: string): boolean {
  const t = ticker.toLowerCase();
  return t.length === 1 || COMMON_WORDS.has(t);
}

/** Words after a bare ticker that say it is the instrument ("IT shares", "CAT stock"). */
export const TICKER_CONTEXT_AFTER =
  /^[\s'’s]*(?:(?:shares?|stocks?|price|prices|calls?|puts?|options|stake|ticker|rall(?:y|ies|ied)|jump(?:s|ed)?|f(?:a|e)ll(?:s)?|slid(?:es?)?|surg(?:es?|ed)|tumbl(?:es?|ed)|drop(?:s|ped)?|ris(?:es?|en)|rose|gain(?:s|ed)?|climb(?:s|ed)?|sink(?:s)?|sank|plunge(?:s|d)?|soar(?:s|ed)?)(?![a-z])|(?:up|down|higher|lower)(?:\s+\$?\d|\s*$)|[+-]\s?\d+(?:\.\d+)?%)/i;
/** Words before a bare ticker that say it is a security: a broker's or a fund's verb ("Brokers cut XYZ", "Funds add XYZ"). */
export const TICKER_VERB_BEFORE =
  /(?:^|[^a-z])(?:cuts?|upgrades?d?|downgrades?d?|initiates?d?|reiterates?d?|buys?|bought|sells?|sold|shorts?|shorted|adds?|added|trims?|trimmed|owns?|holds?|likes?|prefers?|rates?d?)\s+$/i;
/** The strict form, for a macro acronym, a single letter or an all-caps text: only words that say "security". */
export const TICKER_WORDS_AFTER = /^[\s'’s]*(?:shares?|stocks?|calls?|puts?|options|ticker)(?![a-z])/i;
/** Words before a bare ticker that say it is one ("NYSE: ALL", "ticker ALL", "shares of ALL"); an exchange needs its colon. */
export const TICKER_CONTEXT_BEFORE =
  /(?:(?:nyse|nasdaq|amex|nyse american|otc|tsx?)\s*:|ticker|symbol|shares of|stock of|stakes? in|positions? in)\s*:?\s*$/i;
/** The strict form: an exchange prefix or "ticker"/"symbol". */
export const TICKER_WORDS_BEFORE = /(?:(?:nyse|nasdaq|amex|nyse american|otc|tsx?)\s*:|ticker|symbol)\s*:?\s*$/i;

/** Given names that start many companies' names ("Raymond James", "Charles Schwab"): never a short name on their own. */
export const GIVEN_NAMES: ReadonlySet<string> = new Set(
  (
    "james john charles william robert thomas richard david michael george edward henry joseph raymond peter paul mark " +
    "martin louis arthur albert frank walter harris morgan johnson jones smith brown williams walt"
  ).split(" "),
);
