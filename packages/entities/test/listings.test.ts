import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { companyOfSecurity, EntityResolver, loadListings, RegistryEntitySchema, type Listings } from "../src/index.ts";

// A tiny made-up listings directory laid out like ../shared/data/tickers (same headers, footer and blank row).
const FILES: Record<string, string[]> = {
  "s-and-p-500-companies/constituents.csv": [
    "Symbol,Security,GICS Sector,GICS Sub-Industry,Headquarters Location,Date added,CIK,Founded",
    'GLBX,Globex,Industrials,Industrial Conglomerates,"Springfield, Oregon",1999-01-01,1,1950',
    'HOOL,Hooli Inc. (Class A),Communication Services,Interactive Media,"Palo Alto, California",2010-01-01,2,1998',
    'HOOK,Hooli Inc. (Class C),Communication Services,Interactive Media,"Palo Alto, California",2014-01-01,2,1998',
  ],
  "nasdaq-listings/nasdaq-listed-symbols.csv": [
    "Symbol,Company Name,Security Name,Market Category,Test Issue,Financial Status,Round Lot Size,ETF,NextShares",
    "HOOL,Hooli Inc.,Hooli Inc. - Class A Common Stock,Q,N,N,100,N,N",
    "HOOK,Hooli Inc.,Hooli Inc. - Class C Capital Stock,Q,N,N,100,N,N",
    "INAT,Initech Airlines Inc.,Initech Airlines Inc. - Common Stock,Q,N,N,100,N,N",
    "INATW,Initech Airlines Inc.,Initech Airlines Inc. - Warrants,Q,N,N,100,N,N",
    "FUNDX,Some Index Fund,Some Index Fund ETF,G,N,N,100,Y,N",
    "ZXZZT,Test Co,Test Co - Common Stock,Q,Y,N,100,N,N",
    "BADROW,Short Row",
    ",Nameless Symbol Inc.,Nameless - Common Stock,Q,N,N,100,N,N",
    "File Creation Time: 0731202621:31,,,,,,,,",
    ",,,,,,,,",
  ],
  "nyse-other-listings/nyse-listed.csv": [
    "ACT Symbol,Company Name",
    'GLBX,"Globex International Corporation, Inc. Common Stock"',
    "BRK.A,Birchwood Hathaway Inc. Common Stock",
    "BRK.B,Birchwood Hathaway Inc. New Common Stock",
    "VRYLONGSYM,Very Long Symbol Corp Common Stock",
    "NONAME,",
    "EVT,Evergreen Tax",
  ],
  "nyse-other-listings/other-listed.csv": [
    "ACT Symbol,Company Name,Security Name,Exchange,CQS Symbol,ETF,Round Lot Size,Test Issue,NASDAQ Symbol",
    "BRK.B,Birchwood Hathaway Inc. New Common Stock,Birchwood Hathaway Inc. New Common Stock,N,BRK.B,N,40.0,N,BRK.B",
    'ABR$D,"Arbor Trust 6.375% Series D Cumulative Redeemable Preferred Stock, $25.00","Arbor Trust 6.375% Series D Preferred",N,ABRpD,N,100.0,N,ABR-D',
    "ZVOL,Volatility Premium Plus ETF,Volatility Premium Plus ETF,Z,ZVOL,Y,100.0,N,ZVOL",
    "ARCA,Arcadia Mining Co. Class A Common Stock,Arcadia Mining Co. Class A Common Stock,A,ARCA,N,100.0,N,ARCA",
    "EVT,Evergreen Tax,Evergreen Tax-Managed Income Fund Common Shares of Beneficial Interest,N,EVT,N,100.0,N,EVT",
    "EVG,Evergreen Tax,Evergreen Tax-Advantaged Growth Fund Common Shares of Beneficial Interest,N,EVG,N,100.0,N,EVG",
  ],
};

let dir: string;
let listings: Listings;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "finsentry-listings-"));
  for (const [path, lines] of Object.entries(FILES)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), lines.join("\n") + "\n");
  }
  listings = await loadListings(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadListings", () => {
  it("returns one valid instrument per company, the S&P 500's name winning, other files' names and share classes as aliases", () => {
    const byId = new Map(listings.entities.map((e) => [e.id, e]));
    expect([...byId.keys()].sort()).toEqual(["arca", "brk-b", "evg", "evt", "glbx", "hool", "inat"]);
    expect(byId.get("glbx")).toEqual({
      id: "glbx",
      kind: "instrument",
      name: "Globex",
      ticker: "GLBX",
      exchange: "NYSE",
      aliases: ["Globex International Corporation, Inc."],
    });
    expect(byId.get("hool")).toEqual({
      id: "hool",
      kind: "instrument",
      name: "Hooli Inc.",
      ticker: "HOOL",
      exchange: "NASDAQ",
      aliases: ["HOOK"],
    });
    expect(byId.get("inat")).toMatchObject({ name: "Initech Airlines Inc.", ticker: "INAT", exchange: "NASDAQ", aliases: [] });
    expect(byId.get("brk-b")).toMatchObject({ name: "Birchwood Hathaway Inc.", ticker: "BRK.B", aliases: ["BRK.A"] });
    // Names the file cut at a hyphen are completed from the security name, so two funds are not taken for one company.
    expect(byId.get("evt")).toMatchObject({ name: "Evergreen Tax-Managed Income Fund", aliases: [] });
    expect(byId.get("evg")).toMatchObject({ name: "Evergreen Tax-Advantaged Growth Fund", aliases: [] });
    expect(byId.get("arca")).toMatchObject({ name: "Arcadia Mining Co.", exchange: "NYSE American" });
    for (const e of listings.entities) expect(RegistryEntitySchema.safeParse(e).success, e.id).toBe(true);
  });

  it("skips ETFs, test issues, warrants and preferreds and the NASDAQ footer, and counts them", () => {
    expect(listings.skipped).toEqual({ etf: 2, test_issue: 1, not_common: 2, footer: 1 });
  });

  it("rejects bad rows with file, line and reason", () => {
    expect(listings.rejected).toEqual([
      { file: "nasdaq-listings/nasdaq-listed-symbols.csv", line: 8, reason: "expected 9 columns, found 2" },
      { file: "nasdaq-listings/nasdaq-listed-symbols.csv", line: 9, reason: "empty symbol" },
      { file: "nyse-other-listings/nyse-listed.csv", line: 5, reason: expect.stringMatching(/^VRYLONGSYM: ticker .*upper-case ticker/) },
      { file: "nyse-other-listings/nyse-listed.csv", line: 6, reason: "NONAME: empty company name" },
    ]);
  });

  it("feeds the resolver: every symbol, name and share class keys its company", () => {
    const r = new EntityResolver({ version: 1, entities: listings.entities });
    const key = (type: string, text: string) => r.resolve({ type, text, start: 0, end: text.length }, text).key;
    expect(key("TICKER", "$HOOK")).toBe("E:hool");
    expect(key("ORG", "Hooli")).toBe("E:hool");
    expect(key("TICKER", "$BRK.A")).toBe("E:brk-b");
    expect(key("ORG", "Birchwood Hathaway")).toBe("E:brk-b");
    expect(key("ORG", "Globex Corporation")).toBe("E:glbx");
    expect(key("ORG", "Globex International")).toBe("E:glbx");
    expect(key("ORG", "Initech")).toBe("E:inat");
  });

  it("fails with the directory named when it holds no listing file, and reports a file without the needed columns", async () => {
    const empty = await mkdtemp(join(tmpdir(), "finsentry-listings-empty-"));
    try {
      await expect(loadListings(empty)).rejects.toThrow(empty);
      await mkdir(join(empty, "s-and-p-500-companies"));
      await writeFile(join(empty, "s-and-p-500-companies/constituents.csv"), "Ticker,Name\nX,Y\n");
      expect((await loadListings(empty)).rejected).toEqual([
        { file: "s-and-p-500-companies/constituents.csv", line: 1, reason: "header has no symbol or company-name column" },
      ]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe("companyOfSecurity", () => {
  it("strips what a listing appends to a company's name", () => {
    expect(companyOfSecurity("Alphabet Inc. - Class A Common Stock")).toBe("Alphabet Inc.");
    expect(companyOfSecurity("Agilent Technologies, Inc. Common Stock")).toBe("Agilent Technologies, Inc.");
    expect(companyOfSecurity("Alcoa Corporation Common Stock ")).toBe("Alcoa Corporation");
    expect(companyOfSecurity("Zoetis Inc. Class A Common Stock")).toBe("Zoetis Inc.");
    expect(companyOfSecurity("Artius II Acquisition Inc. - Class A Ordinary Shares")).toBe("Artius II Acquisition Inc.");
    expect(companyOfSecurity("Alphabet Inc. (Class C)")).toBe("Alphabet Inc.");
    expect(companyOfSecurity("Birchwood Hathaway Inc. New Common Stock")).toBe("Birchwood Hathaway Inc.");
    expect(companyOfSecurity("Hershey Company (The) - Common Stock")).toBe("Hershey Company");
    expect(companyOfSecurity("3M")).toBe("3M");
    expect(companyOfSecurity("ProShares Trust")).toBe("ProShares Trust");
    expect(companyOfSecurity("Coca-Cola Company (The) Common Stock")).toBe("Coca-Cola Company");
    expect(companyOfSecurity("Brookfield Corp Class A Limited Voting Shares")).toBe("Brookfield Corp Class A Limited Voting Shares");
    expect(companyOfSecurity("Hooli Inc. Class A Shares")).toBe("Hooli Inc.");
  });
});
