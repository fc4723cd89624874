/**
 * Word lists the resolver uses to keep ordinary English out of entity resolution. Written by the project; a ticker
 * here resolves bare only with support from its context, a word here is never a company's short name. The lists the
 * weak tagger also uses are kept once, in @finsentry/model/words; the sets below add the resolver's own to them.
 */
import { AMBIGUOUS_TICKERS, FUNCTION_WORDS, GENERIC_ALIASES } from "@finsentry/model/words";

/**
 * Upper-case words that are also listed symbols but in news are nearly always something else ("ALL", "NOW", "IT"): the
 * weak tagger's list (@finsentry/model/words) plus these.
 */
const COMMON_WORD_TICKERS =
  "BEST CAR CAT DOG EAT EVER FREE HER HIS HOME HOPE HOT HUGE IS JOB JOBS LIFE MAN ME MORE MOST MY NICE NO NOT OF OIL OUR " +
  "PAY POST SAFE SAY SHE SUN TECH TRUE TWO UP WE WIN";

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

/**
 * Words that never stand alone for one company, even when a listed name starts with them ("American", "General"): the
 * weak tagger's generic aliases and function words (@finsentry/model/words) plus these.
 */
const GENERIC_NAME_WORDS =
  "banks fund funds properties realty investment investments acquisition equity home life city state world north south " +
  "east west china us usa america british canadian european asian states " +
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
  "FANG FAANG MAMAA " +
  // Market and crypto jargon that listed symbols spell ("NFT marketplace", "SPAC deal", "ATM offering").
  "NFT NFTS SPAC SPACS ETN ETNS REIT REITS ICO DAO DEFI ATM ROI ROE AUM NAV OTC CAGR KYC AML API SAAS EBITDA " +
  // Acronyms of ordinary phrases that a listed company's initials also spell (Rush Street Interactive, Wolverine World
  // Wide): the phrase is what a text means.
  "RSI DTI WWW VIP MMA HGV UTI ROC MLP FCF CDP NGS EPC ECG CCO";
export const MACRO_ACRONYMS: ReadonlySet<string> = new Set(MACRO.split(" "));

const lower = (words: Iterable<string>) => [...words].map((w) => w.toLowerCase());
export const COMMON_WORDS: ReadonlySet<string> = new Set([
  ...lower(AMBIGUOUS_TICKERS),
  ...COMMON_WORD_TICKERS.toLowerCase().split(" "),
  ...DICTIONARY.split(" "),
]);
export const GENERIC_NAME_WORD_SET: ReadonlySet<string> = new Set([
  ...lower(GENERIC_ALIASES),
  ...lower(FUNCTION_WORDS),
  ...GENERIC_NAME_WORDS.split(" "),
  ...COMMON_WORDS,
]);

/**
 * Ordinary English words (lower case) that are also a company's one-word name or the first word of one ("Target",
 * "Benchmark Electronics", "Axis Capital", "Gulf Resources", "Circle"). Capitalised at a sentence's or a headline's
 * start, or inside a longer name ("Fox News", "Income Target"), they are usually the word: such a name resolves only
 * with support from its context (see `WORD_NAME_CONTEXT_AFTER`). Written by the project; names whose word sense is
 * rare in market news (Apple, Amazon, Oracle, Shell) are left out on purpose.
 */
const WORDLIKE_NAMES =
  "able academy access achieve acres advance advantage agree agriculture aim alarm alliance allied angel anthem arena " +
  "arrive square " +
  "assembly associated aware axe axis bath beyond benchmark better bicycle block bold bone booking boost brand bread " +
  "bright brilliant build burning business cable carriage carrier cars century chain champion champions change cheer " +
  "children choice church circle clean clear click coffee comfort commercial connect consensus consumer creative " +
  "credit cross crown custom customers daily darling decent design designer destiny direct distribution dream driven " +
  "drugs educational electronic elite envoy establishment evolution expand extra extreme fabric farmers fate fifth " +
  "figure finance fitness flag flash flexible floor flowers focus forum fossil forward founder freedom freight fury " +
  "future galaxy garden generate generation genius genuine glass golden grab grand granite graphic grocery grove gulf " +
  "hang happen happy healthcare healthy hello highway host house hub icon ideal impact independence independent indie " +
  "indigo industrial information innovative inspired installed intelligent interactive interface invest investors " +
  "invitation joint journey jet knife ladder landmark lands launch legacy legend lemonade lifetime local loop lucky " +
  "magic match mega mid milestone mission mixed mobile mountain moving multi natural nature network noodles ocean " +
  "office onto opera option orange outdoor owl people peoples perfect performance perspective pilgrim planet plains " +
  "plug popular porch preferred private pro professional progress progressive public purple quest rail range reading " +
  "ready regional regions relay reliance renew research restaurant revolution rice rising rocket rum safety science " +
  "serve service shake shoe shoulder sight silence simply smart snap social socket solid sonic sound source space " +
  "special sports spring stock strategic strategy studio sunrise sunshine super superior surf surgery target telephone " +
  "third toast toll total tower trade travel triple triumph troops turning twelve twenty twin twist under union " +
  "universe unusual valley versus vertical victory village vine vision vital vivid warrior waste wells wheels where " +
  "wing wrap";
/**
 * Proper names that many unrelated firms use worldwide (gods, stars, planets, inventors, old industrial brands): the
 * one listed here is seldom the one a text means unless the text says so.
 */
const SHARED_NAMES =
  "apollo atlas aurora edison genesis hermes horizon jupiter keystone mercury neptune odyssey olympus orion pegasus " +
  "phoenix pinnacle polaris saturn sterling titan trident vanguard westinghouse zeus";
/** Is a one-word (normalised) name ordinary English or a name many firms share? Then it needs support to resolve. */
const WORDLIKE: ReadonlySet<string> = new Set([...WORDLIKE_NAMES.split(" "), ...SHARED_NAMES.split(" ")]);
export function isWordLikeName(norm: string): boolean {
  return !norm.includes(" ") && (WORDLIKE.has(norm) || GENERIC_NAME_WORD_SET.has(norm));
}

/**
 * Words after a word-like company name that say the company is meant: its shares, a price move, a corporate act or
 * report ("Target shares", "Block beats", "Circle files for IPO", "Benchmark Electronics' quarterly profit").
 */
export const WORD_NAME_CONTEXT_AFTER =
  /^[\s'’s]*(?:(?:shares?|stock|price target|rall(?:y|ies|ied)|jump(?:s|ed)|f(?:a|e)ll(?:s)?|slid(?:es?)?|surg(?:es?|ed)|tumbl(?:es?|ed)|drop(?:s|ped)|soar(?:s|ed)|plunge(?:s|d)|sinks|sank|beats?|miss(?:es|ed)|posts?|posted|reports?|reported|earnings|quarterly|revenue|profit|sales|guidance|forecast|outlook|ceo|cfo|chief executive|files?|filed|announces?|announced|to (?:buy|acquire|sell|cut|lay off)|agrees?|agreed|acquires?|acquired|upgraded|downgraded)(?![a-z])|[+-]\s?\d+(?:\.\d+)?%)/i;

/**
 * Signs of a text about India's market (rupee amounts, crore/lakh, "pc" for per cent, its indices, regulator and
 * exchanges' Reuters codes): a company there that shares a short name or a symbol with a US listing ("SAIL", "IndiGo")
 * is not the US one, so weak evidence (a short name, a verb before a bare symbol) is not enough in such a text. (A
 * name followed by another exchange's code, "Edison <EDN.MI>", is handled where the name is resolved.)
 */
export const FOREIGN_MARKET =
  /(?:\bRs\.?\s?\d|₹|\b(?:crores?|lakhs?|Sensex|Nifty|Sebi|SEBI|NSE|BSE|Dalal Street)\b|\d\s?(?:pc|cr)\b|<[A-Z0-9&]{1,12}\.(?:NS|BO)>)/;

/**
 * Is this ticker also an ordinary word, so that written bare it is probably not the instrument? A single letter
 * always is ("A", "C", "V"); otherwise a ticker spelling a listed word or one of the frequent English words above.
 */
export function isWordLikeTicker(ticker: string): boolean {
  const t = ticker.toLowerCase();
  return t.length === 1 || COMMON_WORDS.has(t);
}

/** Words after a bare ticker that say it is the instrument ("IT shares", "CAT stock", "BDX earnings"). */
export const TICKER_CONTEXT_AFTER =
  /^[\s'’s]*(?:(?:shares?|stocks?|price|prices|calls?|puts?|options|stake|ticker|earnings|rall(?:y|ies|ied)|jump(?:s|ed)?|f(?:a|e)ll(?:s)?|slid(?:es?)?|surg(?:es?|ed)|tumbl(?:es?|ed)|drop(?:s|ped)?|ris(?:es?|en)|rose|gain(?:s|ed)?|climb(?:s|ed)?|sink(?:s)?|sank|plunge(?:s|d)?|soar(?:s|ed)?)(?![a-z])|(?:up|down|higher|lower)(?:\s+\$?\d|\s*$)|[+-]\s?\d+(?:\.\d+)?%)/i;
/** Words before a bare ticker that say it is a security: a broker's or a fund's verb ("Brokers cut XYZ", "Director adds to XYZ"). */
export const TICKER_VERB_BEFORE =
  /(?:^|[^a-z])(?:cuts?|upgrades?d?|downgrades?d?|initiates?d?|reiterates?d?|buys?|bought|sells?|sold|shorts?|shorted|adds?|added|trims?|trimmed|owns?|holds?|likes?|prefers?|rates?d?)(?:\s+(?:to|stakes? in))?\s+$/i;
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

/**
 * Words after a company's own short name in capitals ("BP plans", "GM said", "JLL CEO") that say the company speaks
 * or acts: with WORD_NAME_CONTEXT_AFTER, the support a two-letter name or initials need.
 */
export const CORPORATE_CONTEXT_AFTER =
  /^[\s'’s]*(?:said|says|told|plans?|planned|thinks|expects|wrote|ceo|cfo|chairman|chief|head of|executives?|spokesperson|spokes(?:man|woman))(?![a-z])/i;

/** Words before an upper-case symbol that name a broker ("downgraded at BMO", "initiated by JLL"): the company. */
export const BROKER_BEFORE = /(?:upgraded|downgraded|initiated|reiterated|resumed|raised|lowered|cut)\s+(?:at|by)\s+$/i;
