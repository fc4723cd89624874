import { join } from "node:path";
import { loadCorpus, type LoadCorpusOptions } from "../data/index.ts";
import type { Example } from "../data/example.ts";
import { commonWords, loadGazetteer, withWeakEntities } from "../weak/index.ts";

export interface LabelledCorpus {
  train: Example[];
  dev: Example[];
  test: Example[];
  /** How the entity labels were made, for the model card. */
  dataNote: string;
}

/**
 * The corpus exactly as training sees it: loadCorpus's hash split, entity labels completed by the weak tagger
 * (unless `weak` is false). One function for train.ts and splits.ts, so evaluation files match the training data.
 */
export async function loadLabelledCorpus(opts: LoadCorpusOptions & { weak?: boolean }): Promise<LabelledCorpus> {
  const corpus = await loadCorpus(opts);
  let dataNote = "Entity labels: gold spans where a source has them";
  if (opts.weak === false) return { train: corpus.train, dev: corpus.dev, test: corpus.test, dataNote: `${dataNote}; no weak labels.` };
  // Single-word aliases that the training texts mostly use as ordinary words ("Here", "Target") are dropped.
  const { gazetteer } = await loadGazetteer(join(opts.dataDir, "tickers"), { commonWords: commonWords(corpus.train.map((e) => e.text)) });
  const label = (xs: Example[]) => xs.map((e) => withWeakEntities(e, gazetteer));
  dataNote +=
    ", completed by weak supervision on every text (cashtags, money/percent patterns, a location list, and a ticker/company gazetteer built from tickers/: S&P 500 constituents and NASDAQ/NYSE listings, ODC-PDDL, used only to label, not shipped); dev entity metrics are measured against the same gold+weak labels.";
  return { train: label(corpus.train), dev: label(corpus.dev), test: label(corpus.test), dataNote };
}
