import { describe, expect, it } from "vitest";
import { DEMO_ENTITIES, EntityResolver } from "@finsentry/entities";
import type { ModelOutput } from "@finsentry/schemas";
import { mentionsOf } from "../src/entity-keys.ts";

// mentionsOf with the registry: a `$`/`#` span over a registered ticker is the instrument's mention whatever type the
// model gave it (the model sometimes tags "#NWM" as PERSON), and nothing else changes type.

const resolver = new EntityResolver({
  version: 1,
  entities: [...DEMO_ENTITIES, { id: "person-nora-west", kind: "person", name: "Nora West", aliases: [] }],
});

const output = (entities: ModelOutput["entities"]): ModelOutput => ({
  sentiment: { label: "bearish", score: -0.5, confidence: 0.9, probs: { bearish: 0.8, neutral: 0.1, bullish: 0.1 } },
  topic: { label: "Stock Movement", index: 19, confidence: 0.8 },
  entities,
});
const span = (text: string, surface: string, type: ModelOutput["entities"][number]["type"], from = 0) => {
  const start = text.indexOf(surface, from);
  return { start, end: start + surface.length, type, text: surface };
};

describe("mentionsOf: hashtags and cashtags the model typed as something else", () => {
  it("resolves a PERSON-tagged #NWM to the instrument, as TICKER, next to the company's name", () => {
    const text = "Northwind Motors recalls 10,000 cars #NWM";
    const got = mentionsOf(output([span(text, "Northwind Motors", "ORG"), span(text, "#NWM", "PERSON")]), text, resolver);
    expect(got).toEqual([
      { key: "E:nwm", type: "ORG", text: "Northwind Motors", start: 0, end: 16 },
      { key: "E:nwm", type: "TICKER", text: "#NWM", start: 37, end: 41 },
    ]);
  });

  it("does the same when the span leaves out the sigil, for $ and #, any case, and for LOCATION", () => {
    const sell = "Sell $nwm now";
    expect(mentionsOf(output([span(sell, "nwm", "PERSON")]), sell, resolver)).toEqual([
      { key: "E:nwm", type: "TICKER", text: "$nwm", start: 5, end: 9 },
    ]);
    // (Whether a hashtag is the ticker is the resolver's call, as for an ORG-typed one: here the text names it too.)
    const up = "Contoso Pharma up again: #CTSO";
    expect(mentionsOf(output([span(up, "CTSO", "LOCATION")]), up, resolver)).toEqual([
      { key: "E:ctso", type: "TICKER", text: "#CTSO", start: 25, end: 30 },
    ]);
  });

  it("keeps the model's type for an unregistered tag, a tag that is not a ticker, and a plain name", () => {
    const text = "#ZZZQ and #NorthwindFans cheer Nora West and NWM";
    const got = mentionsOf(
      output([
        span(text, "#ZZZQ", "PERSON"),
        span(text, "#NorthwindFans", "PERSON"),
        span(text, "Nora West", "PERSON"),
        span(text, "NWM", "PERSON"),
      ]),
      text,
      resolver,
    );
    expect(got.map((m) => [m.type, m.key])).toEqual([
      ["PERSON", "PERSON:#zzzq"],
      ["PERSON", "PERSON:#northwindfans"],
      ["PERSON", "E:person-nora-west"],
      // A bare upper-case word is not a tag: the model's PERSON stands (and the ticker scan skips the covered span).
      ["PERSON", "PERSON:nwm"],
    ]);
  });

  it("without a resolver keys by surface text as before", () => {
    const text = "Up 5% #NWM";
    expect(mentionsOf(output([span(text, "#NWM", "PERSON")]), text)).toEqual([
      { key: "PERSON:#nwm", type: "PERSON", text: "#NWM", start: 6, end: 10 },
    ]);
  });
});

/** mentionsOf with the registry, for the model's spans given as [surface, type, search from]. */
const keyed = (text: string, ...spans: [string, ModelOutput["entities"][number]["type"], number?][]) =>
  mentionsOf(output(spans.map(([surface, type, from]) => span(text, surface, type, from))), text, resolver);

describe("mentionsOf: a name span cut short inside a registered name", () => {
  // The accurate tier's spans on demo headlines (issue 19: "Retail", "Cloud", "Woodgrove" among the top movers).
  it("widens a lone word of a company's name to the name, whatever type the model gave it", () => {
    const text = "Upgrade: brokers lift Woodgrove Retail to buy on strong demand #WGRV (268)";
    const got = keyed(text, ["Woodgrove", "LOCATION"], ["Retail", "ORG"]);
    // Both fragments become the one mention of the company; the ticker scan adds the hashtag.
    expect(got).toEqual([
      { key: "E:wgrv", type: "ORG", text: "Woodgrove Retail", start: 22, end: 38 },
      { key: "E:wgrv", type: "TICKER", text: "#WGRV", start: 63, end: 68 },
    ]);
    const cloud = "Analysts keep Proseware Cloud price target at $21 (291)";
    expect(keyed(cloud, ["Cloud", "ORG"])).toEqual([{ key: "E:prsw", type: "ORG", text: "Proseware Cloud", start: 14, end: 29 }]);
    const bank = "Litware Bank CEO resigns abruptly";
    expect(keyed(bank, ["Bank", "ORG"])).toEqual([{ key: "E:ltw", type: "ORG", text: "Litware Bank", start: 0, end: 12 }]);
  });

  it("re-types a registered name read as a place, and cuts a span that ran on into the sentence", () => {
    const text = "Woodgrove Retail schedules quarterly results call for Monday";
    expect(keyed(text, ["Woodgrove Retail", "LOCATION"])).toEqual([
      { key: "E:wgrv", type: "ORG", text: "Woodgrove Retail", start: 0, end: 16 },
    ]);
    const long = "$NWM slides 12.7% as Northwind Motors suspends its dividend #NWM";
    const got = keyed(long, ["Northwind Motors suspends its dividend #NWM", "ORG"]);
    expect(got.map((m) => [m.type, m.text, m.key])).toEqual([
      ["ORG", "Northwind Motors", "E:nwm"],
      // The ticker scan then finds the hashtag the long span had covered.
      ["TICKER", "$NWM", "E:nwm"],
      ["TICKER", "#NWM", "E:nwm"],
    ]);
    // A one-word place is never re-typed as a company, even where it is a registered company's short name.
    const place = "Storms hit Woodgrove today";
    expect(keyed(place, ["Woodgrove", "LOCATION"])).toEqual([
      { key: "LOCATION:woodgrove", type: "LOCATION", text: "Woodgrove", start: 11, end: 20 },
    ]);
  });

  it("leaves spans alone that resolve on their own, that no registered name encloses, or that punctuation separates", () => {
    const text = "Nora West joins Acme Retail; Woodgrove, Retail Index at record";
    const got = keyed(text, ["Nora West", "PERSON"], ["Retail", "ORG"], ["Retail", "ORG", 40]);
    expect(got.map((m) => [m.type, m.text, m.key])).toEqual([
      ["PERSON", "Nora West", "E:person-nora-west"],
      ["ORG", "Retail", "ORG:retail"],
      ["ORG", "Retail", "ORG:retail"],
    ]);
  });
});
