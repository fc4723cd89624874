/** A message as consumers see it, whichever adapter delivered it. */
export interface BusMessage {
  topic: string;
  partition: number;
  /** Decimal string, as Kafka reports offsets. */
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: string;
}

export interface OutgoingMessage {
  key?: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
  /** Explicit partition; otherwise chosen by key hash (or round-robin without a key). */
  partition?: number;
}

/** Where one sent message landed. */
export interface SentPosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface Batch {
  topic: string;
  partition: number;
  messages: BusMessage[];
}

export interface SubscribeOptions {
  groupId: string;
  topics: (string | RegExp)[];
  fromBeginning?: boolean;
  /**
   * Handles one batch from one partition. Offsets are committed only after it resolves; if it throws,
   * the batch is delivered again (at-least-once), so handlers must be idempotent.
   */
  eachBatch: (batch: Batch) => Promise<void>;
  /** Upper bound on messages per batch handed to eachBatch. */
  maxBatchSize?: number;
  /**
   * Kafka: batches of this many partitions handled at once (default 1); one partition's batches always go in order.
   * The memory bus hands batches on one at a time.
   */
  partitionsConcurrently?: number;
  /** Failed deliveries of one batch, each logged, before `onRetriesExhausted` is asked (default 5). */
  maxAttempts?: number;
  /**
   * Called when a batch failed `maxAttempts` times in a row (e.g. a poison message). Resolving means the handler
   * dealt with every message itself (stored the good ones, dead-lettered the rest): the batch is committed and the
   * partition moves on. Without it, or if it throws, the batch keeps being retried with backoff and a log line.
   */
  onRetriesExhausted?: (batch: Batch, lastError: unknown) => Promise<void>;
}

export interface Subscription {
  /** Stops fetching, waits for the in-flight batch to finish and commit, then leaves the group. */
  stop(): Promise<void>;
}

export interface Bus {
  readonly kind: "kafka" | "memory";
  ensureTopics(topics: { name: string; partitions?: number }[]): Promise<void>;
  /** Resolves once the bus has the messages (Kafka: acked by the in-sync replicas); the memory bus also says where each landed. */
  send(topic: string, messages: OutgoingMessage[]): Promise<SentPosition[] | void>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  /** Messages in `topic` not yet committed by `groupId`, summed over partitions. */
  lag(groupId: string, topic: string): Promise<number>;
  close(): Promise<void>;
}
