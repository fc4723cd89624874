/**
 * bench:model's tier section: the accurate tier's raw items/s against BERT-base, and the cascade's accuracy-versus-
 * throughput curve — fast tier alone, the cascade at several thresholds (with the uncovered-name rule, as served),
 * accurate tier alone — end to end through the real scorers on real text, against BERT-base reading the same texts,
 * with gold figures per style when the gold splits are at hand (`--gold`), and the resident memory each configuration
 * costs.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import type { OffsetWordPiece } from "../accurate/offsetWordPiece.ts";
import { lengthGroups, loadAccurateScorer, readEncoderDir } from "../accurate/scorer.ts";
import { cascadeCurve, formatCurve, scoreTexts, type CascadePolicy, type CurveRow } from "../eval/curve.ts";
import { loadGoldSets } from "../eval/gold.ts";
import { ONNX_INPUT } from "../onnx/graph.ts";
import { CascadeScorer } from "../runtime/cascade.ts";
import { loadScorer } from "../runtime/scorer.ts";
import { createSession } from "../runtime/session.ts";
import type { ModelSession } from "../runtime/worker-session.ts";
import type { TextScorer } from "../types.ts";

export interface TierBenchOptions {
  fastDir: string;
  accurateDir: string;
  seqLen: number;
  seconds: number;
  threads?: number;
  /** bench.ts's BERT-base session (pad id `padId`) and its items/s at batch 64 × --seq-len, for both ratios. */
  bert?: { session: ModelSession; padId: number; ips64: number };
  /** Project splits dir (`npm run splits -- --no-weak`) and the data dir with the NER sets; both needed for gold figures. */
  gold?: { splits: string; data: string };
  thresholds: number[];
  say: (line: string) => void;
}

/** Texts a newcomer's stream looks like when no gold data is at hand: headlines, tweets, news sentences. */
const SAMPLE = [
  "Northwind Motors shares plunge 12% after the CEO resigns abruptly",
  "$NWM down 8% premarket after guidance cut; analysts at Contoso Securities move to sell",
  "Fabrikam beats estimates, raises full-year revenue outlook to $4.2 billion",
  "ECB's Lagarde says rates will stay high for longer as inflation lingers in Europe",
  "Oil prices slip as OPEC weighs output increase",
  "lol $TSLA to the moon again 🚀",
  "CEO of Litware Bank resigns amid probe into lending practices in Ohio",
  "Tailspin Toys to acquire Wingtip for $350 million in cash",
  "Markets mixed ahead of the Fed decision on Wednesday",
  "Woodgrove Bank posts record quarterly profit, shares up 5%",
  "Adventure Works recalls 40,000 bikes over brake faults",
  "Jane Smith named chief financial officer of Proseware, effective January 1",
];

/**
 * Items/s of one tier (or cascade, or BERT-base) scoring `texts` in batches of 64: whole passes over the texts until
 * `seconds` have gone by, so every row reads exactly the same input (a pass at least).
 */
async function endToEnd(scorer: Pick<TextScorer, "score">, texts: string[], seconds: number): Promise<number> {
  await scorer.score(texts.slice(0, 64));
  let n = 0;
  const t0 = performance.now();
  do {
    for (let i = 0; i < texts.length; i += 64) await scorer.score(texts.slice(i, i + 64));
    n += texts.length;
  } while (performance.now() - t0 < seconds * 1000);
  return n / ((performance.now() - t0) / 1000);
}

/**
 * BERT-base (bench.ts's random-weight session) reading the same texts as the tiers: pieces from the accurate tier's
 * WordPiece (the bert-base-uncased vocabulary), cut at the same maxLen, each batch of 64 run as the same length groups
 * the accurate tier uses. The ratio to it does not depend on a chosen sequence length.
 */
async function bertOnTexts(
  bert: NonNullable<TierBenchOptions["bert"]>,
  tokenizer: OffsetWordPiece,
  maxLen: number,
  texts: string[],
  seconds: number,
) {
  const reader = {
    async score(batch: string[]) {
      const enc = batch.map((t) => tokenizer.encode(t, maxLen).ids);
      for (const g of lengthGroups(enc.map((e) => e.length))) {
        const T = Math.max(...g.map((i) => enc[i]!.length));
        const ids = new BigInt64Array(g.length * T).fill(BigInt(bert.padId));
        g.forEach((i, b) => enc[i]!.forEach((id, t) => (ids[b * T + t] = BigInt(id))));
        await bert.session.run({ [ONNX_INPUT]: new ort.Tensor("int64", ids, [g.length, T]) });
      }
      return [];
    },
  };
  const pieces = texts.reduce((a, t) => a + tokenizer.encode(t, maxLen).ids.length, 0) / texts.length;
  return { ips: await endToEnd(reader, texts, seconds), pieces };
}

/** Child mode: RSS (MB) of a process holding the fast tier, and with the accurate tier beside it, after scoring. */
export async function tierRssChild(fastDir: string, accurateDir: string, withAccurate: boolean): Promise<void> {
  const fast = await loadScorer(fastDir, { executionProvider: "cpu", log: () => {} });
  const acc = withAccurate ? await loadAccurateScorer(accurateDir, { executionProvider: "cpu", log: () => {} }) : null;
  const s: TextScorer = acc ? new CascadeScorer(fast, acc, { threshold: 1.01 }) : fast;
  const texts = Array.from({ length: 256 }, (_, i) => SAMPLE[i % SAMPLE.length]!);
  for (let i = 0; i < 4; i++) await s.score(texts);
  globalThis.gc?.();
  console.log(JSON.stringify({ rssMB: process.memoryUsage().rss / 2 ** 20 }));
  await s.close();
}

function childRss(args: string[]): number {
  const out = execFileSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", fileURLToPath(new URL("./bench.ts", import.meta.url)), ...args],
    { encoding: "utf8" },
  );
  return (JSON.parse(out.trim().split("\n").pop()!) as { rssMB: number }).rssMB;
}

/** Accurate-tier session items/s on [64, seqLen] ids with a full attention mask. */
async function accurateSessionIps(dir: string, seqLen: number, seconds: number, threads?: number): Promise<number> {
  const md = await readEncoderDir(dir);
  const { session } = await createSession(md.onnx, { executionProvider: "cpu", intraOpThreads: threads, thread: "main", log: () => {} });
  const B = 64;
  const ids = new BigInt64Array(B * seqLen);
  for (let i = 0; i < ids.length; i++) ids[i] = BigInt(1000 + ((i * 7919) % 28000));
  const mask = new BigInt64Array(B * seqLen).fill(1n);
  const feed = { input_ids: new ort.Tensor("int64", ids, [B, seqLen]), attention_mask: new ort.Tensor("int64", mask, [B, seqLen]) };
  await session.run(feed);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || n < 2) {
    await session.run(feed);
    n++;
  }
  await session.release();
  return (n * B) / ((performance.now() - t0) / 1000);
}

export async function benchTiers(o: TierBenchOptions): Promise<Record<string, unknown>> {
  if (!existsSync(`${o.accurateDir}/manifest.json`)) {
    o.say(`\ntiers: no accurate tier at ${o.accurateDir}; skipped`);
    return {};
  }
  const accIps = await accurateSessionIps(o.accurateDir, o.seqLen, o.seconds, o.threads);
  o.say(
    `\naccurate tier (int8 encoder) batch 64: ${accIps.toFixed(1)} items/s${o.bert ? `   ratio accurate/BERT ${(accIps / o.bert.ips64).toFixed(1)}×` : ""}`,
  );

  const sess = { executionProvider: "cpu" as const, intraOpThreads: o.threads, log: () => {} };
  const fast = await loadScorer(o.fastDir, sess);
  const acc = await loadAccurateScorer(o.accurateDir, sess);
  const policies: CascadePolicy[] = o.thresholds.map((threshold) => ({ threshold, names: true }));
  let texts = SAMPLE;
  let rows: CurveRow[];
  const haveGold = o.gold && existsSync(o.gold.splits) && existsSync(o.gold.data);
  if (haveGold) {
    const sets = loadGoldSets(o.gold!.splits, o.gold!.data, "dev");
    texts = sets.flatMap((s) => s.texts);
    o.say(`gold dev sets: ${sets.map((s) => `${s.name} ${s.texts.length}`).join(", ")} (scoring each tier once for the figures)`);
    rows = cascadeCurve(sets, await scoreTexts(fast, texts), await scoreTexts(acc, texts), policies);
  } else {
    o.say(`no gold splits (--gold <splits> --data <dir>): throughput on ${SAMPLE.length} built-in texts only`);
    const f = await scoreTexts(fast, texts);
    rows = cascadeCurve(
      [{ name: "built-in", task: "entities", texts, spans: texts.map(() => []) }],
      f,
      await scoreTexts(acc, texts),
      policies,
    );
  }
  // Throughput on an interleaved sample (every style in proportion), through the real CascadeScorer.
  const step = Math.max(1, Math.floor(texts.length / 1024));
  const sample = texts.filter((_, i) => i % step === 0).slice(0, 1024);
  const ips = new Map<string, number>();
  for (const r of rows) {
    const scorer: Pick<TextScorer, "score"> =
      r.config === "fast only"
        ? fast
        : r.config === "accurate only"
          ? acc
          : new CascadeScorer(fast, acc, { ...r.policy!, closeAccurate: false });
    ips.set(r.config, await endToEnd(scorer, sample, o.seconds));
  }
  await Promise.all([fast.close(), acc.close()]);
  // BERT-base on the same texts only where the BERT comparison was asked for (~25 texts/s here: a pass of 1,024 takes ~40 s).
  const bertTexts = o.bert ? await bertOnTexts(o.bert, acc.tokenizer, acc.manifest.maxLen, sample, o.seconds) : undefined;
  if (bertTexts) {
    o.say(
      `BERT-base on the same ${sample.length} texts (${bertTexts.pieces.toFixed(1)} pieces per text, batches of 64 in length groups): ${bertTexts.ips.toFixed(1)} items/s`,
    );
  }
  const bertCell = (r: CurveRow) => [
    `${ips.get(r.config)!.toFixed(0)} items/s`,
    o.bert ? `${(ips.get(r.config)! / o.bert.ips64).toFixed(1)}×` : "–",
    bertTexts ? `${(ips.get(r.config)! / bertTexts.ips).toFixed(1)}×` : "–",
  ];
  o.say(
    `\ncascade curve (end to end: tokenise + run + decode, batches of 64 real texts; ×BERT = items/s over BERT-base session items/s at batch 64 and the bench's --seq-len; ×BERT same texts = over BERT-base reading these texts)`,
  );
  const speedHead = ["items/s", "×BERT", "×BERT same texts"];
  const curve = formatCurve(rows, bertCell, speedHead);
  // Without gold the figure columns are meaningless: keep config, share, items/s and both ×BERT.
  o.say(
    haveGold
      ? curve
      : curve
          .split("\n")
          .map((l) =>
            l
              .split(" | ")
              .slice(0, 2 + speedHead.length)
              .join(" | "),
          )
          .join("\n"),
  );

  const rssFast = childRss(["--tier-rss-child", "--model", o.fastDir, "--accurate", o.accurateDir]);
  const rssBoth = childRss(["--tier-rss-child", "--with-accurate", "--model", o.fastDir, "--accurate", o.accurateDir]);
  o.say(
    `RSS of a process holding the fast tier: ${rssFast.toFixed(0)} MB; fast + accurate (cascade): ${rssBoth.toFixed(0)} MB (+${(rssBoth - rssFast).toFixed(0)} MB)`,
  );
  return {
    accurateIps: accIps,
    bertSameTexts: bertTexts,
    curve: rows.map((r) => ({ ...r, ips: ips.get(r.config) })),
    rssFast,
    rssBoth,
  };
}
