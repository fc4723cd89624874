import { ENTITY_TYPES, SENTIMENT_LABELS, TOPIC_LABELS, type EntitySpan, type ModelOutput } from "@finsentry/schemas";
import type { TextScorer } from "../types.ts";
import type { EvalItem, EvalTask } from "./dataset.ts";
import { classificationReport, entityReport, type ClassificationReport, type EntityReport } from "./metrics.ts";

export type EvalResult = ({ task: "sentiment" | "topic" } & ClassificationReport) | ({ task: "entities" } & EntityReport);

/** Scores texts in batches so a large eval file never becomes one giant tensor. */
export async function scoreAll(
  scorer: Pick<TextScorer, "score">,
  texts: string[],
  batchSize = 64,
  onProgress?: (done: number) => void,
): Promise<ModelOutput[]> {
  const out: ModelOutput[] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = texts.slice(i, i + batchSize);
    const res = await scorer.score(batch);
    if (res.length !== batch.length) throw new Error(`scorer returned ${res.length} outputs for ${batch.length} texts`);
    out.push(...res);
    onProgress?.(out.length);
  }
  return out;
}

/** Compares model outputs with gold labels for one task. */
export function evaluateOutputs(task: EvalTask, items: readonly EvalItem[], outputs: readonly ModelOutput[]): EvalResult {
  if (items.length !== outputs.length) throw new Error(`${items.length} items but ${outputs.length} outputs`);
  if (task === "entities") {
    const gold = items.map((it) => (it.task === "entities" ? it.spans : []));
    const pred = outputs.map((o): EntitySpan[] => o.entities.map((e) => ({ start: e.start, end: e.end, type: e.type })));
    return { task, ...entityReport(gold, pred, ENTITY_TYPES) };
  }
  const gold = items.map((it) => (it.task === task ? it.label : ""));
  const pred = outputs.map((o) => (task === "sentiment" ? o.sentiment.label : o.topic.label));
  return { task, ...classificationReport(gold, pred, task === "sentiment" ? SENTIMENT_LABELS : TOPIC_LABELS) };
}
