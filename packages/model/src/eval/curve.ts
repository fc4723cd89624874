import type { ModelOutput } from "@finsentry/schemas";
import { escalatedOutput, escalates } from "../runtime/cascade.ts";
import type { TextScorer } from "../types.ts";
import { scoreGoldSet, type GoldSet } from "./gold.ts";
import type { ClassificationReport, EntityReport } from "./metrics.ts";

export interface CascadePolicy {
  threshold: number;
  names: boolean;
  /** The fast tier's weight in an escalated item's sentiment (CascadeOptions.sentimentBlend); default DEFAULT_SENTIMENT_BLEND. */
  sentimentBlend?: number;
}

export interface CurveRow {
  config: string;
  /** null for a tier alone. */
  policy: CascadePolicy | null;
  /** Share of items the accurate tier answered. */
  escalated: number;
  /** Figures per gold set (see `figures`). */
  sets: Record<string, Record<string, number>>;
}

const round = (x: number) => Math.round(x * 10000) / 10000;

/** The figures a model card keeps: accuracy / macro-F1, or P / R / F1 and per-type F1 with gold span counts. */
export function figures(r: ClassificationReport | EntityReport): Record<string, number> {
  if (r.confusion === null) {
    const e = r as EntityReport;
    const per = Object.fromEntries(
      Object.entries(e.per_class).flatMap(([t, c]) => [
        [`f1_${t}`, round(c.f1)],
        [`gold_${t}`, c.support],
      ]),
    );
    return { precision: round(e.precision), recall: round(e.recall), f1: round(e.f1), n: e.n, ...per };
  }
  return { accuracy: round(r.accuracy), macroF1: round(r.macro_f1), n: r.n };
}

/** Scores texts in batches of 64, reporting progress. */
export async function scoreTexts(
  scorer: Pick<TextScorer, "score">,
  texts: readonly string[],
  onProgress?: (done: number) => void,
): Promise<ModelOutput[]> {
  const out: ModelOutput[] = [];
  for (let i = 0; i < texts.length; i += 64) {
    out.push(...(await scorer.score(texts.slice(i, i + 64))));
    onProgress?.(out.length);
  }
  return out;
}

/**
 * The accuracy side of the cascade curve: the fast tier alone, the cascade under each policy and the accurate tier
 * alone, on the concatenated texts of `sets`. `fast` and `accurate` are each tier's outputs for every text; the
 * cascade's output is what CascadeScorer answers (escalates(), then escalatedOutput()), so no text is scored twice.
 */
export function cascadeCurve(
  sets: readonly GoldSet[],
  fast: readonly ModelOutput[],
  accurate: readonly ModelOutput[],
  policies: readonly CascadePolicy[],
): CurveRow[] {
  const texts = sets.flatMap((s) => s.texts);
  if (fast.length !== texts.length || accurate.length !== texts.length) throw new Error("one output per gold text expected from each tier");
  const row = (config: string, policy: CascadePolicy | null, pick: (i: number) => boolean): CurveRow => {
    let off = 0;
    let up = 0;
    const bySet: Record<string, Record<string, number>> = {};
    // The accurate tier alone (policy null) answers on its own; a cascade pools the escalated items' sentiment.
    const answer = (i: number) => (policy ? escalatedOutput(fast[i]!, accurate[i]!, policy.sentimentBlend) : accurate[i]!);
    for (const s of sets) {
      const outs = s.texts.map((_, i) => (pick(off + i) ? (up++, answer(off + i)) : fast[off + i]!));
      bySet[s.name] = figures(scoreGoldSet(s, outs));
      off += s.texts.length;
    }
    return { config, policy, escalated: round(up / Math.max(1, texts.length)), sets: bySet };
  };
  return [
    row("fast only", null, () => false),
    ...policies.map((p) => row(`cascade <${p.threshold}${p.names ? " + names" : ""}`, p, (i) => escalates(texts[i]!, fast[i]!, p))),
    row("accurate only", null, () => true),
  ];
}

/** One line per row: config, share escalated, then each set's headline figure (accuracy / macro-F1, or span F1). */
export function formatCurve(rows: readonly CurveRow[], extra?: (r: CurveRow) => string[], extraHead: string[] = []): string {
  const names = Object.keys(rows[0]?.sets ?? {});
  const lines = [["config", "to accurate", ...extraHead, ...names].join(" | ")];
  for (const r of rows) {
    const cells = names.map((n) => {
      const x = r.sets[n]!;
      return "f1" in x ? x.f1!.toFixed(3) : `${x.accuracy!.toFixed(3)} / ${x.macroF1!.toFixed(3)}`;
    });
    lines.push([r.config, `${(r.escalated * 100).toFixed(1)} %`, ...(extra?.(r) ?? []), ...cells].join(" | "));
  }
  return lines.join("\n");
}
