import { z } from "zod";
import { EntitySpan, IsoDate, SentimentLabel, TopicLabel } from "./common.ts";
import { pgText } from "./hygiene.ts";

export const Severity = z.enum(["info", "warning", "critical"]);
export type Severity = z.infer<typeof Severity>;
export const AlertState = z.enum(["firing", "acknowledged", "resolved"]);
export type AlertState = z.infer<typeof AlertState>;

/** An alert lifecycle event on the `alerts` topic. */
export const AlertEventV1 = z.object({
  v: z.literal(1),
  event_id: z.string().min(1),
  type: z.enum(["alert.fired", "alert.updated", "alert.acknowledged", "alert.resolved"]),
  at: IsoDate,
  alert: z.object({
    id: z.string().min(1),
    rule_id: z.string().min(1),
    rule_name: z.string(),
    rule_type: z.string(),
    entity_key: z.string(),
    /** The entity's display name: the registry name of an `E:<id>` key (issue 20). Absent when the registry has none. */
    entity_name: z.string().optional(),
    severity: Severity,
    state: AlertState,
    title: z.string(),
    summary: z.string(),
    fired_at: IsoDate,
    updated_at: IsoDate,
    resolved_at: IsoDate.nullable(),
    figures: z.record(z.string(), z.number()),
    evidence_item_ids: z.array(z.string()),
  }),
});
export type AlertEvent = z.infer<typeof AlertEventV1>;

/** Fields of a label, before the cross-field rules. */
export const LabelFields = z
  .object({
    v: z.literal(1),
    id: pgText().min(1).optional(),
    item_id: pgText().min(1).optional(),
    text: pgText()
      .min(1)
      .max(32 * 1024)
      .optional(),
    sentiment: SentimentLabel.optional(),
    topic: TopicLabel.optional(),
    entities: z.array(EntitySpan).optional(),
    author: pgText().min(1),
    role: z.enum(["viewer", "analyst", "admin"]),
    created_at: IsoDate,
  })
  .strict();

/** A human correction of a prediction; any subset of tasks. */
export const LabelV1 = LabelFields.refine((l) => l.item_id || l.text, { message: "a label needs item_id or text" }).refine(
  (l) => l.sentiment || l.topic || l.entities,
  { message: "a label needs at least one task" },
);
export type Label = z.infer<typeof LabelV1>;

/** Model registry events on `model.events`; scorers hot-swap on `model.promoted`. */
export const ModelEventV1 = z.object({
  v: z.literal(1),
  type: z.enum(["model.promoted", "model.rolled_back", "model.registered"]),
  version: z.string().min(1),
  previous_version: z.string().nullable(),
  at: IsoDate,
});
export type ModelEvent = z.infer<typeof ModelEventV1>;

/** A rejected input on `items.deadletter`, with the reason it was refused. */
export const DeadLetterV1 = z.object({
  v: z.literal(1),
  at: IsoDate,
  stream: z.string(),
  origin: z.object({ topic: z.string().nullable(), partition: z.number().int().nullable(), offset: z.string().nullable() }),
  reason: z.enum(["malformed_json", "invalid_fields", "unknown_fields", "oversize", "mapping_failed"]),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
  /** The rejected payload as received (truncated to 64 KB). */
  payload: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetterV1>;
