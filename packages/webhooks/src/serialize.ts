import type { AttemptRow, DeliveryRow, NoticeRow, SubscriptionRow } from "./store.ts";

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** API view of a subscription: never includes the secret. */
export function subscriptionJson(r: SubscriptionRow) {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    enabled: r.enabled,
    event_types: r.eventTypes,
    severities: r.severities,
    rule_ids: r.ruleIds,
    entity_keys: r.entityKeys,
    disabled_at: iso(r.disabledAt),
    disabled_reason: r.disabledReason,
    failing_since: iso(r.failingSince),
    secret_rotated_at: iso(r.secretRotatedAt),
    previous_secret_expires_at: iso(r.previousSecretExpiresAt),
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  };
}

export function attemptJson(a: AttemptRow) {
  return {
    attempt: a.attempt,
    started_at: iso(a.startedAt),
    latency_ms: a.latencyMs,
    status_code: a.statusCode,
    response_excerpt: a.responseExcerpt,
    error: a.error,
    outcome: a.outcome,
    retry_at: iso(a.retryAt),
  };
}

export function deliveryJson(r: DeliveryRow, attempts: AttemptRow[] = []) {
  const waiting = r.status === "pending" || r.status === "delivering";
  return {
    id: r.id,
    subscription_id: r.subscriptionId,
    event_id: r.eventId,
    event_type: r.eventType,
    status: r.status,
    attempt_count: r.attempts,
    replays: r.replays,
    next_attempt_at: waiting ? iso(r.nextAttemptAt) : null,
    last_status_code: r.lastStatusCode,
    last_error: r.lastError,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    delivered_at: iso(r.deliveredAt),
    dead_at: iso(r.deadAt),
    payload: JSON.parse(r.body) as unknown,
    attempts: attempts.map(attemptJson),
  };
}

export function noticeJson(n: NoticeRow) {
  return {
    id: n.id,
    subscription_id: n.subscriptionId,
    kind: n.kind,
    message: n.message,
    created_at: iso(n.createdAt),
    acknowledged_at: iso(n.acknowledgedAt),
  };
}
