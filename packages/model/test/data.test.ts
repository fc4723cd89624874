import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  CsvError,
  dedupeKey,
  headlineSentiment,
  loadCorpus,
  parseCsv,
  parseJsonl,
  readCsvTable,
  splitOf,
  topicIndex,
  type Example,
} from "../src/data/index.ts";
import { parseDecisions } from "../src/data/sources/sentfin.ts";

const dataDir = fileURLToPath(new URL("./fixtures/text/data", import.meta.url));
const quiet = { log: () => {} };
const spans = (e: Example): string[] => (e.entities ?? []).map((s) => `${s.type}:${e.text.slice(s.start, s.end)}`);

describe("CSV reader", () => {
  it("handles quotes, escaped quotes, embedded commas and newlines, CRLF and a BOM", () => {
    const rows = parseCsv('\uFEFFa,b\r\n"x, y","say ""hi""\nthere"\r\nplain,\n\n,last');
    expect(rows).toEqual([
      { line: 1, values: ["a", "b"] },
      { line: 2, values: ["x, y", 'say "hi"\nthere'] },
      { line: 4, values: ["plain", ""] },
      { line: 6, values: ["", "last"] },
    ]);
  });

  it("reports file and line for malformed input", () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3', "f.csv")).toThrow(/f\.csv:2: unterminated quoted field/);
    expect(() => parseCsv('a\n"x"y', "f.csv")).toThrow(/f\.csv:2: unexpected "y" after closing quote/);
    expect(() => readCsvTable("a,b\n1,2\n3", "t.csv")).toThrow(CsvError);
    expect(() => readCsvTable("a,b\n1,2\n3", "t.csv")).toThrow(/t\.csv:3: expected 2 columns/);
  });
});

describe("labels and splits", () => {
  it("derives headline sentiment from entity sentiment with neutral abstaining and ties dropped", () => {
    expect(headlineSentiment(["neutral", "neutral"])).toBe("neutral");
    expect(headlineSentiment(["positive", "neutral"])).toBe("bullish");
    expect(headlineSentiment(["negative", "neutral", "neutral"])).toBe("bearish");
    expect(headlineSentiment(["positive", "negative", "negative"])).toBe("bearish");
    expect(headlineSentiment(["positive", "negative"])).toBeUndefined();
  });

  it("resolves topics by name or index", () => {
    expect(topicIndex("Earnings")).toBe(5);
    expect(topicIndex("m&a | investments")).toBe(13);
    expect(topicIndex("19")).toBe(19);
    expect(topicIndex(20)).toBeUndefined();
    expect(topicIndex("Weather")).toBeUndefined();
  });

  it("splits by normalised text so link-only re-posts share a split", () => {
    const a = "Acme Corp &amp; Globex agree to merge https://t.co/one";
    const b = "acme corp & globex agree to merge! https://t.co/two";
    expect(dedupeKey(a)).toBe(dedupeKey(b));
    expect(splitOf(a)).toBe(splitOf(b));
    const counts = { train: 0, dev: 0, test: 0 };
    for (let i = 0; i < 2000; i++) counts[splitOf(`headline number ${i}`)]++;
    expect(counts.train).toBeGreaterThan(1400);
    expect(counts.dev).toBeGreaterThan(120);
    expect(counts.test).toBeGreaterThan(120);
  });

  it("parses SEntFiN decisions, including unescaped apostrophes", () => {
    expect(parseDecisions("{'Moody's': 'neutral', 'Dr. Reddy's Labs': 'positive'}")).toEqual([
      ["Moody's", "neutral"],
      ["Dr. Reddy's Labs", "positive"],
    ]);
    expect(parseDecisions("not a dict")).toBeNull();
  });
});

describe("JSONL", () => {
  it("validates lines and names the file and line on errors", () => {
    expect(() => parseJsonl('{"text":"ok"}\n{"text":"bad", "topic":"Weather"}', "u.jsonl")).toThrow(
      /u\.jsonl:2: topic: unknown topic "Weather"/,
    );
    expect(() => parseJsonl('{"text":"abc","entities":[{"start":1,"end":9,"type":"ORG"}]}', "u.jsonl")).toThrow(
      /u\.jsonl:1: entities\.0: span \[1, 9\)/,
    );
    expect(() => parseJsonl("{oops", "u.jsonl")).toThrow(/u\.jsonl:1: invalid JSON/);
  });
});

describe("loadCorpus", () => {
  it("auto-discovers known folders, reports unknown ones and loads user JSONL", async () => {
    const lines: string[] = [];
    const c = await loadCorpus({ dataDir, log: (l) => lines.push(l) });
    expect(c.unknown).toEqual(["mystery-folder"]);
    expect(c.stats.map((s) => s.source)).toEqual([
      "finentity",
      "sec-filings-ner",
      "sentfin-1.0",
      "twitter-financial-news-sentiment",
      "twitter-financial-news-topic",
      "jsonl:extra.jsonl",
    ]);
    expect(lines[0]).toMatch(/^source\s+loaded\s+dups/);
    expect(lines.some((l) => l.startsWith("TOTAL"))).toBe(true);
    expect(lines.at(-1)).toBe("unknown (skipped): mystery-folder");
    const all = [...c.train, ...c.dev, ...c.test];
    // Every example is in the split its text hashes to.
    for (const split of ["train", "dev", "test"] as const) for (const e of c[split]) expect(splitOf(e.text)).toBe(split);
    expect(all.length).toBe(c.stats.reduce((n, s) => n + s.kept, 0));
  });

  it("maps twitter sentiment codes and drops duplicates and contradicting copies", async () => {
    const c = await loadCorpus({ dataDir, sources: ["twitter-financial-news-sentiment"], ...quiet });
    const all = [...c.train, ...c.dev, ...c.test];
    const stat = c.stats[0]!;
    expect(stat).toMatchObject({ loaded: 7, duplicates: 2, conflicts: 1, kept: 4 });
    const byText = new Map(all.map((e) => [e.text.slice(0, 14), e.sentiment]));
    expect(byText.get("$ACME - Acme C")).toBe("bearish");
    expect(byText.get("$GLBX: Globex ")).toBe("bullish");
    expect(byText.get("Umbrella Holdi")).toBe("neutral");
    expect(all.some((e) => e.text.startsWith("Markets flat"))).toBe(false);
    expect(all.find((e) => e.text.startsWith("Initech"))!.text).toContain("\n");
  });

  it("dedupes topic re-posts on text without links and unescapes &amp;", async () => {
    const c = await loadCorpus({ dataDir, sources: ["twitter-financial-news-topic"], ...quiet });
    const all = [...c.train, ...c.dev, ...c.test];
    expect(c.stats[0]).toMatchObject({ loaded: 5, duplicates: 1, kept: 4 });
    const merger = all.find((e) => e.topic === 13)!;
    expect(merger.text).toMatch(/^Acme Corp & Globex Inc agree/);
  });

  it("turns SEntFiN entity sentiment into headline sentiment and ORG spans", async () => {
    const c = await loadCorpus({ dataDir, sources: ["sentfin-1.0"], ...quiet });
    const all = [...c.train, ...c.dev, ...c.test];
    const get = (prefix: string): Example => all.find((e) => e.text.startsWith(prefix))!;
    expect(get("Acme Corp shares").sentiment).toBe("bullish");
    expect(spans(get("Acme Corp shares"))).toEqual(["ORG:Acme Corp"]);
    expect(get("Globex beats").sentiment).toBeUndefined(); // one positive, one negative: tie
    expect(spans(get("Globex beats"))).toEqual(["ORG:Globex", "ORG:Initech", "ORG:Acme Corp"]);
    expect(get("Moody's cuts").sentiment).toBe("bearish");
    expect(spans(get("Moody's cuts"))).toEqual(["ORG:Moody's", "ORG:Umbrella Bank"]);
    // Corrupted "Zenith neutralings" is repaired to "Zenith Holdings"; the index "Sensex" is not an ORG.
    expect(spans(get("Sensex slips"))).toEqual(["ORG:Zenith Holdings"]);
    expect(get("Gold steady").sentiment).toBe("neutral");
    expect(spans(get("Gold steady"))).toEqual([]);
    expect(c.stats[0]!.notes).toMatchObject({ corruptedNamesRepaired: 1, sentimentTiesDropped: 1 });
  });

  it("re-anchors shifted FinEntity spans on their entity string", async () => {
    const c = await loadCorpus({ dataDir, sources: ["finentity"], ...quiet });
    const all = [...c.train, ...c.dev, ...c.test];
    const first = all.find((e) => e.text.startsWith("Acme Corp"))!;
    expect(spans(first)).toEqual(["ORG:Acme Corp", "ORG:Globex Inc"]);
    expect(first.sentiment).toBeUndefined(); // positive vs negative tie
    const second = all.find((e) => e.text.startsWith("Shares of Initech"))!;
    expect(spans(second)).toEqual(["ORG:Initech"]); // S&P 500 is an index, not an ORG
    expect(second.sentiment).toBe("bullish");
    expect(all.find((e) => e.text.startsWith("Nothing"))!.sentiment).toBeUndefined();
    expect(c.stats[0]!.notes).toMatchObject({ spansReanchored: 1, spansNotOrg: 1 });
  });

  it("converts SEC CoNLL to text and spans, dropping MISC and Borrower/Lender persons", async () => {
    const c = await loadCorpus({ dataDir, sources: ["sec-filings-ner"], ...quiet });
    const all = [...c.train, ...c.dev, ...c.test];
    const agreement = all.find((e) => e.text.startsWith("This AGREEMENT"))!;
    expect(agreement.text).toBe(
      'This AGREEMENT between ACME CAPITAL LLC and Jane Doe of Boston, Massachusetts (the " Borrower "), under EDGAR.',
    );
    expect(spans(agreement)).toEqual(["ORG:ACME CAPITAL LLC", "PERSON:Jane Doe", "LOCATION:Boston", "LOCATION:Massachusetts"]);
    expect(spans(all.find((e) => e.text.startsWith("The Lender"))!)).toEqual([]);
    // IOB2 B- tags split adjacent same-type entities.
    expect(spans(all.find((e) => e.text.startsWith("Signed"))!)).toEqual(["PERSON:John Smith", "PERSON:Mary Jones"]);
  });

  it("loads explicit JSONL sources with topic names and sentiment aliases", async () => {
    const c = await loadCorpus({ dataDir, sources: ["user/extra.jsonl"], ...quiet });
    const all = [...c.train, ...c.dev, ...c.test];
    expect(all).toHaveLength(2);
    const acme = all.find((e) => e.text.startsWith("Acme"))!;
    expect(acme).toMatchObject({ sentiment: "bullish", topic: 5, source: "jsonl:extra.jsonl" });
    expect(spans(acme)).toEqual(["ORG:Acme Corp", "MONEY:$2bn"]);
    expect(all.find((e) => e.text.startsWith("Globex"))).toMatchObject({ sentiment: "bearish", topic: 12 });
  });

  it("fails clearly on a requested source that does not exist or does not parse", async () => {
    await expect(loadCorpus({ dataDir, sources: ["no-such-source"], ...quiet })).rejects.toThrow(/not a known source/);
    await expect(loadCorpus({ dataDir, sources: ["../bad-topic.jsonl"], ...quiet })).rejects.toThrow(
      /bad-topic\.jsonl:2: topic: unknown topic "Weather"/,
    );
  });
});
