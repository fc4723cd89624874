import { z } from "zod";
import { AlertEventV1, ModelEventV1, TOPICS, type AlertEvent, type ModelEvent } from "@finsentry/schemas";

/** Event types a subscription can ask for. Payload shapes are v1: a breaking change gets a new type name. */
export const SUBSCRIBABLE_EVENT_TYPES = ["alert.fired", "alert.resolved", "alert.acknowledged", "model.promoted"] as const;
export const SubscribableEventType = z.enum(SUBSCRIBABLE_EVENT_TYPES);
export type SubscribableEventType = z.infer<typeof SubscribableEventType>;
export type WebhookEventType = SubscribableEventType | "webhook.test";

/** Webhook bodies as receivers see them (`{ type, timestamp, data }`, Standard Webhooks style). */
export const AlertWebhookV1 = z.object({
  type: z.enum(["alert.fired", "alert.resolved", "alert.acknowledged"]),
  timestamp: z.string(),
  data: z.object({ event_id: z.string(), alert: AlertEventV1.shape.alert }),
});
export const ModelWebhookV1 = z.object({
  type: z.literal("model.promoted"),
  timestamp: z.string(),
  data: z.object({ event_id: z.string(), version: z.string(), previous_version: z.string().nullable() }),
});
export const TestWebhookV1 = z.object({
  type: z.literal("webhook.test"),
  timestamp: z.string(),
  data: z.object({ subscription_id: z.string(), message: z.string() }),
});
export const WebhookPayloadV1 = z.discriminatedUnion("type", [AlertWebhookV1, ModelWebhookV1, TestWebhookV1]);
export type WebhookPayloadV1 = z.infer<typeof WebhookPayloadV1>;

/** One event ready to fan out: its stable id, type, exact body and the fields subscription filters look at. */
export interface OutgoingEvent {
  eventId: string;
  type: WebhookEventType;
  body: string;
  alert?: { severity: string; ruleId: string; entityKey: string };
}

const ALERT_TYPES: Partial<Record<AlertEvent["type"], z.infer<typeof AlertWebhookV1>["type"]>> = {
  "alert.fired": "alert.fired",
  "alert.resolved": "alert.resolved",
  "alert.acknowledged": "alert.acknowledged",
  // alert.updated is internal churn (figures moving) and is not offered to webhooks.
};

export function fromAlertEvent(e: AlertEvent): OutgoingEvent | null {
  const type = ALERT_TYPES[e.type];
  if (!type) return null;
  const payload: z.input<typeof AlertWebhookV1> = { type, timestamp: e.at, data: { event_id: e.event_id, alert: e.alert } };
  return {
    eventId: e.event_id,
    type,
    body: JSON.stringify(payload),
    alert: { severity: e.alert.severity, ruleId: e.alert.rule_id, entityKey: e.alert.entity_key },
  };
}

export function fromModelEvent(e: ModelEvent): OutgoingEvent | null {
  if (e.type !== "model.promoted") return null;
  // ModelEventV1 has no id of its own; this one is stable across redeliveries of the same message.
  const eventId = `model.promoted:${e.version}:${e.at}`;
  const payload: z.input<typeof ModelWebhookV1> = {
    type: "model.promoted",
    timestamp: e.at,
    data: { event_id: eventId, version: e.version, previous_version: e.previous_version },
  };
  return { eventId, type: "model.promoted", body: JSON.stringify(payload) };
}

export function testEvent(subscriptionId: string, eventId: string, now: Date): OutgoingEvent {
  const payload: z.input<typeof TestWebhookV1> = {
    type: "webhook.test",
    timestamp: now.toISOString(),
    data: { subscription_id: subscriptionId, message: "Test delivery from finsentry" },
  };
  return { eventId, type: "webhook.test", body: JSON.stringify(payload) };
}

/** Parses one bus message; `invalid` carries why a message was skipped. */
export function parseBusMessage(topic: string, value: Buffer): { event: OutgoingEvent | null } | { invalid: string } {
  let json: unknown;
  try {
    json = JSON.parse(value.toString("utf8"));
  } catch {
    return { invalid: "malformed JSON" };
  }
  if (topic === TOPICS.alerts) {
    const r = AlertEventV1.safeParse(json);
    return r.success
      ? { event: fromAlertEvent(r.data) }
      : { invalid: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  }
  if (topic === TOPICS.modelEvents) {
    const r = ModelEventV1.safeParse(json);
    return r.success
      ? { event: fromModelEvent(r.data) }
      : { invalid: r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  }
  return { event: null };
}

export interface SubscriptionFilter {
  eventTypes: string[];
  severities: string[];
  ruleIds: string[];
  entityKeys: string[];
}

/** Empty filter = any. Severity/rule/entity filters only narrow alert events; model events match on type alone. */
export function matches(f: SubscriptionFilter, e: OutgoingEvent): boolean {
  if (e.type === "webhook.test") return false;
  if (f.eventTypes.length > 0 && !f.eventTypes.includes(e.type)) return false;
  if (!e.alert) return true;
  if (f.severities.length > 0 && !f.severities.includes(e.alert.severity)) return false;
  if (f.ruleIds.length > 0 && !f.ruleIds.includes(e.alert.ruleId)) return false;
  if (f.entityKeys.length > 0 && !f.entityKeys.includes(e.alert.entityKey)) return false;
  return true;
}
