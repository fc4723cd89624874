import { mulberry32, type Logger } from "@finsentry/core";
import type { Bus } from "@finsentry/bus";
import { TOPICS, type IncomingItemV1 } from "@finsentry/schemas";

/**
 * The demo stream for `npm start`: sentences the project writes itself (no third-party text), replayed as news and
 * social posts at a steady rate. On top of that normal traffic it tells a story on a cycle (`DEMO_STORY`): one
 * company's news turns bad — a sustained run of bearish headlines about it — then recovers, so a warning can be seen
 * firing and resolving (with the demo rules, packages/alerts/rules.demo.yaml, within two minutes of start).
 */
const COMPANIES = [
  ["Northwind Motors", "NWM"],
  ["Contoso Pharma", "CTSO"],
  ["Fabrikam Energy", "FBK"],
  ["Tailspin Airlines", "TSPN"],
  ["Litware Bank", "LTW"],
  ["Adatum Robotics", "ADTM"],
  ["Woodgrove Retail", "WGRV"],
  ["Proseware Cloud", "PRSW"],
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

/** The company the story is about, and its timeline within one cycle. */
export const DEMO_STORY = {
  company: ["Northwind Motors", "NWM"] as const,
  /**
   * The entity the demo rules' warning is raised on: the registered demo company (DEMO_ENTITIES, seeded by npm start),
   * which "Northwind Motors", "$NWM" and "#NWM" all resolve to.
   */
  entityKey: "E:nwm",
  /** Default cycle length; `DEMO_STORY_PERIOD_S` overrides it for `npm start`. */
  periodMs: 600_000,
  /** Normal traffic first, for this long (at most a tenth of the cycle)… */
  calmMs: 10_000,
  /** …then bad news until this share of the cycle has passed, then recovery until the cycle ends. */
  badUntil: 0.45,
  /** Share of all items that are about the story company while it is in the news. */
  share: 0.3,
} as const;
const STORY_BAD = [
  "{c} shares plunge {p}% after profit warning",
  "${t} tumbles as {c} misses earnings and cuts outlook",
  "{c} recalls {n},000 vehicles over brake defect",
  "Regulators open probe into {c} safety reporting; stock sinks",
  "{c} halts production at two plants; shares slide {p}%",
  "Brokers downgrade {c} to sell as recall costs mount",
  "${t} slides {p}% as {c} suspends its dividend",
];
const STORY_RECOVERY = [
  "${t} rallies as {c} restores full-year guidance",
  "{c} restarts production; shares rise {p}%",
  "Brokers upgrade {c} to buy on recovering demand",
  "{c} wins record fleet order; shares rally {p}%",
  "{c} beats estimates as revenue jumps {p}% to ${n}bn",
];

export type StoryPhase = "calm" | "bad" | "recovery";

/** Where the story stands `elapsedMs` after the demo started, on a cycle of `periodMs`. */
export function storyPhase(elapsedMs: number, periodMs: number = DEMO_STORY.periodMs): StoryPhase {
  const t = ((elapsedMs % periodMs) + periodMs) % periodMs;
  if (t < Math.min(DEMO_STORY.calmMs, periodMs / 10)) return "calm";
  return t < periodMs * DEMO_STORY.badUntil ? "bad" : "recovery";
}

function fill(template: string, company: readonly [string, string], rnd: () => number): string {
  return template
    .replaceAll("{c}", company[0])
    .replaceAll("{t}", company[1])
    .replaceAll("{p}", (1 + rnd() * 14).toFixed(1))
    .replaceAll("{n}", String(2 + Math.floor(rnd() * 90)))
    .replaceAll("{d}", ["Monday", "Tuesday", "Thursday"][Math.floor(rnd() * 3)]!);
}

export { mulberry32 };

type DemoItem = { topic: string; item: IncomingItemV1 };

/** One demo item (the `i`-th of its run) at story phase `phase`; `rnd` drives every choice. */
function demoItem(i: number, phase: StoryPhase, rnd: () => number, publishedAt: Date): DemoItem {
  const story = phase !== "calm" && rnd() < DEMO_STORY.share;
  let company: readonly [string, string];
  let pool: string[];
  if (story) {
    company = DEMO_STORY.company;
    pool = phase === "bad" ? STORY_BAD : STORY_RECOVERY;
  } else {
    // While the story company is in the news, the rest of the traffic is about the others.
    const others = phase === "calm" ? COMPANIES : COMPANIES.filter((c) => c[0] !== DEMO_STORY.company[0]);
    company = others[Math.floor(rnd() * others.length)]!;
    pool = rnd() < 0.6 ? NEUTRAL : rnd() < 0.5 ? BULLISH : BEARISH;
  }
  const social = rnd() < 0.4;
  const text = `${fill(pool[Math.floor(rnd() * pool.length)]!, company, rnd)}${social ? ` #${company[1]}` : ""} (${i})`;
  return {
    topic: social ? TOPICS.social : TOPICS.news,
    item: {
      source: social ? "demo-social" : "demo-wire",
      published_at: publishedAt.toISOString(),
      text,
      url: social ? null : `https://news.example.com/demo/${i}`,
      author: social ? `@trader${Math.floor(rnd() * 50)}` : "Demo Wire",
      lang: "en",
    },
  };
}

/**
 * Generates `n` demo items dated `stepMs` apart from `start`, telling the story by their dates (a cycle of
 * `storyPeriodMs` from `start`).
 */
export function demoItems(n: number, opts: { seed?: number; start?: Date; stepMs?: number; storyPeriodMs?: number } = {}): DemoItem[] {
  const rnd = mulberry32(opts.seed ?? 7);
  const start = opts.start?.getTime() ?? Date.now();
  const step = opts.stepMs ?? 1000;
  const out: DemoItem[] = [];
  for (let i = 0; i < n; i++) out.push(demoItem(i, storyPhase(i * step, opts.storyPeriodMs), rnd, new Date(start + i * step)));
  return out;
}

/**
 * Publishes the demo stream onto the source topics at `ratePerSec`, forever, until stopped, with live timestamps; the
 * story's phase follows the wall clock from the start (a cycle of `storyPeriodMs`). Pauses while the pipeline is more
 * than `maxLag` items behind, so an in-memory bus never grows without bound.
 */
export function startDemoSource(deps: {
  bus: Bus;
  log: Logger;
  ratePerSec?: number;
  maxLag?: number;
  storyPeriodMs?: number;
  seed?: number;
}): { stop(): void } {
  const rate = deps.ratePerSec ?? 4;
  const maxLag = deps.maxLag ?? 10_000;
  const period = deps.storyPeriodMs ?? DEMO_STORY.periodMs;
  if (!(period >= 60_000)) throw new Error(`demo story period must be at least 60 s (got ${period} ms)`);
  const rnd = mulberry32(deps.seed ?? 7);
  const startedAt = Date.now();
  let i = 0;
  let phase: StoryPhase | null = null;
  let paused = false;
  const sampleLag = async () => {
    const behind = (
      await Promise.all([
        deps.bus.lag("ingest-news", TOPICS.news),
        deps.bus.lag("ingest-social", TOPICS.social),
        deps.bus.lag("scorer", TOPICS.raw),
      ])
    ).reduce((a, b) => a + b, 0);
    if (behind > maxLag !== paused)
      deps.log.info({ behind, maxLag }, behind > maxLag ? "demo source paused: pipeline behind" : "demo source resumed");
    paused = behind > maxLag;
  };
  const sampler = setInterval(() => void sampleLag().catch((err) => deps.log.debug({ err }, "demo lag sample failed")), 1000);
  sampler.unref();
  const timer = setInterval(() => {
    if (paused) return;
    const now = new Date();
    const p = storyPhase(now.getTime() - startedAt, period);
    if (p !== phase) {
      deps.log.info(
        { phase: p, company: DEMO_STORY.company[0] },
        p === "bad"
          ? "demo story: news about the company turns bad"
          : p === "recovery"
            ? "demo story: the company's news recovers"
            : "demo story: normal traffic",
      );
      phase = p;
    }
    // Live timestamps: the demo reads as "now" on the dashboard.
    const next = demoItem(i++, p, rnd, now);
    deps.bus.send(next.topic, [{ value: JSON.stringify(next.item) }]).catch((err) => deps.log.warn({ err }, "demo publish failed"));
  }, 1000 / rate);
  timer.unref();
  deps.log.info({ ratePerSec: rate, storyPeriodS: period / 1000, company: DEMO_STORY.company[0] }, "demo source publishing to news/social");
  return {
    stop: () => {
      clearInterval(timer);
      clearInterval(sampler);
    },
  };
}
