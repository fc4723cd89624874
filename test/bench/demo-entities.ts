/**
 * npm run eval:demo-entities — which entity keys the default scorer gives the demo stream (issue 19: "nothing that is
 * not a name among the top movers of the demo stream"). Scores `DEMO_ITEMS` (default 1,200) demo items with the
 * bundled models in the configured mode (SCORER_TIERS, default cascade), keys their mentions with the demo registry
 * exactly as the scorer does, and prints every key with its mention count, registered (E:…) keys first. Keys that are
 * not an entity the demo writes about (the demo only names its eight companies and their tickers) are listed under
 * "other keys": on this stream, each of them is a word the model misread as a name.
 */
import { createLogger } from "@finsentry/core";
import { DEMO_ENTITIES, EntityResolver } from "@finsentry/entities";
import { scoreTexts } from "@finsentry/model";
import { demoItems, loadModelTiers, loadTextScorer, mentionsOf } from "@finsentry/pipeline";

const N = Number(process.env.DEMO_ITEMS ?? 1200);
const log = createLogger("eval", "warn");
const tiers = await loadModelTiers(log);
const model = tiers.serve(await loadTextScorer(log, process.env.MODEL_DIR, "none"));
const resolver = new EntityResolver({ version: 1, entities: DEMO_ENTITIES });
const items = demoItems(N, { seed: Number(process.env.DEMO_SEED ?? 7), start: new Date(Date.UTC(2026, 0, 1)) });
const counts = new Map<string, number>();
const examples = new Map<string, string>();
let mentions = 0;
const texts = items.map((d) => d.item.text);
for (const [k, o] of (await scoreTexts(model, texts)).entries()) {
  for (const mn of mentionsOf(o, texts[k], resolver)) {
    mentions++;
    counts.set(mn.key, (counts.get(mn.key) ?? 0) + 1);
    if (!examples.has(mn.key)) examples.set(mn.key, `"${mn.text}" in ${texts[k]}`);
  }
}
await model.close();
await tiers.close();
const registered = [...counts].filter(([k]) => k.startsWith("E:")).sort((a, b) => b[1] - a[1]);
const other = [...counts].filter(([k]) => !k.startsWith("E:")).sort((a, b) => b[1] - a[1]);
const otherMentions = other.reduce((a, [, n]) => a + n, 0);
console.log(`demo stream, ${N} items, SCORER_TIERS=${tiers.mode}: ${mentions} mentions under ${counts.size} keys`);
console.log(`registered entities (${registered.length}): ${registered.map(([k, n]) => `${k} ${n}`).join(", ")}`);
console.log(`other keys (${other.length}, ${otherMentions} mentions, ${((100 * otherMentions) / Math.max(1, mentions)).toFixed(1)} %):`);
for (const [k, n] of other) console.log(`  ${String(n).padStart(5)}  ${k}  e.g. ${examples.get(k)}`);
