import { mulberry32 } from "@finsentry/core";
import type { LabelledText } from "../src/index.ts";

/**
 * Labelled texts for the online-learning tests (the in-memory one here and test/online-learning.kafka.test.ts),
 * generated here, never taken from ../shared.
 */

// A style of text the bundled model never saw: trader slang for bearish and bullish news.
const TICKERS = ["ZORB", "KWIX", "PLEX", "VRND", "MOXA", "TANQ", "HELO", "JUNO", "RAKE", "SOLV", "BRIX", "CAVO"];
const BEAR = [
  "is getting absolutely rekt",
  "bagholders are cooked",
  "rugged again, ngmi",
  "down bad after the call",
  "capitulation szn, it's cooked",
  "chart is a crime scene, rekt",
];
const BULL = [
  "straight to the moon",
  "tendies incoming, wagmi",
  "is mooning, send it",
  "printing money, lfg",
  "diamond hands paid off, moon",
  "absolute rocket, lfg",
];

/** `n` slang posts, alternating bearish and bullish; different seeds give (mostly) different texts. */
export function slang(n: number, seed: number): LabelledText[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const bear = i % 2 === 0;
    const pool = bear ? BEAR : BULL;
    const t = TICKERS[Math.floor(r() * TICKERS.length)]!;
    return { text: `$${t} ${pool[Math.floor(r() * pool.length)]} fr ${Math.floor(r() * 1000)}`, sentiment: bear ? "bearish" : "bullish" };
  });
}

/** Plain headlines of the kind the model was trained on: the golden set and the replay sample. */
export function plain(n: number, seed: number): LabelledText[] {
  const r = mulberry32(seed);
  const rows: [string, string][] = [
    ["shares plunge after profit warning", "bearish"],
    ["misses estimates and cuts its outlook", "bearish"],
    ["stock tumbles as CEO resigns", "bearish"],
    ["beats estimates, shares rally", "bullish"],
    ["raises full-year guidance; stock jumps", "bullish"],
    ["wins record order, shares surge", "bullish"],
    ["to present at industry conference", "neutral"],
    ["schedules quarterly results call", "neutral"],
    ["files annual report", "neutral"],
  ];
  const names = ["Acme Corp", "Globex", "Initech", "Umbrella Group", "Stark Industries", "Wayne Enterprises"];
  return Array.from({ length: n }, () => {
    const [tail, sentiment] = rows[Math.floor(r() * rows.length)]!;
    return { text: `${names[Math.floor(r() * names.length)]} ${tail}`, sentiment };
  });
}

/**
 * Labels made worse on purpose: headlines of the golden set's kind (its phrases, other company names, so the texts
 * are new), each labelled with a wrong class — a careless or malicious labeller. Trained on, they teach the model the
 * opposite of what it knows, and the golden set shows it.
 */
export function wrongLabels(n: number, seed: number): LabelledText[] {
  const wrong = { bearish: "bullish", bullish: "bearish", neutral: "bearish" } as const;
  const r = mulberry32(seed);
  const first = [
    "Apex",
    "Bluewater",
    "Crown",
    "Delta",
    "Evergreen",
    "Falcon",
    "Granite",
    "Harbor",
    "Ironwood",
    "Juniper",
    "Keystone",
    "Lumen",
    "Meridian",
    "Northgate",
    "Orchid",
    "Pinnacle",
  ];
  const second = ["Holdings", "Labs", "Systems", "Motors", "Foods", "Energy", "Capital", "Logistics", "Pharma", "Mining"];
  if (n > (first.length * second.length * 9) / 2)
    throw new Error(`wrongLabels: at most ${(first.length * second.length * 9) / 2} distinct texts`);
  const seen = new Set<string>();
  const out: LabelledText[] = [];
  const pool = plain(n * 4, seed);
  for (let i = 0; out.length < n; i++) {
    const l = pool[i % pool.length]!;
    const tail = l.text.replace(/^(Acme Corp|Globex|Initech|Umbrella Group|Stark Industries|Wayne Enterprises) /, "");
    const text = `${first[Math.floor(r() * first.length)]} ${second[Math.floor(r() * second.length)]} ${tail}`;
    if (seen.has(text)) continue;
    seen.add(text);
    out.push({ text, sentiment: wrong[l.sentiment as keyof typeof wrong] });
  }
  return out;
}

/** The golden set and the replay sample both tests train and judge with (sizes that keep a fine-tune to seconds). */
export const GOLDEN = () => plain(150, 1);
export const REPLAY = () => plain(600, 2);
/** Held-out slang (never labelled): the accuracy on it before and after shows what the challenger learned. */
export const HELD_OUT_SLANG = () => slang(120, 99);
/** The labels the analysts submit: slang with a different seed from the held-out set. */
export const SLANG_LABELS = () => slang(300, 7);

export const toJsonl = (rows: readonly LabelledText[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
