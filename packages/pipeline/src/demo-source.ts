import { mulberry32, type Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import { TOPICS, type IncomingItemV1 } from "@finsentry/schemas";

/**
 * The demo stream for `npm start`: sentences the project writes itself (no third-party text), replayed as news and
 * social posts at a steady rate, with a periodic bearish burst about one company so warnings can be seen firing.
 */
const COMPANIES = [
  ["Northwind Motors", "NWM"], ["Contoso Pharma", "CTSO"], ["Fabrikam Energy", "FBK"], ["Tailspin Airlines", "TSPN"],
  ["Litware Bank", "LTW"], ["Adatum Robotics", "ADTM"], ["Woodgrove Retail", "WGRV"], ["Proseware Cloud", "PRSW"],
] as const;
const NEUTRAL = [
  "{c} to present at industry conference next week",
  "{c} schedules quarterly results call for {d}",
  "${t} trading flat ahead of the open",
  "{c} names new head of investor relations",
  "{c} files routine annual report with regulators",
  "Analysts keep {c} price target at ${n}",
];
const BULLISH = [
  "{c} beats estimates as revenue jumps {p}% to ${n}bn",
  "${t} surges after {c} raises full-year guidance",
  "{c} wins record order; shares rally {p}%",
  "Upgrade: brokers lift {c} to buy on strong demand",
];
const BEARISH = [
  "{c} shares plunge {p}% after profit warning",
  "${t} tumbles as {c} misses earnings and cuts outlook",
  "Regulators open probe into {c} accounting; stock sinks",
  "{c} announces layoffs of {n}00 staff amid weak sales",
  "${t} slides {p}% as CEO of {c} resigns abruptly",
];

function fill(template: string, company: readonly [string, string], rnd: () => number): string {
  return template
    .replaceAll("{c}", company[0])
    .replaceAll("{t}", company[1])
    .replaceAll("{p}", (1 + rnd() * 14).toFixed(1))
    .replaceAll("{n}", String(2 + Math.floor(rnd() * 90)))
    .replaceAll("{d}", ["Monday", "Tuesday", "Thursday"][Math.floor(rnd() * 3)]!);
}

export { mulberry32 };

/** Generates `n` demo items; every `burstEvery`-th block is a bearish burst about one company. */
export function demoItems(n: number, opts: { seed?: number; start?: Date; stepMs?: number } = {}): { topic: string; item: IncomingItemV1 }[] {
  const rnd = mulberry32(opts.seed ?? 7);
  const start = opts.start?.getTime() ?? Date.now();
  const out: { topic: string; item: IncomingItemV1 }[] = [];
  for (let i = 0; i < n; i++) {
    const block = Math.floor(i / 40);
    const inBurst = block % 3 === 2 && i % 40 < 15;
    const company = inBurst ? COMPANIES[block % COMPANIES.length]! : COMPANIES[Math.floor(rnd() * COMPANIES.length)]!;
    const pool = inBurst ? BEARISH : rnd() < 0.6 ? NEUTRAL : rnd() < 0.5 ? BULLISH : BEARISH;
    const social = rnd() < 0.4;
    const text = `${fill(pool[Math.floor(rnd() * pool.length)]!, company, rnd)}${social ? ` #${company[1]}` : ""} (${i})`;
    out.push({
      topic: social ? TOPICS.social : TOPICS.news,
      item: {
        source: social ? "demo-social" : "demo-wire",
        published_at: new Date(start + i * (opts.stepMs ?? 1000)).toISOString(),
        text,
        url: social ? null : `https://news.example.com/demo/${i}`,
        author: social ? `@trader${Math.floor(rnd() * 50)}` : "Demo Wire",
        lang: "en",
      },
    });
  }
  return out;
}

/**
 * Publishes the demo stream onto the source topics at `ratePerSec`, forever, until stopped. Pauses while the
 * pipeline is more than `maxLag` items behind, so an in-memory bus never grows without bound.
 */
export function startDemoSource(deps: { bus: Bus; log: Logger; ratePerSec?: number; maxLag?: number }): { stop(): void } {
  const rate = deps.ratePerSec ?? 4;
  const maxLag = deps.maxLag ?? 10_000;
  let i = 0;
  let buffer = demoItems(400, { start: new Date() });
  let paused = false;
  const sampleLag = async () => {
    const behind = (await Promise.all([
      deps.bus.lag("ingest-news", TOPICS.news),
      deps.bus.lag("ingest-social", TOPICS.social),
      deps.bus.lag("scorer", TOPICS.raw),
    ])).reduce((a, b) => a + b, 0);
    if (behind > maxLag !== paused) deps.log.info({ behind, maxLag }, behind > maxLag ? "demo source paused: pipeline behind" : "demo source resumed");
    paused = behind > maxLag;
  };
  const sampler = setInterval(() => void sampleLag().catch((err) => deps.log.debug({ err }, "demo lag sample failed")), 1000);
  sampler.unref();
  const timer = setInterval(() => {
    if (paused) return;
    if (i >= buffer.length) {
      buffer = demoItems(400, { seed: Date.now() % 100000, start: new Date() });
      i = 0;
    }
    const next = buffer[i++]!;
    // Live timestamps: the demo reads as "now" on the dashboard.
    const item = { ...next.item, published_at: new Date().toISOString() };
    deps.bus.send(next.topic, [{ value: JSON.stringify(item) }]).catch((err) => deps.log.warn({ err }, "demo publish failed"));
  }, 1000 / rate);
  timer.unref();
  deps.log.info({ ratePerSec: rate }, "demo source publishing to news/social");
  return {
    stop: () => {
      clearInterval(timer);
      clearInterval(sampler);
    },
  };
}
