import type { Logger } from "@finsentry/core";
import { counter, histogram } from "@finsentry/core";
import type { Db } from "@finsentry/db";
import type { AllowPrivate } from "./config.ts";
import { postWebhook, type HttpOutcome } from "./http-send.ts";
import { backoffDelay, judge, type Verdict } from "./retry.ts";
import { openSecret } from "./secret-box.ts";
import { webhookHeaders } from "./signing.ts";
import { checkTarget, SsrfError, type Resolver } from "./ssrf.ts";
import { getSubscription, originOf, recordAttempt, type DeliveryRow, type DeliveryUpdate, type SubscriptionRow } from "./store.ts";

/** Everything one attempt needs; shared by the worker and the API's test ping. */
export interface DeliveryContext {
  db: Db;
  log: Logger;
  schedule: number[];
  jitter: number;
  timeoutMs: number;
  allowPrivate: AllowPrivate;
  secretKey: string | undefined;
  disableAfterMs: number;
  now: () => Date;
  resolve?: Resolver;
  random?: () => number;
}

const attemptsTotal = counter("webhook_attempts_total", "Webhook delivery attempts by outcome", ["outcome"]);
const attemptSeconds = histogram(
  "webhook_attempt_duration_seconds",
  "Webhook attempt latency",
  [],
  [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
);

export interface AttemptResult {
  status: DeliveryUpdate["status"];
  outcome: Verdict["outcome"] | "skipped";
  statusCode: number | null;
  error: string | null;
  retryAt: Date | null;
  disabled: boolean;
}

/** The secrets to sign with now: the current one, plus the previous one while its rotation overlap lasts. */
export function activeSecrets(sub: SubscriptionRow, key: string | undefined, now: Date): string[] {
  const secrets = [openSecret(sub.secret, key)];
  if (sub.previousSecret && sub.previousSecretExpiresAt && sub.previousSecretExpiresAt > now) {
    secrets.push(openSecret(sub.previousSecret, key));
  }
  return secrets;
}

/** Makes one attempt of a delivery this process has claimed, and stores the result. */
export async function attemptDelivery(ctx: DeliveryContext, delivery: DeliveryRow): Promise<AttemptResult> {
  const sub = await getSubscription(ctx.db, delivery.subscriptionId);
  // Disabled endpoints get no traffic; their backlog goes to dead-letter, from where it can be replayed after re-enabling.
  // A test ping is the exception: it is how an admin checks an endpoint before re-enabling it.
  if (!sub || (!sub.enabled && delivery.eventType !== "webhook.test")) {
    const error = sub ? "subscription disabled" : "subscription deleted";
    await recordAttempt(
      ctx.db,
      delivery,
      null,
      { status: "dead", lastStatusCode: null, lastError: error },
      { now: ctx.now(), disableAfterMs: ctx.disableAfterMs },
    );
    return { status: "dead", outcome: "skipped", statusCode: null, error, retryAt: null, disabled: false };
  }

  const startedAt = ctx.now();
  const t0 = performance.now();
  const { outcome, verdict } = await send(ctx, sub, delivery, startedAt);
  const latencyMs = outcome?.latencyMs ?? Math.round(performance.now() - t0);
  // The end of the attempt on the injected clock: what retry delays count from.
  const finishedAt = new Date(startedAt.getTime() + latencyMs);

  let update: DeliveryUpdate;
  let retryAt: Date | null = null;
  const statusCode = outcome?.kind === "response" ? outcome.status : null;
  const error = verdict.outcome === "success" ? null : verdict.reason;
  if (verdict.outcome === "success") {
    update = { status: "succeeded", lastStatusCode: statusCode, lastError: null };
  } else if (verdict.outcome === "retry") {
    const scheduled = backoffDelay(ctx.schedule, delivery.retryIndex, ctx.jitter, ctx.random);
    if (scheduled === undefined) {
      update = { status: "dead", lastStatusCode: statusCode, lastError: `retries exhausted; last: ${verdict.reason}` };
    } else {
      retryAt = new Date(finishedAt.getTime() + (verdict.retryAfterMs ?? scheduled));
      update = {
        status: "pending",
        nextAttemptAt: retryAt,
        retryIndex: delivery.retryIndex + 1,
        lastStatusCode: statusCode,
        lastError: error,
      };
    }
  } else {
    update = { status: "dead", lastStatusCode: statusCode, lastError: error };
  }

  const { applied, disabled } = await recordAttempt(
    ctx.db,
    delivery,
    {
      attempt: delivery.attempts + 1,
      startedAt,
      latencyMs,
      statusCode,
      responseExcerpt: outcome?.kind === "response" ? outcome.excerpt : null,
      error,
      // A retryable failure with no retries left is this delivery's final failure.
      outcome: verdict.outcome === "retry" && update.status === "dead" ? "failed" : verdict.outcome,
      retryAt,
    },
    update,
    { now: finishedAt, disableAfterMs: ctx.disableAfterMs },
  );
  attemptsTotal.inc({ outcome: verdict.outcome });
  attemptSeconds.observe(latencyMs / 1000);
  const logFields = {
    delivery: delivery.id,
    subscription: sub.id,
    target: originOf(sub.url),
    attempt: delivery.attempts + 1,
    statusCode,
    latencyMs,
  };
  if (!applied) ctx.log.warn(logFields, "webhook lease was lost before the attempt finished; another worker owns the delivery now");
  else if (verdict.outcome === "success") ctx.log.debug(logFields, "webhook delivered");
  else
    ctx.log.info(
      { ...logFields, error, next: update.status === "pending" ? retryAt?.toISOString() : update.status },
      "webhook attempt failed",
    );
  if (disabled) ctx.log.warn({ subscription: sub.id, target: originOf(sub.url) }, "webhook endpoint disabled after failing continuously");
  return { status: update.status, outcome: verdict.outcome, statusCode, error, retryAt, disabled };
}

async function send(
  ctx: DeliveryContext,
  sub: SubscriptionRow,
  delivery: DeliveryRow,
  at: Date,
): Promise<{ outcome: HttpOutcome | null; verdict: Verdict }> {
  let secrets: string[];
  try {
    secrets = activeSecrets(sub, ctx.secretKey, at);
  } catch (err) {
    // A configuration problem on our side: keep retrying, it may be fixed before the budget runs out.
    return { outcome: null, verdict: { outcome: "retry", reason: (err as Error).message } };
  }
  let target: Awaited<ReturnType<typeof checkTarget>>;
  try {
    // Checked again at send time: the name may resolve elsewhere now than when the subscription was created.
    target = await checkTarget(sub.url, ctx.allowPrivate, ctx.resolve);
  } catch (err) {
    if (err instanceof SsrfError) return { outcome: null, verdict: { outcome: "failed", reason: `refused target: ${err.message}` } };
    const e = err as NodeJS.ErrnoException;
    return { outcome: null, verdict: { outcome: "retry", reason: `DNS: ${e.code ?? ""} ${e.message}`.trim() } };
  }
  const outcome = await postWebhook({
    url: target.url,
    addresses: target.addresses,
    headers: webhookHeaders(secrets, delivery.id, at, delivery.body),
    body: delivery.body,
    timeoutMs: ctx.timeoutMs,
  });
  // Retry-After dates count from when the answer arrived.
  return { outcome, verdict: judge(outcome, new Date(at.getTime() + outcome.latencyMs)) };
}
