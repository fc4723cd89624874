import { ENTITY_TYPES, SENTIMENT_LABELS, TOPIC_LABELS, type EntitySpan } from "@finsentry/schemas";
import { classificationReport, entityReport, type TextScorer } from "@finsentry/model";
import type { TaskScores } from "./gate.ts";

export interface LabelledText {
  text: string;
  sentiment?: string;
  topic?: string;
  entities?: EntitySpan[];
}

/** Scores a model on labelled texts, per task, over the examples that carry that task's label. */
export async function scoreModel(scorer: TextScorer, data: readonly LabelledText[]): Promise<TaskScores> {
  if (data.length === 0) return {};
  const outputs = await scorer.score(data.map((d) => d.text));
  const out: TaskScores = {};
  const sent = data.flatMap((d, i) => (d.sentiment ? [[d.sentiment, outputs[i]!.sentiment.label] as const] : []));
  if (sent.length)
    out.sentiment = classificationReport(
      sent.map((s) => s[0]),
      sent.map((s) => s[1]),
      SENTIMENT_LABELS,
    ).accuracy;
  const top = data.flatMap((d, i) => (d.topic ? [[d.topic, outputs[i]!.topic.label] as const] : []));
  if (top.length)
    out.topic = classificationReport(
      top.map((s) => s[0]),
      top.map((s) => s[1]),
      TOPIC_LABELS,
    ).accuracy;
  const ents = data.flatMap((d, i) => (d.entities ? [[d.entities, outputs[i]!.entities] as const] : []));
  if (ents.length)
    out.entities = entityReport(
      ents.map((e) => e[0]),
      ents.map((e) => e[1].map(({ start, end, type }) => ({ start, end, type }))),
      ENTITY_TYPES,
    ).f1;
  return out;
}
