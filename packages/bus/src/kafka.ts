import { Kafka, logLevel, type Consumer, type Producer, type Admin, type LogEntry } from "kafkajs";
import { createLogger, type Logger } from "@finsentry/core";
import type { Batch, Bus, OutgoingMessage, SubscribeOptions, Subscription } from "./types.ts";
import { JavaCompatiblePartitioner } from "./murmur2.ts";
import { DEFAULT_MAX_ATTEMPTS, errorSummary, retryDelayMs } from "./retry.ts";

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  defaultPartitions?: number;
  /** Prefix for every topic and group id, so several deployments (or test runs) can share one cluster. */
  namespace?: string;
  log?: Logger;
  /** How soon a crashed member's partitions move to the survivors (KAFKA_SESSION_TIMEOUT_MS, validated in core's config). */
  sessionTimeoutMs?: number;
}

/** kafkajs log lines routed into the service's structured logger. */
function kafkaLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry) => {
      const { message, ...rest } = entry;
      if (level <= logLevel.ERROR) log.error(rest, `kafka: ${message}`);
      else if (level === logLevel.WARN) log.warn(rest, `kafka: ${message}`);
      else log.debug(rest, `kafka: ${message}`);
    };
}

/** Bus over Apache Kafka: consumer groups share partitions, offsets are committed only after a batch's effects. */
export class KafkaBus implements Bus {
  readonly kind = "kafka" as const;
  private kafka: Kafka;
  private producer: Producer | null = null;
  private producerReady: Promise<Producer> | null = null;
  private admin: Admin | null = null;
  private consumers = new Set<Consumer>();
  private log: Logger;
  private defaultPartitions: number;
  private ns: string;
  private sessionTimeoutMs: number;

  constructor(opts: KafkaBusOptions) {
    this.ns = opts.namespace ?? "";
    this.sessionTimeoutMs = opts.sessionTimeoutMs ?? 15_000;
    this.log = opts.log ?? createLogger("bus");
    this.defaultPartitions = opts.defaultPartitions ?? 3;
    this.kafka = new Kafka({
      clientId: opts.clientId ?? "finsentry",
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.log),
      retry: { retries: 8, initialRetryTime: 200 },
    });
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }

  async ensureTopics(topics: { name: string; partitions?: number }[]): Promise<void> {
    const admin = await this.getAdmin();
    const wanted = topics.map((t) => ({ ...t, name: this.ns + t.name }));
    // Topic creation propagates asynchronously: retry until every topic has leaders (another process may race us).
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const missing = wanted.filter((t) => !existing.has(t.name));
        if (missing.length) {
          await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((t) => ({ topic: t.name, numPartitions: t.partitions ?? this.defaultPartitions, replicationFactor: 1 })),
          });
        }
        await admin.fetchTopicMetadata({ topics: wanted.map((t) => t.name) });
        return;
      } catch (err) {
        if (attempt >= 10) throw err;
        this.log.debug({ err, attempt }, "topics not ready yet; retrying");
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  private getProducer(): Promise<Producer> {
    if (!this.producerReady) {
      // Idempotent: a produce retried after a timeout must not write the message twice.
      const p = this.kafka.producer({
        createPartitioner: JavaCompatiblePartitioner,
        allowAutoTopicCreation: true,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      this.producerReady = p.connect().then(() => {
        this.producer = p;
        return p;
      });
    }
    return this.producerReady;
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const p = await this.getProducer();
    // acks=-1: a message counts as sent only once the broker has it durably.
    await p.send({
      topic: this.ns + topic,
      acks: -1,
      messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, headers: m.headers, partition: m.partition })),
    });
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      groupId: this.ns + opts.groupId,
      // A crashed member's partitions move to the survivors after this long.
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 1 << 20,
      allowAutoTopicCreation: true,
    });
    this.consumers.add(consumer);
    await consumer.connect();
    const topics = opts.topics.map((t) =>
      typeof t === "string" ? this.ns + t : new RegExp(`^${this.ns.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:${t.source})$`),
    );
    await consumer.subscribe({ topics, fromBeginning: opts.fromBeginning ?? true });
    const max = opts.maxBatchSize ?? 500;
    const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        // Hand the fetched messages on in chunks so a handler's transaction stays bounded.
        for (let i = 0; i < batch.messages.length; i += max) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(i, i + max);
          const topic = batch.topic.slice(this.ns.length);
          const handed: Batch = {
            topic,
            partition: batch.partition,
            messages: chunk.map((m) => ({
              topic,
              partition: batch.partition,
              offset: m.offset,
              key: m.key ? m.key.toString() : null,
              value: m.value ?? Buffer.alloc(0),
              headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, v ? v.toString() : ""])),
              timestamp: m.timestamp,
            })),
          };
          // Retried here rather than thrown to kafkajs (which would restart the consumer, forever, silently).
          for (let attempt = 1; ; attempt++) {
            try {
              await opts.eachBatch(handed);
              break;
            } catch (err) {
              const where = {
                group: opts.groupId,
                topic,
                partition: batch.partition,
                offset: chunk[0]!.offset,
                messages: chunk.length,
                attempt,
                ...errorSummary(err),
              };
              this.log.warn(where, "batch handler failed; will retry");
              if (attempt >= maxAttempts && opts.onRetriesExhausted) {
                try {
                  await opts.onRetriesExhausted(handed, err);
                  break;
                } catch (again) {
                  this.log.error({ ...where, ...errorSummary(again) }, "batch still failing after retries exhausted; retrying");
                }
              } else if (attempt >= maxAttempts) {
                this.log.error(where, "batch keeps failing and has no fallback; retrying");
              }
              await new Promise((r) => setTimeout(r, retryDelayMs(attempt)));
              // Stopping or rebalanced away: leave the batch uncommitted for whoever owns the partition next.
              if (!isRunning() || isStale()) return;
              await heartbeat();
            }
          }
          const last = chunk[chunk.length - 1]!.offset;
          resolveOffset(last);
          // Effects are durable (the handler resolved): only now does the group move past these messages.
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
        }
      },
    });
    return {
      stop: async () => {
        // kafkajs' disconnect waits for the running eachBatch to finish before leaving the group.
        await consumer.disconnect();
        this.consumers.delete(consumer);
      },
    };
  }

  async lag(groupId: string, topic: string): Promise<number> {
    const admin = await this.getAdmin();
    const [ends, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(this.ns + topic),
      admin.fetchOffsets({ groupId: this.ns + groupId, topics: [this.ns + topic] }),
    ]);
    const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset === "-1" ? "0" : p.offset)]));
    let lag = 0n;
    for (const e of ends) lag += BigInt(e.high) - (done.get(e.partition) ?? BigInt(e.low));
    return Number(lag);
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    if (this.producerReady) await (await this.producerReady).disconnect();
    if (this.admin) await this.admin.disconnect();
  }
}
