/**
 * What entity resolution costs the scorer (issue 20): end-to-end scoring (model pass + mentions) of the same texts
 * with the resolver on and off, in alternating rounds in one process, and the mention step alone.
 *
 *   npm run bench:entities -- [--tickers ../shared/data/tickers] [--tiers fast|cascade] [--items 2048] [--rounds 5]
 *
 * The registry is the demo's companies plus, with --tickers, every listed company (~5,400), which is the realistic
 * lookup table size. Texts are the demo stream's (project-written), which name companies in every form.
 */
import { parseArgs } from "node:util";
import { createLogger } from "@finsentry/core";
import { DEMO_ENTITIES, EntityResolver, loadListings, type RegistryEntity } from "@finsentry/entities";
import type { ModelOutput } from "@finsentry/schemas";
import { demoItems, loadModelTiers, loadTextScorer, loadTierConfig, mentionsOf } from "@finsentry/pipeline";

const { values } = parseArgs({
  options: {
    tickers: { type: "string" },
    tiers: { type: "string", default: "fast" },
    items: { type: "string", default: "2048" },
    rounds: { type: "string", default: "5" },
  },
});
const n = Number(values.items);
const rounds = Number(values.rounds);
if (!(n >= 64) || !(rounds >= 1)) throw new Error("--items must be >= 64 and --rounds >= 1");

const log = createLogger("bench-entities", "warn");
const entities: RegistryEntity[] = [...DEMO_ENTITIES];
if (values.tickers) entities.push(...(await loadListings(values.tickers)).entities);
const resolver = new EntityResolver({ version: 1, entities });
const tiers = await loadModelTiers(log, loadTierConfig({ ...process.env, SCORER_TIERS: values.tiers }));
const model = tiers.serve(await loadTextScorer(log));
const texts = demoItems(n, { seed: 5 }).map((d) => d.item.text);
const BATCH = 64;

async function endToEnd(withResolver: boolean): Promise<number> {
  const t0 = performance.now();
  let mentions = 0;
  for (let i = 0; i < texts.length; i += BATCH) {
    const batch = texts.slice(i, i + BATCH);
    const outputs = await model.score(batch);
    for (const [k, o] of outputs.entries()) mentions += mentionsOf(o, batch[k]!, withResolver ? resolver : null).length;
  }
  if (mentions === 0) throw new Error("no mentions: the bench would measure nothing");
  return texts.length / ((performance.now() - t0) / 1000);
}

await endToEnd(true); // warm-up
const on: number[] = [];
const off: number[] = [];
for (let r = 0; r < rounds; r++) {
  off.push(await endToEnd(false));
  on.push(await endToEnd(true));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// The mention step alone, on outputs scored once.
const outputs: ModelOutput[] = [];
for (let i = 0; i < texts.length; i += BATCH) outputs.push(...(await model.score(texts.slice(i, i + BATCH))));
const step = (withResolver: boolean) => {
  const t0 = performance.now();
  for (let rep = 0; rep < 20; rep++) for (const [k, o] of outputs.entries()) mentionsOf(o, texts[k]!, withResolver ? resolver : null);
  return (20 * outputs.length) / ((performance.now() - t0) / 1000);
};
step(true);
const stepOff = step(false);
const stepOn = step(true);
console.log(
  JSON.stringify({
    registry_entities: entities.length,
    tiers: tiers.mode,
    items: n,
    rounds,
    end_to_end_items_per_s: {
      resolution_off: Math.round(median(off)),
      resolution_on: Math.round(median(on)),
      ratio_on_off: +(median(on) / median(off)).toFixed(3),
    },
    mention_step_items_per_s: { legacy: Math.round(stepOff), resolved: Math.round(stepOn), ratio: +(stepOn / stepOff).toFixed(3) },
  }),
);
await model.close();
await tiers.close();
