import { setTimeout as delay } from "node:timers/promises";
import type { Batch, Bus, BusMessage, OutgoingMessage, SubscribeOptions, Subscription } from "./types.ts";
import { partitionForKey } from "./partition.ts";

interface Topic {
  partitions: BusMessage[][];
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
}

/**
 * In-process bus with the same semantics the pipeline relies on from Kafka: partitions, consumer groups that share
 * partitions between members, per-partition ordering, and offsets committed only after a batch handler resolves.
 */
export class MemoryBus implements Bus {
  readonly kind = "memory" as const;
  private topics = new Map<string, Topic>();
  private groups = new Map<string, Group>();
  private nextMemberId = 1;
  private wake = new Set<() => void>();
  private closed = false;

  constructor(private defaultPartitions = 3) {}

  async ensureTopics(topics: { name: string; partitions?: number }[]): Promise<void> {
    for (const t of topics) this.topic(t.name, t.partitions);
  }

  private topic(name: string, partitions = this.defaultPartitions): Topic {
    let t = this.topics.get(name);
    if (!t) {
      t = { partitions: Array.from({ length: partitions }, () => []), rr: 0 };
      this.topics.set(name, t);
    }
    return t;
  }

  async send(topicName: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error("bus is closed");
    const t = this.topic(topicName);
    const n = t.partitions.length;
    for (const m of messages) {
      const p = m.partition ?? (m.key ? partitionForKey(m.key, n) : t.rr++ % n);
      const log = t.partitions[p];
      if (!log) throw new Error(`topic ${topicName} has no partition ${p}`);
      log.push({
        topic: topicName,
        partition: p,
        offset: String(log.length),
        key: m.key ?? null,
        value: Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value),
        headers: m.headers ?? {},
        timestamp: String(Date.now()),
      });
    }
    for (const w of this.wake) w();
  }

  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    let g = this.groups.get(opts.groupId);
    if (!g) {
      g = { members: [], committed: new Map(), busy: new Set() };
      this.groups.set(opts.groupId, g);
    }
    const group = g;
    const endsAtJoin = new Map<string, number>();
    for (const [name, t] of this.topics) t.partitions.forEach((log, p) => endsAtJoin.set(`${name}/${p}`, log.length));
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

  private async loop(group: Group, member: Member): Promise<void> {
    const max = member.opts.maxBatchSize ?? 500;
    while (!member.stopped && !this.closed) {
      let delivered = false;
      for (const { topic, partition } of this.assignment(group, member)) {
        if (member.stopped) break;
        const key = `${topic}/${partition}`;
        if (group.busy.has(key)) continue;
        const log = this.topics.get(topic)!.partitions[partition]!;
        const start = group.committed.get(key) ?? (member.opts.fromBeginning === false ? (member.endsAtJoin.get(key) ?? 0) : 0);
        if (!group.committed.has(key)) group.committed.set(key, start);
        if (start >= log.length) continue;
        const batch: Batch = { topic, partition, messages: log.slice(start, start + max) };
        group.busy.add(key);
        try {
          await member.opts.eachBatch(batch);
          group.committed.set(key, start + batch.messages.length);
        } catch {
          // Not committed: the same batch is delivered again after a pause, as Kafka would after a failed batch.
          await delay(200);
        } finally {
          group.busy.delete(key);
        }
        delivered = true;
      }
      if (!delivered) await new Promise<void>((resolve) => {
        const w = () => { this.wake.delete(w); resolve(); };
        this.wake.add(w);
        setTimeout(w, 250).unref();
      });
    }
  }

  async lag(groupId: string, topic: string): Promise<number> {
    const t = this.topics.get(topic);
    if (!t) return 0;
    const g = this.groups.get(groupId);
    return t.partitions.reduce((sum, log, p) => sum + log.length - (g?.committed.get(`${topic}/${p}`) ?? 0), 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.wake) w();
  }
}
