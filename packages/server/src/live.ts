import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Server as SocketServer } from "socket.io";
import { z } from "zod";
import { counter, type Logger } from "@finsentry/core";
import type { Bus, Subscription } from "@finsentry/bus";
import type { DbHandle } from "@finsentry/db";
import { AlertEventV1, describeIssues, ScoredItemV1, TOPICS, TrainingProgressV1, type AlertEvent } from "@finsentry/schemas";

const invalidMessages = counter("finsentry_live_invalid_messages_total", "Bus messages the live gateway dropped as invalid, by topic", [
  "topic",
]);

const Subscribe = z.object({
  rooms: z
    .array(z.union([z.enum(["alerts", "items", "training"]), z.string().regex(/^(entity|severity):.{1,200}$/)]))
    .min(1)
    .max(50),
  /** Last alert event id the client saw: everything after it is replayed first, so a network blip loses nothing. */
  since: z.string().min(1).max(300).optional(),
});

export interface LiveGatewayOptions {
  io: SocketServer;
  bus: Bus;
  db: DbHandle;
  log: Logger;
  /** Most scored items pushed per second to the `items` room; the rest are counted, not sent. */
  itemsPerSecond?: number;
}

/** Alert lifecycle events stored after `since`, oldest first. */
async function eventsSince(db: DbHandle, since: string): Promise<AlertEvent[]> {
  const { rows } = await db.exec(
    `select e.payload from alert_events e, alert_events s
      where s.id = $1 and (e.created_at, e.id) > (s.created_at, s.id)
      order by e.created_at, e.id limit 1000`,
    [since],
  );
  return rows.flatMap((r) => {
    const p = AlertEventV1.safeParse(r.payload);
    return p.success ? [p.data] : [];
  });
}

/**
 * Pushes alert events, a throttled feed of scored items and training progress to socket.io rooms. Every API process
 * consumes the topics with its own consumer groups, so each process sees every event whichever process a client is
 * connected to. (One group per topic: kafkajs assigns a group's partitions without regard to what each member
 * subscribed, so consumers of different topics sharing a group would leave partitions unread.)
 */
export async function startLiveGateway(opts: LiveGatewayOptions): Promise<{ stop(): Promise<void> }> {
  const { io, bus, db, log } = opts;
  const group = `live-${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const perSecond = opts.itemsPerSecond ?? 20;
  let windowStart = Date.now();
  let sentThisWindow = 0;
  /** Last `seq` relayed per training run: redelivered or out-of-order progress is dropped. */
  const trainingSeq = new Map<string, number>();

  /** Parses and validates one bus message; an invalid one is logged and counted, never thrown. */
  const parse = <T>(schema: z.ZodType<T>, topic: string, value: Buffer): T | null => {
    let json: unknown;
    try {
      json = JSON.parse(value.toString());
    } catch {
      invalidMessages.inc({ topic });
      log.warn({ topic, reason: "malformed_json" }, "live gateway dropped an invalid message");
      return null;
    }
    const p = schema.safeParse(json);
    if (p.success) return p.data;
    invalidMessages.inc({ topic });
    log.warn({ topic, reason: "invalid_fields", problems: describeIssues(p.error).slice(0, 5) }, "live gateway dropped an invalid message");
    return null;
  };

  io.on("connection", (socket) => {
    socket.on("subscribe", async (msg: unknown, ack?: (r: unknown) => void) => {
      const parsed = Subscribe.safeParse(msg);
      if (!parsed.success) {
        ack?.({ ok: false, problems: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
        return;
      }
      await socket.join(parsed.data.rooms);
      let replayed = 0;
      if (parsed.data.since) {
        try {
          for (const ev of await eventsSince(db, parsed.data.since)) {
            socket.emit("alert", ev);
            replayed++;
          }
        } catch (err) {
          log.warn({ err }, "alert catch-up failed");
        }
      }
      ack?.({ ok: true, rooms: parsed.data.rooms, replayed });
    });
  });

  // One consumer group per topic: a group shared by several topics may leave some of their partitions unassigned.
  const subs: Subscription[] = [];
  const relay = async <T>(topic: string, schema: z.ZodType<T>, emit: (ev: T) => void, admit: () => boolean = () => true) => {
    subs.push(
      await bus.subscribe({
        groupId: `${group}-${topic}`,
        topics: [topic],
        fromBeginning: false,
        eachBatch: async ({ messages }) => {
          for (const msg of messages) {
            if (!admit()) continue;
            const ev = parse(schema, topic, msg.value);
            if (ev) emit(ev);
          }
        },
      }),
    );
  };

  await relay(TOPICS.alerts, AlertEventV1, (ev) => {
    const a = ev.alert;
    io.to("alerts").to(`entity:${a.entity_key}`).to(`severity:${a.severity}`).emit("alert", ev);
  });
  // The item feed is a sample: past `perSecond` an item is skipped before it is even parsed.
  const underItemRate = () => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      sentThisWindow = 0;
    }
    return sentThisWindow < perSecond;
  };
  await relay(
    TOPICS.scored,
    ScoredItemV1,
    (s) => {
      sentThisWindow++;
      const summary = {
        id: s.item.id,
        published_at: s.item.published_at,
        text: s.item.text,
        source: s.item.source,
        stream: s.item.stream,
        output: s.output,
        model_version: s.model_version,
      };
      io.to(["items", ...s.mentions.map((mn) => `entity:${mn.key}`)]).emit("item", summary);
    },
    underItemRate,
  );
  await relay(TOPICS.trainingProgress, TrainingProgressV1, (ev) => {
    const last = trainingSeq.get(ev.run_id);
    if (last !== undefined && ev.seq <= last) return;
    trainingSeq.delete(ev.run_id);
    trainingSeq.set(ev.run_id, ev.seq);
    if (trainingSeq.size > 1000) trainingSeq.delete(trainingSeq.keys().next().value!);
    io.to("training").emit("training", ev);
  });
  return {
    async stop() {
      await Promise.all(subs.map((s) => s.stop()));
    },
  };
}
