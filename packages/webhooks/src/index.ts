export { startNotifier, type NotifierDeps } from "./notifier.ts";
export { webhookRoutes, type WebhookRouteDeps } from "./routes.ts";
export { loadWebhookConfig, AllowPrivate, DEFAULT_SCHEDULE_MS, type WebhookConfig } from "./config.ts";
export { generateSecret, signOne, signatureHeader, webhookHeaders } from "./signing.ts";
export { checkTarget, classifyAddress, isAddressAllowed, SsrfError, type Resolver } from "./ssrf.ts";
export {
  SUBSCRIBABLE_EVENT_TYPES,
  SubscribableEventType,
  WebhookPayloadV1,
  AlertWebhookV1,
  ModelWebhookV1,
  TestWebhookV1,
  type WebhookEventType,
} from "./events.ts";
export { claimDue, enqueueEvents } from "./store.ts";
export { pruneAttempts, pruneDeadDeliveries, pruneSucceededDeliveries, webhookRetentionTasks, type WebhookRetention } from "./retention.ts";
