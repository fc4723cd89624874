import { fileURLToPath } from "node:url";
import type { EntitySpan } from "@finsentry/schemas";
import { beforeAll, describe, expect, it } from "vitest";
import {
  commonWords,
  coreName,
  createGazetteer,
  loadGazetteer,
  mergeWithGold,
  registeredName,
  weakLabel,
  withWeakEntities,
  type Gazetteer,
  type TickerLoadStats,
} from "../src/weak/index.ts";

const tickersDir = fileURLToPath(new URL("./fixtures/text/data/tickers", import.meta.url));
let g: Gazetteer;
let stats: TickerLoadStats;
beforeAll(async () => {
  ({ gazetteer: g, stats } = await loadGazetteer(tickersDir, {
    commonWords: commonWords(["the oil price rose", "oil and gas", "oil oil oil oil"], 3),
  }));
});

const tag = (text: string): string[] => weakLabel(text, g).map((s) => `${s.type}:${text.slice(s.start, s.end)}`);

describe("gazetteer", () => {
  it("cleans listing names down to what news uses", () => {
    expect(registeredName("Acme Corp - Class A Common Stock")).toBe("Acme Corp");
    expect(registeredName("Agilent Technologies, Inc. Common Stock")).toBe("Agilent Technologies, Inc.");
    expect(coreName("Agilent Technologies, Inc.")).toBe("Agilent Technologies");
    expect(coreName(registeredName("Initech Group plc American Depositary Shares"))).toBe("Initech");
    expect(coreName("The Goldman Sachs Group, Inc.")).toBe("Goldman Sachs");
  });

  it("skips ETFs, test issues and the NASDAQ footer and blank rows, and ignores non-listing CSVs", () => {
    expect(stats.skipped).toMatchObject({ etf: 2, testIssue: 1, footerOrBlank: 2 });
    expect(g.tickers.has("QQQX")).toBe(false);
    expect(g.tickers.has("SPYX")).toBe(false);
    expect(g.tickers.has("ZTST")).toBe(false);
    expect([...g.tickers].sort()).toEqual(["ACME", "CAT", "GLBX", "ITEC", "UMBR"]); // "A" is too ambiguous
  });
});

describe("weakLabel", () => {
  it("tags cashtags always and bare tickers only when listed", () => {
    expect(tag("$ZZZZ and $ACME rally while ACME and WXYZ slip")).toEqual(["TICKER:$ZZZZ", "TICKER:$ACME", "TICKER:ACME"]);
    expect(tag("Shares (NYSE: QRST) and <UMBR.N> moved")).toEqual(["TICKER:QRST", "TICKER:UMBR.N"]);
    // Shouted headlines: every word looks like a ticker, so bare ones are skipped.
    expect(tag("ACME AND GLBX SHARES SOAR ON MERGER HOPES TODAY")).toEqual([]);
  });

  it("tags money and percentages in their common written forms", () => {
    expect(tag("Globex posts $1.2bn profit, up 8% on €300m sales")).toEqual(["ORG:Globex", "MONEY:$1.2bn", "PERCENT:8%", "MONEY:€300m"]);
    expect(tag("a USD 5 million fine and 3.5 percent drop, -2.5% later, Rs 10.4 crore, 45 cents, 300 million euros")).toEqual([
      "MONEY:USD 5 million",
      "PERCENT:3.5 percent",
      "PERCENT:-2.5%",
      "MONEY:Rs 10.4 crore",
      "MONEY:45 cents",
      "MONEY:300 million euros",
    ]);
  });

  it("tags gazetteer companies (with a trailing legal suffix) and form-based ORGs", () => {
    expect(tag("Acme Corp. and Globex, Inc. met Zenith Widgets Ltd in talks")).toEqual([
      "ORG:Acme Corp.",
      "ORG:Globex, Inc.",
      "ORG:Zenith Widgets Ltd",
    ]);
    expect(tag("Analysts at Bank of Springfield like Umbrella Holdings")).toEqual(["ORG:Bank of Springfield", "ORG:Umbrella Holdings"]);
    // Aliases are case-sensitive and common lowercase words are not single-word aliases.
    expect(tag("the acme of oil")).toEqual([]);
  });

  it("tags listed locations, preferring a longer ORG that contains one", () => {
    expect(tag("Markets in London and New York fell; U.S. futures rose")).toEqual([
      "LOCATION:London",
      "LOCATION:New York",
      "LOCATION:U.S.",
    ]);
    expect(tag("Bank of America said")).toEqual(["ORG:Bank of America"]);
  });

  it("tags people after role words and honorifics, cutting Title Case verbs", () => {
    expect(tag("Acme CEO Jane Doe Says Demand Is Strong")).toEqual(["ORG:Acme", "PERSON:Jane Doe"]);
    expect(tag("Mr. Smith will retire; John Roe, chief executive, agreed")).toEqual(["PERSON:Smith", "PERSON:John Roe"]);
    expect(tag("CEO Musk")).toEqual([]); // single word after a role: too ambiguous
  });

  it("returns sorted, non-overlapping spans", () => {
    const spans = weakLabel("$ACME Acme Corp CEO Jane Doe sold $5m (2%) in London", g);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
  });
});

describe("merging with gold", () => {
  const gold: EntitySpan[] = [{ start: 0, end: 4, type: "ORG" }];
  const weak: EntitySpan[] = [
    { start: 0, end: 9, type: "ORG" },
    { start: 12, end: 18, type: "LOCATION" },
    { start: 20, end: 23, type: "PERCENT" },
  ];

  it("keeps gold and drops overlapping weak spans", () => {
    expect(mergeWithGold(gold, weak)).toEqual([gold[0], weak[1], weak[2]]);
  });

  it("drops weak spans of types the gold annotation is complete for", () => {
    expect(mergeWithGold(gold, weak, ["LOCATION"])).toEqual([gold[0], weak[2]]);
  });

  it("applies per-source completeness to examples", () => {
    const text = "ACME CAPITAL LLC of London paid $5m";
    const sec = withWeakEntities({ text, entities: [{ start: 0, end: 16, type: "ORG" }], source: "sec-filings-ner" }, g);
    expect(sec.entities!.map((s) => `${s.type}:${text.slice(s.start, s.end)}`)).toEqual(["ORG:ACME CAPITAL LLC", "MONEY:$5m"]);
    const tweet = withWeakEntities({ text: "$ACME up 5%", source: "twitter-financial-news-sentiment" }, g);
    expect(tweet.entities).toEqual([
      { start: 0, end: 5, type: "TICKER" },
      { start: 9, end: 11, type: "PERCENT" },
    ]);
    const user = { text: "Acme in London", entities: [], source: "jsonl:x.jsonl" };
    expect(withWeakEntities(user, g)).toBe(user);
  });
});

describe("createGazetteer", () => {
  it("works from in-memory entries", () => {
    const gz = createGazetteer([{ symbol: "XMPL", name: "Example Dynamics Inc." }]);
    expect(weakLabel("Example Dynamics Inc. (XMPL) jumps", gz).map((s) => s.type)).toEqual(["ORG", "TICKER"]);
  });

  it("matches names before a possessive, and never uses reporting periods or common words as aliases", () => {
    const gz = createGazetteer(
      [
        { symbol: "XMPL", name: "Example Dynamics Inc." },
        { symbol: "QTWO", name: "Q2 Holdings, Inc." },
        { symbol: "HERE", name: "Here Inc." },
      ],
      { commonWords: commonWords(["here we go", "here and there", "out of here"], 3) },
    );
    const spans = (text: string) => weakLabel(text, gz).map((s) => `${s.type}:${text.slice(s.start, s.end)}`);
    expect(spans("Example Dynamics’s Q2 profit beats; Example Dynamics's shares jump")).toEqual([
      "ORG:Example Dynamics",
      "ORG:Example Dynamics",
    ]);
    expect(spans("Here are the Q2 results")).toEqual([]);
    expect(spans("Q2 Holdings, Inc. results")).toEqual(["ORG:Q2 Holdings, Inc."]);
  });
});
