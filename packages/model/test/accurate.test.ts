import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filterNames, loadAccurateScorer, OffsetWordPiece, type AccurateScorer } from "../src/accurate/index.ts";

const ACCURATE = fileURLToPath(new URL("../../../models/accurate", import.meta.url));

describe("OffsetWordPiece (the accurate tier's tokenizer)", () => {
  let tok: OffsetWordPiece;
  beforeAll(async () => {
    tok = OffsetWordPiece.fromTokenizerJson(JSON.parse(await readFile(join(ACCURATE, "tokenizer.json"), "utf8")));
  });
  const pieces = (text: string) => {
    const e = tok.encode(text);
    const inv = new Map([...(tok as unknown as { vocab: Map<string, number> }).vocab].map(([k, v]) => [v, k]));
    return {
      pieces: e.ids.map((i) => inv.get(i)),
      spans: Array.from({ length: e.ids.length }, (_, t) => [e.offsets[2 * t], e.offsets[2 * t + 1]]),
    };
  };

  // Expected pieces and offsets are what the training side (infra/accurate/common.py OffsetWordPiece) produced for
  // these texts (code-point offsets converted to UTF-16); a drift here would silently cost accuracy.
  it("splits, lower-cases, strips accents and keeps UTF-16 offsets as the training tokenizer does", () => {
    expect(pieces("CEO of Litware Bank resigns")).toEqual({
      pieces: ["[CLS]", "ceo", "of", "lit", "##ware", "bank", "resign", "##s", "[SEP]"],
      spans: [
        [-1, -1],
        [0, 3],
        [4, 6],
        [7, 10],
        [10, 14],
        [15, 19],
        [20, 26],
        [26, 27],
        [-1, -1],
      ],
    });
    expect(pieces("Ünïcödé café — $AAPL +3.5% 😀")).toEqual({
      pieces: ["[CLS]", "unicode", "cafe", "—", "$", "aa", "##pl", "+", "3", ".", "5", "%", "[UNK]", "[SEP]"],
      spans: [
        [-1, -1],
        [0, 7],
        [8, 12],
        [13, 14],
        [15, 16],
        [16, 18],
        [18, 20],
        [21, 22],
        [22, 23],
        [23, 24],
        [24, 25],
        [25, 26],
        [27, 29],
        [-1, -1],
      ],
    });
    // CJK characters split one by one; zero-width space and BOM are dropped without breaking the word.
    expect(pieces("中文 tab\there\u200bzw\ufeffbom")).toEqual({
      pieces: ["[CLS]", "中", "文", "tab", "here", "##z", "##w", "##bo", "##m", "[SEP]"],
      spans: [
        [-1, -1],
        [0, 1],
        [1, 2],
        [3, 6],
        [7, 11],
        [12, 13],
        [13, 14],
        [15, 17],
        [17, 18],
        [-1, -1],
      ],
    });
    // A word over 100 characters, and one with no piece (mathematical bold letters), are one [UNK] each.
    expect(pieces("x".repeat(101) + " ok").pieces).toEqual(["[CLS]", "[UNK]", "ok", "[SEP]"]);
    expect(pieces("İstanbul façade 𝐀𝐁")).toEqual({
      pieces: ["[CLS]", "istanbul", "facade", "[UNK]", "[SEP]"],
      spans: [
        [-1, -1],
        [0, 8],
        [9, 15],
        [16, 20],
        [-1, -1],
      ],
    });
    expect(pieces("Northwind's Q3: EUR 13.1 mn").pieces).toEqual([
      "[CLS]",
      "north",
      "##wind",
      "'",
      "s",
      "q",
      "##3",
      ":",
      "eu",
      "##r",
      "13",
      ".",
      "1",
      "mn",
      "[SEP]",
    ]);
  });

  it("cuts long texts to maxLen positions with [CLS] and [SEP] kept", () => {
    const e = tok.encode("word ".repeat(300), 128);
    expect(e.ids).toHaveLength(128);
    expect(e.ids[0]).toBe(tok.cls);
    expect(e.ids[127]).toBe(tok.sep);
    expect(tok.encode("", 128).ids).toEqual([tok.cls, tok.sep]);
  });
});

describe("the bundled accurate tier through onnxruntime-node", () => {
  let acc: AccurateScorer;
  beforeAll(async () => {
    acc = await loadAccurateScorer(ACCURATE, { executionProvider: "cpu", log: () => {} });
  });
  afterAll(async () => acc.close());

  it("reads names the fast model misses, and tickers, amounts and percentages by pattern", async () => {
    const [resign, visit, move] = await acc.score([
      "CEO of Litware Bank resigns",
      "Satya Nadella met bankers in Frankfurt on Tuesday",
      "$AAPL jumps 3.5% as Apple reports a record $90 billion quarter",
    ]);
    const spans = (o: typeof resign) => o!.entities.map((e) => `${e.type}:${e.text}`);
    expect(spans(resign)).toContain("ORG:Litware Bank");
    expect(spans(visit)).toEqual(expect.arrayContaining(["PERSON:Satya Nadella", "LOCATION:Frankfurt"]));
    expect(spans(move)).toEqual(expect.arrayContaining(["TICKER:$AAPL", "PERCENT:3.5%"]));
    expect(spans(move).some((s) => s.startsWith("MONEY:$90 billion"))).toBe(true);
    for (const o of [resign, visit, move]) {
      for (const e of o!.entities) expect(e.text).toMatch(/[\p{L}\p{N}]/u); // no punctuation-only "names"
      for (const e of o!.entities) expect(e.confidence ?? 1).toBeGreaterThan(0);
      const p = o!.sentiment.probs;
      expect(p.bearish + p.neutral + p.bullish).toBeCloseTo(1, 3); // four decimals each
    }
    expect(move!.sentiment.label).toBe("bullish");
  });

  it("gives the same answer for a text alone and inside a padded batch", async () => {
    // One activation scale per token (quantize:onnx --per-row): a batch mate with larger activations changes nothing.
    const texts = ["Northwind Motors recalls 40,000 cars over brake faults", "$AAPL jumps 3.5% as Apple beats estimates"];
    const mates = ["a much longer text that forces padding of the first one ".repeat(4), "CRASH!!! 😱😱 $$$ SELL SELL SELL everything NOW"];
    for (const text of texts) {
      const [alone] = await acc.score([text]);
      for (const mate of mates) {
        const [inBatch] = await acc.score([text, mate]);
        expect(inBatch!.sentiment.label).toBe(alone!.sentiment.label);
        expect(inBatch!.topic.label).toBe(alone!.topic.label);
        expect(Math.abs(inBatch!.sentiment.score - alone!.sentiment.score)).toBeLessThanOrEqual(2e-4);
        const near = alone!.entities.map((e) => (e.confidence === undefined ? e : { ...e, confidence: expect.closeTo(e.confidence, 3) }));
        expect(inBatch!.entities).toEqual(near);
      }
    }
  });
});

describe("accurate-tier directory validation", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "acc-"));
    await cp(ACCURATE, dir, { recursive: true });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("refuses a manifest with another label order, and a model file that does not match its hash", async () => {
    const manifest = JSON.parse(await readFile(join(dir, "manifest.json"), "utf8"));
    await writeFile(
      join(dir, "manifest.json"),
      JSON.stringify({
        ...manifest,
        labels: { ...manifest.labels, tags: ["O", "B-ORG", "I-ORG", "B-PERSON", "I-PERSON", "B-LOCATION", "I-LOCATION"] },
      }),
    );
    await expect(loadAccurateScorer(dir, { log: () => {} })).rejects.toThrow(/labels\.tags/);
    await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...manifest, files: { ...manifest.files, onnx: "0".repeat(64) } }));
    await expect(loadAccurateScorer(dir, { log: () => {} })).rejects.toThrow(/model\.onnx sha256 does not match/);
    await expect(loadAccurateScorer(join(dir, "nope"), { log: () => {} })).rejects.toThrow(/cannot read manifest\.json/);
  });
});

describe("filterNames: spans that cannot be names", () => {
  const at = (text: string, surface: string, type: string, confidence = 0.9) => {
    const start = text.indexOf(surface);
    return { start, end: start + surface.length, type, text: surface, confidence };
  };
  it("drops digits-only spans and a PERSON of one to three capitals in mixed-case text, and keeps real names", () => {
    const text = "CEO of Litware Bank resigns; Brokers upgrade NWM (513) as Nora West and AOC react";
    const spans = [
      at(text, "CEO", "PERSON"),
      at(text, "Litware Bank", "ORG"),
      at(text, "NWM", "ORG"),
      at(text, "513", "ORG"),
      at(text, "Nora West", "PERSON"),
      at(text, "AOC", "PERSON"),
    ];
    // An ORG in capitals is a name ("NWM", "IBM"); a three-capital PERSON is a title far more often than initials.
    expect(filterNames(text, spans).map((s) => s.text)).toEqual(["Litware Bank", "NWM", "Nora West"]);
    // In text written all in capitals, capitals say nothing: the PERSON stays.
    const shout = "CEO JOE SAYS HI";
    expect(filterNames(shout, [at(shout, "JOE", "PERSON")]).map((s) => s.text)).toEqual(["JOE"]);
  });

  it("drops a title however the span ends: after the evidence rule's trim, and in the fast tier's cased mode", () => {
    const text = "$ADTM slides 10.9% as CEO of Adatum Robotics resigns abruptly";
    // "CEO of" trims to "CEO" (lower-case words at a name's end are cut), which is then a title.
    expect(filterNames(text, [at(text, "CEO of", "PERSON", 0.4)])).toEqual([]);
    expect(filterNames(text, [at(text, "CEO", "PERSON")], "cased")).toEqual([]);
    expect(filterNames(text, [at(text, "Adatum Robotics", "ORG")], "cased").map((s) => s.text)).toEqual(["Adatum Robotics"]);
  });
});
