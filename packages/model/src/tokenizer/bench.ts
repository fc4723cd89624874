/**
 * Throughput check (manual, not a test): `npx tsx packages/model/src/tokenizer/bench.ts [dataDir] [maxLen]`.
 * Trains on the corpus' train split, then times single-core encode/encodeBatch over it. Prints figures only.
 */
import { loadCorpus } from "../data/corpus.ts";
import { Tokenizer } from "./tokenizer.ts";

const dataDir = process.argv[2] ?? "/work/shared/data";
const maxLen = Number(process.argv[3] ?? 64);
const corpus = await loadCorpus({ dataDir, log: () => {} });
const texts = corpus.train.map((e) => e.text);

let t0 = performance.now();
const tk = Tokenizer.train(texts);
console.log(`train: ${texts.length} texts, vocab ${tk.vocabSize}, ${((performance.now() - t0) / 1000).toFixed(2)} s`);

const fresh = (): Tokenizer => Tokenizer.fromJSON(tk.toJSON()); // empty word cache
const rate = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString("en")} texts/s`;

let enc = fresh();
t0 = performance.now();
for (const t of texts) enc.encode(t, maxLen);
console.log(`encode (cold cache): ${rate(texts.length, performance.now() - t0)}`);
t0 = performance.now();
for (const t of texts) enc.encode(t, maxLen);
console.log(`encode (warm cache): ${rate(texts.length, performance.now() - t0)}`);
enc = fresh();
t0 = performance.now();
for (let i = 0; i < texts.length; i += 256) enc.encodeBatch(texts.slice(i, i + 256), maxLen);
console.log(`encodeBatch(256) (cold cache): ${rate(texts.length, performance.now() - t0)}`);

let tokens = 0;
let unk = 0;
let truncated = 0;
for (const t of texts) {
  const e = enc.encode(t, 512);
  tokens += e.length - 1;
  for (let i = 1; i < e.length; i++) if (e.ids[i] === tk.unkId) unk++;
  if (e.length > maxLen) truncated++;
}
console.log(
  `avg tokens/text ${(tokens / texts.length).toFixed(1)}, [UNK] rate ${((100 * unk) / tokens).toFixed(3)}%, truncated at ${maxLen}: ${((100 * truncated) / texts.length).toFixed(1)}%`,
);
