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
}

export interface Subscription {
  /** Stops fetching, waits for the in-flight batch to finish and commit, then leaves the group. */
  stop(): Promise<void>;
}

export interface Bus {
  readonly kind: "kafka" | "memory";
  ensureTopics(topics: { name: string; partitions?: number }[]): Promise<void>;
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
  /** Messages in `topic` not yet committed by `groupId`, summed over partitions. */
  lag(groupId: string, topic: string): Promise<number>;
  close(): Promise<void>;
}
