/**
 * Entity resolution throughput (issue 20): `npm run bench:resolver [listings-dir]`. Resolves a realistic mix of model
 * mentions (cashtags, hashtags, bare tickers, names with legal forms and possessives, common-word tickers, shared short
 * names, unknown organisations, people, places, amounts) with `resolveAll` + `findTickerMentions`, as the scorer does,
 * and compares it with the legacy `entityKey` calls on the same mentions in the same process. The registry is the
 * listings directory when one is given or found at ../shared/data/tickers, else the demo companies plus generated ones.
 */
import { existsSync } from "node:fs";
import { entityKey } from "@finsentry/schemas";
import { DEMO_ENTITIES } from "./demo.ts";
import { loadListings } from "./listings.ts";
import { EntityResolver } from "./resolver.ts";
import type { MentionIn, RegistryEntity } from "./types.ts";

const ITEMS = 5_000;
const ROUNDS = 7;

async function registry(): Promise<{ entities: RegistryEntity[]; source: string }> {
  const dir = process.argv[2] ?? process.env.ENTITY_LISTINGS_DIR ?? "../shared/data/tickers";
  if (existsSync(dir)) {
    const { entities } = await loadListings(dir);
    return { entities: [...entities, ...DEMO_ENTITIES], source: dir };
  }
  const generated: RegistryEntity[] = [];
  for (let i = 0; i < 5_000; i++) {
    const t = `Q${i.toString(36).toUpperCase().padStart(3, "0")}`;
    generated.push({ id: t.toLowerCase(), kind: "instrument", name: `Quantel${i} Systems Inc.`, ticker: t, aliases: [] });
  }
  return { entities: [...DEMO_ENTITIES, ...generated], source: "demo + 5000 generated" };
}

/** Seeded so runs compare. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function corpus(entities: RegistryEntity[]): { text: string; mentions: MentionIn[] }[] {
  const rnd = rng(20);
  const instruments = entities.filter((e) => e.kind === "instrument" && e.ticker);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const items: { text: string; mentions: MentionIn[] }[] = [];
  for (let i = 0; i < ITEMS; i++) {
    const a = pick(instruments);
    const b = pick(instruments);
    const parts: [string, string | null][] = [];
    const form = rnd();
    if (form < 0.25) parts.push([`$${a.ticker}`, "TICKER"]);
    else if (form < 0.4) parts.push([`#${a.ticker}`, "ORG"]);
    else if (form < 0.5) parts.push([a.ticker!, "ORG"]);
    else if (form < 0.7) parts.push([a.name, "ORG"]);
    else if (form < 0.8) parts.push([`${a.name.split(" ")[0]}'s`, "ORG"]);
    else if (form < 0.85) parts.push(["ALL", "ORG"]);
    else parts.push(["Initrode Partners", "ORG"]);
    parts.push([pick([" shares fell ", " jumps after ", " cut to sell by ", " beats estimates; "]), null]);
    parts.push(rnd() < 0.5 ? [b.name, "ORG"] : [`$${b.ticker}`, "TICKER"]);
    parts.push([" as ", null]);
    parts.push(rnd() < 0.5 ? ["Jane Smith", "PERSON"] : ["Springfield", "LOCATION"]);
    parts.push([" said revenue rose ", null], ["4.5%", "PERCENT"], [" to ", null], ["$2.1bn", "MONEY"]);
    if (rnd() < 0.3) parts.push([` #${pick(instruments).ticker}`, null]);
    let text = "";
    const mentions: MentionIn[] = [];
    for (const [s, type] of parts) {
      if (type) mentions.push({ type, text: s, start: text.length, end: text.length + s.length });
      text += s;
    }
    items.push({ text, mentions });
  }
  return items;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
}

const { entities, source } = await registry();
let t = performance.now();
const resolver = new EntityResolver({ version: 1, entities });
const buildMs = performance.now() - t;
const items = corpus(entities);
const mentions = items.reduce((n, it) => n + it.mentions.length, 0);

let sink = 0;
const legacy = () => {
  for (const it of items) for (const m of it.mentions) if (entityKey(m.type, m.text)) sink++;
};
const resolved = () => {
  for (const it of items) {
    for (const r of resolver.resolveAll(it.mentions, it.text)) if (r.key) sink++;
    sink += resolver.findTickerMentions(it.text, it.mentions).length;
  }
};
const cold = new EntityResolver({ version: 2, entities });
t = performance.now();
for (const it of items) for (const r of cold.resolveAll(it.mentions, it.text)) if (r.key) sink++;
const coldMs = performance.now() - t;

const base: number[] = [];
const res: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  t = performance.now();
  legacy();
  base.push(performance.now() - t);
  t = performance.now();
  resolved();
  res.push(performance.now() - t);
}
const perSec = (ms: number) => Math.round((mentions / ms) * 1000);
const b = median(base);
const m = median(res);
const resolvedShare = items.flatMap((it) => resolver.resolveAll(it.mentions, it.text)).filter((r) => r.entityId).length / mentions;
console.log(`registry: ${entities.length} entities (${source}), resolver built in ${buildMs.toFixed(0)} ms`);
console.log(`mix: ${items.length} items, ${mentions} mentions, ${(resolvedShare * 100).toFixed(1)}% resolved to a registry entity`);
console.log(`legacy entityKey:                        ${perSec(b).toLocaleString("en")} mentions/s`);
console.log(
  `resolveAll + findTickerMentions (warm):  ${perSec(m).toLocaleString("en")} mentions/s (${(m / b).toFixed(2)}x the legacy time)`,
);
console.log(`resolveAll, first pass (cold memo):      ${perSec(coldMs).toLocaleString("en")} mentions/s`);
console.log(
  `per item: ${((m / items.length) * 1000).toFixed(2)} µs resolved vs ${((b / items.length) * 1000).toFixed(2)} µs legacy (sink ${sink % 10})`,
);
