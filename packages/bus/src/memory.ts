import { createLogger, type Logger } from "@finsentry/core";
import type { Batch, Bus, BusMessage, OutgoingMessage, SentPosition, SubscribeOptions, Subscription } from "./types.ts";
import { partitionForKey } from "./partition.ts";
import { DEFAULT_MAX_ATTEMPTS, errorSummary, retryDelayMs } from "./retry.ts";

interface Partition {
  /** Offset of `log[0]`: older messages were dropped by retention. */
  base: number;
  log: BusMessage[];
}

interface Topic {
  partitions: Partition[];
  rr: number;
}

interface Member {
  id: number;
  opts: SubscribeOptions;
  /** Log ends when the member subscribed: where `fromBeginning: false` starts (0 for partitions created later). */
  endsAtJoin: Map<string, number>;
  stopped: boolean;
  running: Promise<void>;
}

interface Group {
  members: Member[];
  /** Next offset to deliver, per "topic/partition" — committed only after a batch succeeds. */
  committed: Map<string, number>;
  /** Partitions with a batch in flight: not handed to another member until it commits (like a Kafka rebalance). */
  busy: Set<string>;
  /** Partitions whose batch failed: how often in a row, and when it may be delivered again. */
  failing: Map<string, { attempts: number; notBefore: number }>;
}

export interface MemoryBusOptions {
  log?: Logger;
  /**
   * Messages kept per partition once every group has committed them (Kafka's retention, by count). Messages some
   * group has not committed are never dropped; producers bound those by watching lag.
   */
  retainPerPartition?: number;
}

export class BusClosedError extends Error {
  constructor() {
    super("bus is closed");
  }
}

/**
 * In-process bus with the same semantics the pipeline relies on from Kafka: partitions, consumer groups that share
 * partitions between members, per-partition ordering, and offsets committed only after a batch handler resolves.
 * Everything lives in RAM: a producer that needs durability waits for the consuming group's commit (`waitForCommit`).
 */
export class MemoryBus implements Bus {
  readonly kind = "memory" as const;
  private topics = new Map<string, Topic>();
  private groups = new Map<string, Group>();
  private nextMemberId = 1;
  private wake = new Set<() => void>();
  /** Re-checked after every commit (and on close). */
  private commitWaiters = new Set<() => void>();
  private closed = false;
  private log: Logger;
  private retain: number;

  constructor(
    private defaultPartitions = 3,
    opts: MemoryBusOptions = {},
  ) {
    this.log = opts.log ?? createLogger("bus");
    this.retain = opts.retainPerPartition ?? 10_000;
  }

  async ensureTopics(topics: { name: string; partitions?: number }[]): Promise<void> {
    for (const t of topics) this.topic(t.name, t.partitions);
  }

  private topic(name: string, partitions = this.defaultPartitions): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { partitions: Array.from({ length: partitions }, () => ({ base: 0, log: [] })), rr: 0 };
      this.topics.set(name, t);
    }
    return t;
  }

  /** Appends the messages; returns where each one landed, in order. */
  async send(topicName: string, messages: OutgoingMessage[]): Promise<SentPosition[]> {
    if (this.closed) throw new BusClosedError();
    const t = this.topic(topicName);
    const n = t.partitions.length;
    const positions: SentPosition[] = [];
    const touched = new Set<number>();
    for (const m of messages) {
      const p = m.partition ?? (m.key ? partitionForKey(m.key, n) : t.rr++ % n);
      const part = t.partitions[p];
      if (!part) throw new Error(`topic ${topicName} has no partition ${p}`);
      const offset = String(part.base + part.log.length);
      part.log.push({
        topic: topicName,
        partition: p,
        offset,
        key: m.key ?? null,
        value: Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value),
        headers: m.headers ?? {},
        timestamp: String(Date.now()),
      });
      positions.push({ topic: topicName, partition: p, offset });
      touched.add(p);
    }
    for (const p of touched) this.trim(topicName, p);
    for (const w of this.wake) w();
    return positions;
  }

  /**
   * Resolves once `groupId` has committed past every position, i.e. its handler's effects are durable; rejects with
   * BusClosedError if the bus closes first. Callers add their own timeout.
   */
  waitForCommit(groupId: string, positions: SentPosition[]): Promise<void> {
    const done = () =>
      positions.every((p) => (this.groups.get(groupId)?.committed.get(`${p.topic}/${p.partition}`) ?? -1) > Number(p.offset));
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.closed) {
          this.commitWaiters.delete(check);
          reject(new BusClosedError());
        } else if (done()) {
          this.commitWaiters.delete(check);
          resolve();
        }
      };
      this.commitWaiters.add(check);
    });
  }

  /** Drops the oldest messages beyond `retain` that every group with a position on this partition has committed. */
  private trim(topicName: string, p: number): void {
    const part = this.topics.get(topicName)!.partitions[p]!;
    // Amortised: trim in steps rather than on every send.
    if (part.log.length < this.retain + Math.max(1, this.retain >> 2)) return;
    let floor = part.base + part.log.length - this.retain;
    for (const g of this.groups.values()) {
      // A member that has not looked at this partition yet has no position: it may still need everything.
      const subscribed = g.members.some(
        (m) => !m.stopped && m.opts.topics.some((s) => (typeof s === "string" ? s === topicName : s.test(topicName))),
      );
      const c = g.committed.get(`${topicName}/${p}`) ?? (subscribed ? part.base : undefined);
      if (c !== undefined) floor = Math.min(floor, c);
    }
    if (floor <= part.base) return;
    part.log.splice(0, floor - part.base);
    part.base = floor;
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    let g = this.groups.get(opts.groupId);
    if (!g) {
      g = { members: [], committed: new Map(), busy: new Set(), failing: new Map() };
      this.groups.set(opts.groupId, g);
    }
    const group = g;
    const endsAtJoin = new Map<string, number>();
    for (const [name, t] of this.topics) t.partitions.forEach((part, p) => endsAtJoin.set(`${name}/${p}`, part.base + part.log.length));
    const member: Member = { id: this.nextMemberId++, opts, endsAtJoin, stopped: false, running: Promise.resolve() };
    group.members.push(member);
    member.running = this.loop(group, member);
    return {
      stop: async () => {
        member.stopped = true;
        for (const w of this.wake) w();
        await member.running;
        group.members = group.members.filter((m) => m !== member);
      },
    };
  }

  /** Partitions of the subscribed topics owned by this member: round-robin over the live members. */
  private assignment(group: Group, member: Member): { topic: string; partition: number }[] {
    const live = group.members.filter((m) => !m.stopped);
    const idx = live.indexOf(member);
    const all: { topic: string; partition: number }[] = [];
    for (const [name, t] of [...this.topics].sort(([a], [b]) => a.localeCompare(b))) {
      if (!member.opts.topics.some((s) => (typeof s === "string" ? s === name : s.test(name)))) continue;
      t.partitions.forEach((_, p) => all.push({ topic: name, partition: p }));
    }
    return all.filter((_, i) => live.length > 0 && i % live.length === idx);
  }

  private commit(group: Group, key: string, next: number): void {
    group.committed.set(key, next);
    for (const check of [...this.commitWaiters]) check();
  }

  private async loop(group: Group, member: Member): Promise<void> {
    const max = member.opts.maxBatchSize ?? 500;
    const maxAttempts = member.opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    while (!member.stopped && !this.closed) {
      let delivered = false;
      for (const { topic, partition } of this.assignment(group, member)) {
        if (member.stopped) break;
        const key = `${topic}/${partition}`;
        if (group.busy.has(key)) continue;
        const failing = group.failing.get(key);
        if (failing && failing.notBefore > Date.now()) continue;
        const part = this.topics.get(topic)!.partitions[partition]!;
        const joinedAt = member.opts.fromBeginning === false ? (member.endsAtJoin.get(key) ?? 0) : 0;
        // Retention may have dropped what a new group would start at: begin at the oldest kept message.
        const start = Math.max(group.committed.get(key) ?? joinedAt, part.base);
        if (!group.committed.has(key)) group.committed.set(key, start);
        const end = part.base + part.log.length;
        if (start >= end) continue;
        const batch: Batch = { topic, partition, messages: part.log.slice(start - part.base, start - part.base + max) };
        group.busy.add(key);
        try {
          await member.opts.eachBatch(batch);
          group.failing.delete(key);
          this.commit(group, key, start + batch.messages.length);
        } catch (err) {
          // Not committed: the same batch is delivered again after a pause, as Kafka would after a failed batch.
          const attempts = (failing?.attempts ?? 0) + 1;
          const where = {
            group: member.opts.groupId,
            topic,
            partition,
            offset: String(start),
            messages: batch.messages.length,
            attempt: attempts,
            ...errorSummary(err),
          };
          this.log.warn(where, "batch handler failed; will retry");
          let resolved = false;
          if (attempts >= maxAttempts && member.opts.onRetriesExhausted) {
            try {
              await member.opts.onRetriesExhausted(batch, err);
              resolved = true;
            } catch (again) {
              this.log.error({ ...where, ...errorSummary(again) }, "batch still failing after retries exhausted; retrying");
            }
          } else if (attempts >= maxAttempts) {
            this.log.error(where, "batch keeps failing and has no fallback; retrying");
          }
          if (resolved) {
            group.failing.delete(key);
            this.commit(group, key, start + batch.messages.length);
          } else {
            group.failing.set(key, { attempts, notBefore: Date.now() + retryDelayMs(attempts) });
          }
        } finally {
          group.busy.delete(key);
        }
        delivered = true;
      }
      if (!delivered)
        await new Promise<void>((resolve) => {
          const w = () => {
            this.wake.delete(w);
            resolve();
          };
          this.wake.add(w);
          setTimeout(w, 100).unref();
        });
    }
  }

  async lag(groupId: string, topic: string): Promise<number> {
    const t = this.topics.get(topic);
    if (!t) return 0;
    const g = this.groups.get(groupId);
    return t.partitions.reduce(
      (sum, part, p) => sum + part.base + part.log.length - Math.max(part.base, g?.committed.get(`${topic}/${p}`) ?? 0),
      0,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.wake) w();
    for (const check of [...this.commitWaiters]) check();
  }
}
