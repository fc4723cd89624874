export { ExampleSchema, SPLITS, dedupeSpans, type Example, type Split } from "./example.ts";
export { loadCorpus, formatCorpusStats, KNOWN_SOURCES, type Corpus, type SourceStats, type LoadCorpusOptions } from "./corpus.ts";
export { splitOf, fnv1a, SplitFractions } from "./split.ts";
export { dedupeKey, cleanText, stripUrls } from "./normalize.ts";
export { parseCsv, readCsvTable, parseCsvRecords, CsvError, type CsvRow, type CsvTable } from "./csv.ts";
export { parseJsonl, loadJsonl, JsonlLine } from "./sources/jsonl.ts";
export { headlineSentiment, type EntityPolarity } from "./entitySentiment.ts";
export { SentimentInput, TopicInput, topicIndex } from "./labels.ts";
export { looksLikeOrg } from "./orgFilter.ts";
