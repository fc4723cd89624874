import type { Manifest } from "../runtime/manifest.ts";
import type { TrainResult } from "./trainer.ts";

/** Licences of the sources in /work/shared/data (see its README); unknown sources are marked as such. */
export const SOURCE_LICENCES: Record<string, string> = {
  "twitter-financial-news-sentiment": "MIT (zeroshot, Hugging Face)",
  "twitter-financial-news-topic": "MIT (zeroshot, Hugging Face)",
  "sentfin-1.0": "MIT (SEntFiN 1.0 authors)",
  finentity: "ODC-BY (FinEntity)",
  "sec-filings-ner": "CC BY 3.0 (Alvarado et al. 2015)",
  tickers: "ODC-PDDL (datasets/* on GitHub; used only as a weak-labelling gazetteer, not shipped)",
};

const pct = (x: number | undefined) => (x === undefined ? "–" : (100 * x).toFixed(1));

/** MODEL_CARD.md for a trained model: data + licences, recipe, per-task dev metrics, size and how to reproduce. */
export function modelCard(m: Manifest, r: TrainResult, extra: { command: string; onnxBytes: number; notes?: string[] }): string {
  const s = r.best;
  const lines = [
    `# finsentry model \`${m.id}\``,
    "",
    `Multitask Transformer encoder (sentiment · topic · entity BIO tags) trained from scratch by finsentry's own recipe`,
    `(\`packages/model/src/train\`). Created ${m.created_at}${m.parent ? `, fine-tuned from \`${m.parent}\`` : ""}.`,
    "",
    "## Architecture",
    `d_model ${m.sizes.dModel}, ${m.sizes.nLayers} pre-LN layers, ${m.sizes.nHeads} heads, FFN ${m.sizes.dFF} (GELU), max ${m.maxLen} tokens,`,
    `WordPiece vocabulary ${m.sizes.vocabSize}; ${m.sizes.params.toLocaleString("en-US")} parameters; model.onnx ${(extra.onnxBytes / 1e6).toFixed(2)} MB (fp32, opset 17).`,
    "Outputs: sentiment probs (score = p(bullish) − p(bearish), confidence = max prob), topic probs (20 classes),",
    "per-token BIO tag probs (ORG, TICKER, PERSON, LOCATION, MONEY, PERCENT), last-layer [CLS] attention for attributions.",
    ...(m.sizes.wide ? ["Wide path: a bag-of-word-pieces linear model (Σ rows / √n) added to the sentiment and topic logits."] : []),
    "",
    "## Training data",
    "| source | licence | examples used | tasks |",
    "|---|---|---|---|",
    ...m.data.sources.map((d) => `| ${d.name} | ${d.licence} | ${d.examples} | ${d.tasks.join(", ")} |`),
    "",
    m.data.note ?? "",
    "",
    "## Dev metrics (held-out split of the same sources, hash-split after de-duplication)",
    "| task | metric | value |",
    "|---|---|---|",
    `| sentiment | accuracy / macro-F1 | ${pct(s?.sentiment?.accuracy)} / ${pct(s?.sentiment?.macroF1)} |`,
    `| topic | accuracy / macro-F1 | ${pct(s?.topic?.accuracy)} / ${pct(s?.topic?.macroF1)} |`,
    `| entities | word-piece spans in the training loop, P / R / F1 against gold + weak labels (not human gold: npm run eval:gold) | ${pct(s?.entities?.precision)} / ${pct(s?.entities?.recall)} / ${pct(s?.entities?.spanF1)} |`,
    "",
    `Best epoch ${r.bestEpoch} of ${r.history.filter((h) => h.phase === "joint").length}${r.averaged ? ` (weights averaged over epochs ${r.averaged.from}–${r.averaged.to})` : ""}; training throughput ${r.examplesPerSec.toFixed(0)} examples/s.`,
    "",
    "## Recipe",
    "```json",
    JSON.stringify(r.options, null, 1),
    "```",
    "",
    "## Reproduce",
    "```sh",
    extra.command,
    "```",
    ...(extra.notes?.length ? ["", "## Notes", ...extra.notes.map((n) => `- ${n}`)] : []),
    "",
  ];
  return lines.join("\n");
}
