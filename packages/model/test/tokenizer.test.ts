import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tokenizer, CASE_SHAPES, CLS_ID, EMOJI_ID, NUM_ID, PAD_ID, URL_ID } from "../src/tokenizer/index.ts";

const corpus = readFileSync(new URL("./fixtures/text/tokenizer-corpus.txt", import.meta.url), "utf8")
  .split("\n")
  .filter(Boolean);
const tk = Tokenizer.train(corpus, { vocabSize: 600, minFreq: 2 });

/** Token strings paired with the original text each position points at. */
function aligned(text: string, maxLen = 64): [string, string][] {
  const e = tk.encode(text, maxLen);
  const out: [string, string][] = [];
  for (let i = 1; i < e.length; i++) out.push([tk.idToToken(e.ids[i]!)!, text.slice(e.offsets[2 * i]!, e.offsets[2 * i + 1]!)]);
  return out;
}

describe("Tokenizer", () => {
  it("places the special tokens at fixed ids", () => {
    expect(tk.padId).toBe(0);
    expect([tk.idToToken(tk.unkId), tk.idToToken(tk.clsId), tk.idToToken(tk.maskId)]).toEqual(["[UNK]", "[CLS]", "[MASK]"]);
    expect(tk.vocabSize).toBeLessThanOrEqual(600);
  });

  it("round-trips through JSON with identical encodings", () => {
    const json = JSON.parse(JSON.stringify(tk.toJSON()));
    const back = Tokenizer.fromJSON(json);
    expect(back.toJSON()).toEqual(tk.toJSON());
    for (const t of corpus) expect(back.encode(t, 32)).toEqual(tk.encode(t, 32));
  });

  it("rejects malformed tokenizer.json with the offending path", () => {
    const good = tk.toJSON();
    expect(() => Tokenizer.fromJSON({ ...good, vocab: ["[UNK]", ...good.vocab.slice(1)] })).toThrow(
      /vocab\.0: expected special token \[PAD\]/,
    );
    expect(() => Tokenizer.fromJSON({ ...good, vocab: [...good.vocab, "a"] })).toThrow(/duplicate token "a"/);
    expect(() => Tokenizer.fromJSON({ format: "bpe" })).toThrow(/invalid tokenizer\.json/);
  });

  it("is deterministic and independent of corpus order", () => {
    const again = Tokenizer.train([...corpus].reverse(), { vocabSize: 600, minFreq: 2 });
    expect(again.toJSON()).toEqual(tk.toJSON());
  });

  it("starts with [CLS], pads with [PAD] and -1 offsets, truncates to maxLen", () => {
    const e = tk.encode("Acme Corp beats", 8);
    expect(e.ids[0]).toBe(CLS_ID);
    expect(e.offsets[0]).toBe(-1);
    expect(Array.from(e.ids.slice(e.length))).toEqual(new Array(8 - e.length).fill(PAD_ID));
    expect(Array.from(e.offsets.slice(2 * e.length))).toEqual(new Array(2 * (8 - e.length)).fill(-1));
    const long = tk.encode(corpus.join(" "), 16);
    expect(long.length).toBe(16);
    expect(long.ids).toHaveLength(16);
  });

  it("truncates long texts exactly as if the whole text were tokenized", () => {
    const article = corpus.join(" ").repeat(20);
    const full = tk.tokenize(article);
    for (const maxLen of [8, 64, 200]) {
      const e = tk.encode(article, maxLen);
      expect(e.length).toBe(maxLen);
      expect(Array.from(e.ids.slice(1), (id) => tk.idToToken(id))).toEqual(full.slice(0, maxLen - 1));
    }
    // A long text that is mostly one URL: the prefix holds too few tokens, so the whole text is used.
    const urlHeavy = "Acme https://example.com/" + "x".repeat(5000) + " up 5%";
    const short = tk.encode(urlHeavy, 3);
    expect(Array.from(short.ids.slice(1), (id) => tk.idToToken(id))).toEqual(["acme", "[URL]"]);
    expect(tk.encode(urlHeavy, 64).length).toBe(1 + tk.tokenize(urlHeavy).length);
  });

  it("encodeBatch lays out rows exactly like encode", () => {
    const texts = corpus.slice(0, 5);
    const b = tk.encodeBatch(texts, 24);
    texts.forEach((t, i) => {
      const e = tk.encode(t, 24);
      expect(b.ids.slice(i * 24, (i + 1) * 24)).toEqual(e.ids);
      expect(b.offsets.slice(i * 48, (i + 1) * 48)).toEqual(e.offsets);
      expect(b.lengths[i]).toBe(e.length);
    });
  });

  it("keeps frequent cashtags whole and splits rare ones into $ + subwords", () => {
    expect(aligned("$ACME up")).toEqual([
      ["$acme", "$ACME"],
      ["up", "up"],
    ]);
    const rare = aligned("$ZZQX");
    expect(rare[0]).toEqual(["$", "$"]);
    expect(rare.map((p) => p[1]).join("")).toBe("$ZZQX");
    expect(rare.length).toBeGreaterThan(1);
  });

  it("maps URLs to [URL] and leaves trailing punctuation out of the span", () => {
    const text = "Acme https://t.co/XyZ123. Acme";
    const e = tk.encode(text, 16);
    expect(Array.from(e.ids.slice(0, e.length))).toEqual([CLS_ID, tk.tokenToId("acme"), URL_ID, tk.tokenToId("."), tk.tokenToId("acme")]);
    expect(text.slice(e.offsets[4]!, e.offsets[5]!)).toBe("https://t.co/XyZ123");
    expect(aligned("Acme www.acme.com")[1]).toEqual(["[URL]", "www.acme.com"]);
  });

  it("normalises digits to shapes, keeping signed percentages and money parts", () => {
    expect(aligned("up 4.5% to 7%")).toEqual([
      ["up", "up"],
      ["0.0%", "4.5%"],
      ["to", "to"],
      ["0%", "7%"],
    ]);
    // A signed shape seen once in the corpus is not in the vocabulary: sign, number shape and "%" stay separate.
    expect(aligned("-3.2%")).toEqual([
      ["-", "-"],
      ["0.0", "3.2"],
      ["%", "%"],
    ]);
    expect(aligned("$1.2bn")).toEqual([
      ["$", "$"],
      ["0.0", "1.2"],
      ["bn", "bn"],
    ]);
    expect(aligned("€300m").map((p) => p[1])).toEqual(["€", "300", "m"]);
    expect(aligned("USD 5 million").slice(-2)).toEqual([
      ["0", "5"],
      ["million", "million"],
    ]);
    // An unseen digit shape becomes [NUM] rather than exploding the vocabulary.
    expect(tk.encode("987654321987", 4).ids[1]).toBe(NUM_ID);
  });

  it("unescapes &amp; in place with offsets covering the entity", () => {
    const pairs = aligned("AT&amp;T");
    expect(pairs.map((p) => p[1]).join("")).toBe("AT&amp;T");
    expect(pairs).toContainEqual(["&", "&amp;"]);
  });

  it("maps offsets back to the original text across emoji and surrogate pairs", () => {
    const text = "Stocks 🚀🚀 up 👍🏽 𝐀cme 😶‍🌫️ done";
    const pairs = aligned(text);
    // Spans tile the non-space text exactly, in order.
    expect(pairs.map((p) => p[1]).join("")).toBe(text.replace(/ /g, ""));
    expect(pairs.filter((p) => /\p{Extended_Pictographic}/u.test(p[1]))).toEqual([
      ["🚀", "🚀"],
      ["🚀", "🚀"],
      ["[EMOJI]", "👍🏽"],
      ["[EMOJI]", "😶‍🌫️"],
    ]);
    expect(pairs).toContainEqual(["[UNK]", "𝐀"]);
    const e = tk.encode(text, 32);
    for (let i = 1; i < e.length; i++) {
      const s = e.offsets[2 * i]!;
      const end = e.offsets[2 * i + 1]!;
      expect(end).toBeGreaterThan(s);
      // No span starts or ends inside a surrogate pair.
      expect(text.charCodeAt(s) >= 0xdc00 && text.charCodeAt(s) <= 0xdfff).toBe(false);
      expect(text.charCodeAt(end - 1) >= 0xd800 && text.charCodeAt(end - 1) <= 0xdbff).toBe(false);
    }
    expect(tk.encode("😶‍🌫️", 4).ids[1]).toBe(EMOJI_ID);
  });

  it("keeps offsets aligned when lowercasing would change a character's length", () => {
    const text = "İstanbul Acme";
    const pairs = aligned(text);
    expect(pairs.at(-1)).toEqual(["acme", "Acme"]);
  });

  it("folds case and accents but reports case shapes per position", () => {
    expect(tk.tokenize("ACME Acme acme")).toEqual(["acme", "acme", "acme"]);
    expect(tk.tokenize("Nestlé").join("")).toBe(tk.tokenize("nestle").join(""));
    const e = tk.encode("ACME Acme acme iPhone 42", 32);
    expect(Array.from(e.caseShapes.slice(0, 4))).toEqual([CASE_SHAPES.special, CASE_SHAPES.upper, CASE_SHAPES.title, CASE_SHAPES.lower]);
    expect(e.caseShapes[e.length - 1]).toBe(CASE_SHAPES.none);
  });
});
