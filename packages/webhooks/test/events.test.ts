import { describe, expect, it } from "vitest";
import { TOPICS } from "@finsentry/schemas";
import { fromAlertEvent, matches, parseBusMessage, WebhookPayloadV1, type OutgoingEvent } from "../src/events.ts";
import { alertEvent } from "./helpers.ts";

const none = { eventTypes: [], severities: [], ruleIds: [], entityKeys: [] };

describe("bus events to webhook events", () => {
  it("maps alert lifecycle events and leaves alert.updated out", () => {
    for (const type of ["alert.fired", "alert.acknowledged", "alert.resolved"] as const) {
      const ev = alertEvent({ type });
      const r = parseBusMessage(TOPICS.alerts, Buffer.from(JSON.stringify(ev)));
      expect(r).toMatchObject({ event: { eventId: ev.event_id, type } });
      const body = JSON.parse((r as { event: OutgoingEvent }).event.body);
      expect(WebhookPayloadV1.parse(body)).toEqual({ type, timestamp: ev.at, data: { event_id: ev.event_id, alert: ev.alert } });
    }
    expect(parseBusMessage(TOPICS.alerts, Buffer.from(JSON.stringify(alertEvent({ type: "alert.updated" }))))).toEqual({ event: null });
  });

  it("reports invalid messages instead of throwing", () => {
    expect(parseBusMessage(TOPICS.alerts, Buffer.from("{"))).toEqual({ invalid: "malformed JSON" });
    expect(parseBusMessage(TOPICS.alerts, Buffer.from(JSON.stringify({ v: 2 })))).toHaveProperty("invalid");
    expect(parseBusMessage(TOPICS.modelEvents, Buffer.from(JSON.stringify({ v: 1, type: "model.promoted" })))).toHaveProperty("invalid");
  });

  it("gives model.promoted a stable event id", () => {
    const m = { v: 1, type: "model.promoted", version: "v3", previous_version: "v2", at: "2025-01-01T00:00:00.000Z" };
    const a = parseBusMessage(TOPICS.modelEvents, Buffer.from(JSON.stringify(m)));
    const b = parseBusMessage(TOPICS.modelEvents, Buffer.from(JSON.stringify(m)));
    expect(a).toEqual(b);
    expect(a).toMatchObject({ event: { eventId: "model.promoted:v3:2025-01-01T00:00:00.000Z", type: "model.promoted" } });
  });

  it("filters: empty means any; alert-only filters do not block model events", () => {
    const ev = fromAlertEvent(alertEvent({ severity: "warning", ruleId: "r1", entityKey: "TICKER:X" }))!;
    const model: OutgoingEvent = { eventId: "m", type: "model.promoted", body: "{}" };
    expect(matches(none, ev)).toBe(true);
    expect(matches({ ...none, severities: ["warning", "critical"] }, ev)).toBe(true);
    expect(matches({ ...none, severities: ["critical"] }, ev)).toBe(false);
    expect(matches({ ...none, ruleIds: ["r2"] }, ev)).toBe(false);
    expect(matches({ ...none, entityKeys: ["TICKER:X"] }, ev)).toBe(true);
    expect(matches({ ...none, eventTypes: ["alert.resolved"] }, ev)).toBe(false);
    expect(matches({ ...none, severities: ["critical"] }, model)).toBe(true);
    expect(matches({ ...none, eventTypes: ["alert.fired"] }, model)).toBe(false);
    expect(matches(none, { ...model, type: "webhook.test" })).toBe(false);
  });
});
