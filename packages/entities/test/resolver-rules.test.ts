import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EntityResolver, loadListings, normaliseAlias, type MentionIn, type RegistryEntity } from "../src/index.ts";
import { shareClassIds } from "../src/cli/eval.ts";

// Made-up companies for the rules added after the held-out-2 review: CamelCase hashtags, legal forms of another
// country, symbols that spell a name's initials, a symbol one company holds and another's name.
const ENTITIES: RegistryEntity[] = [
  { id: "qrst", kind: "instrument", name: "Quorstead Schwabe Corporation", ticker: "QRST", aliases: [] },
  { id: "blvb", kind: "instrument", name: "Belvane-Busch Novatel SA Sponsored ADR (Belgium)", ticker: "BLVB", aliases: [] },
  { id: "zorb", kind: "instrument", name: "Zorbex Banking Group Plc", ticker: "ZORB", aliases: [] },
  { id: "pfzx", kind: "instrument", name: "Pfizzle", ticker: "PFZX", aliases: [] },
  { id: "grmx", kind: "instrument", name: "Garmex", ticker: "GRMX", aliases: ["Garmex Ltd."] },
  { id: "kvl", kind: "instrument", name: "Kestrel Vantor Lindqvist Incorporated", ticker: "KVL", aliases: [] },
  { id: "hq", kind: "instrument", name: "Hobart & Quill, Inc.", ticker: "HQ", aliases: [] },
  { id: "hqx", kind: "instrument", name: "HQ Inc.", ticker: "HQX", aliases: [] },
  { id: "bq", kind: "instrument", name: "BQ p.l.c.", ticker: "BQ", aliases: [] },
  { id: "bmox", kind: "instrument", name: "Bank Of Montrose", ticker: "BMOX", aliases: [] },
  { id: "nkx", kind: "instrument", name: "Nokiana Corporation Sponsored", ticker: "NKX", aliases: [] },
  { id: "edsn", kind: "instrument", name: "Edisonia International", ticker: "EDSN", aliases: [] },
  { id: "drr", kind: "instrument", name: "Dr. Reddle's Laboratories Ltd", ticker: "DRR", aliases: [] },
  { id: "rklx", kind: "instrument", name: "Rocketwerk Lab Corporation", ticker: "RKLX", aliases: [] },
  { id: "ddsx", kind: "instrument", name: "Dillwood's, Inc.", ticker: "DDSX", aliases: [] },
  { id: "lqp", kind: "instrument", name: "Lumen Display Co, Ltd", ticker: "LQP", aliases: [] },
  { id: "lqpa", kind: "instrument", name: "LQP Financial Holdings Inc.", ticker: "LQPA", aliases: [] },
  { id: "zil", kind: "instrument", name: "Zillex Group, Inc.", ticker: "ZIL", aliases: ["ZILG"] },
];
const resolver = new EntityResolver({ version: 1, entities: ENTITIES });
const mention = (type: string, text: string, context: string): MentionIn => {
  // The first occurrence that is a whole word ("HQ" in "$HQX: HQ sends" is the second).
  const start = context.search(new RegExp(`(?<![A-Za-z0-9])${text.replace(/[.$#]/g, "\\$&")}(?![A-Za-z0-9])`));
  if (start < 0) throw new Error(`"${text}" not in "${context}"`);
  return { type, text, start, end: start + text.length };
};
const at = (type: string, text: string, context: string) => resolver.resolve(mention(type, text, context), context);

describe("CamelCase hashtags", () => {
  it("resolve as the name written out: a full name or one company's short name", () => {
    expect(at("ORG", "#QuorsteadSchwabe", "Advisers fear losing out #QuorsteadSchwabe #Stock")).toMatchObject({
      entityId: "qrst",
      rule: "hashtag_name",
    });
    expect(at("ORG", "#BelvaneBuschNovatel", "Beer & Brewing #BelvaneBuschNovatel #economy")).toMatchObject({ entityId: "blvb" });
    expect(at("ORG", "#ZorbexBanking", "UK exports rise #ZorbexBanking #economy")).toMatchObject({ entityId: "zorb" });
    // The model's TICKER type and a "#" before the span count alike.
    expect(at("TICKER", "QuorsteadSchwabe", "news #QuorsteadSchwabe")).toMatchObject({ entityId: "qrst" });
  });

  it("do not resolve a one-word tag, an unknown name or a generic phrase", () => {
    expect(at("ORG", "#Quorstead", "Quorstead : results #Quorstead #Stock").rule).not.toBe("hashtag_name");
    expect(at("ORG", "#MarketScreener", "results #MarketScreener").entityId).toBeNull();
    expect(at("ORG", "#RealEstate", "prices #RealEstate").entityId).toBeNull();
  });

  it("do not resolve a short name when the text's cashtags are another company's", () => {
    expect(at("ORG", "#BelvaneBusch", "Beer #BelvaneBusch").entityId).toBe("blvb");
    expect(at("ORG", "#BelvaneBusch", "$PFZX up #BelvaneBusch").entityId).toBeNull();
  });
});

describe("a legal form of another country", () => {
  it("names a namesake, not the US listing", () => {
    expect(at("ORG", "Pfizzle Ltd", "Pfizzle Ltd shares end 3% higher on deal")).toMatchObject({
      entityId: null,
      rule: "foreign_namesake",
    });
    expect(at("ORG", "Pfizzle Limited", "Pfizzle Limited posts profit").entityId).toBeNull();
    expect(at("ORG", "Pfizzle Inc", "Pfizzle Inc posts profit").entityId).toBe("pfzx");
  });

  it("is the company when its listing has that form", () => {
    expect(at("ORG", "Garmex Ltd", "Garmex Ltd beats estimates").entityId).toBe("grmx");
    expect(at("ORG", "Zorbex Banking Group plc", "Zorbex Banking Group plc results").entityId).toBe("zorb");
  });

  it("keeps a later file's foreign legal form as an alias when loading listings", async () => {
    const ADS =
      "Amerivo Movil, S.A.B. de C.V. American Depositary Shares (each representing the right to receive twenty (20) Series B Shares";
    const UNITS = "Westmid Partners, LP Common Units Representing Limited Partner Interests";
    const dir = await mkdtemp(join(tmpdir(), "listings-form-"));
    try {
      await mkdir(join(dir, "s-and-p-500-companies"), { recursive: true });
      await mkdir(join(dir, "nyse-other-listings"), { recursive: true });
      await writeFile(join(dir, "s-and-p-500-companies/constituents.csv"), "Symbol,Security\nGRMX,Garmex\nPFZX,Pfizzle\n");
      await writeFile(
        join(dir, "nyse-other-listings/other-listed.csv"),
        "ACT Symbol,Company Name,Security Name,Exchange,CQS Symbol,ETF,Round Lot Size,Test Issue,NASDAQ Symbol\n" +
          "GRMX,Garmex Ltd. Common Stock (Switzerland),Garmex Ltd. Common Stock (Switzerland),N,GRMX,N,100,N,GRMX\n" +
          'PFZX,"Pfizzle, Inc. Common Stock","Pfizzle, Inc. Common Stock",N,PFZX,N,100,N,PFZX\n' +
          `AMVX,"${ADS}","${ADS}",N,AMVX,N,100,N,AMVX\n` +
          `WSMX,"${UNITS}","${UNITS}",N,WSMX,N,100,N,WSMX\n` +
          "WSMW,Westmid Partners Warrants,Westmid Partners Warrants,N,WSMW,N,100,N,WSMW\n",
      );
      const { entities } = await loadListings(dir);
      const byId = new Map(entities.map((e) => [e.id, e]));
      expect(byId.get("grmx")?.aliases).toEqual(["Garmex Ltd."]);
      expect(byId.get("pfzx")?.aliases).toEqual([]);
      // An ADR's "right to receive … Shares" and an MLP's common units are common equity; a warrant is not.
      expect(byId.get("amvx")?.name).toBe("Amerivo Movil, S.A.B. de C.V.");
      expect(byId.get("wsmx")?.name).toBe("Westmid Partners, LP");
      expect(byId.has("wsmw")).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("bare symbols that are the company's short form", () => {
  it("resolve when the symbol spells the initials of the company's name", () => {
    expect(at("ORG", "KVL", "Demand for office space as strong as ever, says KVL U.K. CEO")).toMatchObject({
      entityId: "kvl",
      rule: "initials",
    });
    expect(at("ORG", "KVL", "Intel, KVL and Nvidia slide").entityId).toBe("kvl");
  });

  it("not when a name continues after them, nor on a listing abroad, nor in a text about India's market", () => {
    expect(at("ORG", "KVL", "KVL Pharma announces financing").entityId).toBeNull();
    expect(at("ORG", "KVL", "Transcript of KVL.AX earnings call").entityId).toBeNull();
    expect(at("ORG", "KVL", "KVL gains as Rs 120 target set on NSE").entityId).toBeNull();
  });

  it("resolve a two-letter own name in capitals when the words after it say the company acts", () => {
    expect(at("ORG", "BQ", "BQ plans deep cuts to its emissions by 2050")).toMatchObject({ entityId: "bq", rule: "name_in_context" });
    expect(at("ORG", "BQ", "The BQ of the engine").entityId).toBeNull();
  });

  it("resolve a symbol after a broker's verb", () => {
    expect(at("ORG", "BMOX", "$QRST - Quorstead downgraded at BMOX after trial")).toMatchObject({ entityId: "bmox" });
  });

  it("give a name to its company over the symbol's holder when the text names the name's company", () => {
    expect(at("ORG", "HQ", "$HQX: HQ sends letter to Globex, reiterates rejection")).toMatchObject({
      entityId: "hqx",
      rule: "name_over_symbol",
    });
    // Or when the words after it say a company speaks; its short name counts too ("LQP" of LQP Financial).
    expect(at("ORG", "HQ", "In a letter, HQ told Globex it has concerns").entityId).toBe("hqx");
    expect(at("ORG", "LQP", "Another reason LQP thinks investors can be encouraged")).toMatchObject({ entityId: "lqpa" });
    expect(at("ORG", "HQ", "HQ gains on the news").entityId).not.toBe("hqx");
    expect(at("ORG", "LQP", "$LQP - LQP thinks panels will sell").entityId).not.toBe("lqpa");
  });
});

describe("other general fixes", () => {
  it("gives a company abroad with a US listing its listing, in a text about a market abroad", () => {
    expect(at("ORG", "Nokiana", "Shares of Boliden <BOL.ST> and Nokiana <NOKIANA.HE> fall 5%")).toMatchObject({ entityId: "nkx" });
    expect(at("ORG", "Edisonia", "Edisonia <EDN.MI> shares fall").entityId).toBeNull();
  });

  it("reads a possessive inside a name written without its apostrophe, and a name with its country after it", () => {
    expect(at("ORG", "Dr. Reddles", "Dr. Reddles could be a good long-term investment").entityId).toBe("drr");
    expect(at("ORG", "Dillwoods", "Dillwoods posts profit").entityId).toBe("ddsx");
    expect(at("ORG", "Rocketwerk Lab USA", "$RKLX: Rocketwerk Lab USA supports a mission")).toMatchObject({ entityId: "rklx" });
  });

  it("does not count a lone letter of a possessive as a shared word before a bracketed symbol", () => {
    expect(at("ORG", "DDSX", "Alliance acquires LGC’s Drug Solutions (DDSX) business").entityId).toBeNull();
  });

  it("reads Spanish connectors and accents in a name before a bracketed symbol", () => {
    expect(normaliseAlias("América Móvil, S.A.B. de C.V.")).toBe("america movil");
    expect(normaliseAlias("Nestlé")).toBe("nestle");
    expect(normaliseAlias("株式会社")).toBe("株式会社");
  });
});

describe("eval: share classes", () => {
  it("maps another share class's ticker id to the entity that holds it", () => {
    const m = shareClassIds(ENTITIES);
    expect(m.get("zilg")).toBe("zil");
    expect(m.has("zil")).toBe(false);
  });
});
