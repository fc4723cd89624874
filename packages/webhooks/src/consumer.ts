import type { Bus, Subscription } from "@finsentry/bus";
import { counter, type Logger } from "@finsentry/core";
import type { Db } from "@finsentry/db";
import { TOPICS } from "@finsentry/schemas";
import { parseBusMessage, type OutgoingEvent } from "./events.ts";
import { enqueueEvents } from "./store.ts";

const enqueued = counter("webhook_deliveries_enqueued_total", "Webhook deliveries written to the outbox");
const invalid = counter("webhook_events_invalid_total", "Bus messages the notifier could not parse", ["topic"]);

/**
 * Consumes `alerts` and `model.events` into the outbox. The batch handler resolves only after the rows are written,
 * so the bus commits offsets only for events that are durable in Postgres; a crash before that means redelivery,
 * which the unique (event_id, subscription_id) index turns into a no-op.
 */
export async function startConsumer(opts: {
  bus: Bus;
  db: Db;
  log: Logger;
  groupId: string;
  now: () => Date;
  onEnqueued: () => void;
}): Promise<Subscription> {
  const topics = [TOPICS.alerts, TOPICS.modelEvents];
  await opts.bus.ensureTopics(topics.map((name) => ({ name })));
  return opts.bus.subscribe({
    groupId: opts.groupId,
    topics,
    eachBatch: async (batch) => {
      const events: OutgoingEvent[] = [];
      for (const m of batch.messages) {
        const r = parseBusMessage(m.topic, m.value);
        if ("invalid" in r) {
          // Skipped, not retried: a malformed event would otherwise block its partition forever.
          invalid.inc({ topic: m.topic });
          opts.log.warn({ topic: m.topic, partition: m.partition, offset: m.offset, problems: r.invalid }, "skipping invalid event");
        } else if (r.event) events.push(r.event);
      }
      const n = await enqueueEvents(opts.db, events, opts.now());
      if (n > 0) {
        enqueued.inc(n);
        opts.onEnqueued();
      }
    },
  });
}
